"""The authorization decision: bearer token -> verified claims -> scopes for the route.

Every failure becomes a `Denied` with a short reason for the log; nothing here ever
returns a claim or logs the token.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import re
from collections.abc import Mapping
from typing import Any

import jwt

from jwks_cache import ALLOWED_ALGORITHMS, JwksKeyCache
from jwks_fetch import fetch_budget
from log_json import log_event
from settings import Settings

logger = logging.getLogger("authorizer")

# The `token_use` of an access token (Cognito); anything else, e.g. "id", is refused.
ACCESS = "access"

# A JWS in compact serialisation: three base64url segments, nothing else.
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_MAX_KID_LENGTH = 256
# The NumericDate claims (RFC 7519 §2): a JSON number when present, nothing else.
TIME_CLAIMS = ("exp", "nbf", "iat")


class Denied(Exception):
    """The request is not authorized; `reason` (and `claim`, naming a bad claim) are safe to log."""

    def __init__(self, reason: str, claim: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.claim = claim


def deny() -> dict[str, Any]:
    """A fresh deny response (callers may mutate what they get)."""
    return {"isAuthorized": False, "context": {}}


class Authorizer:
    """Decides one HTTP API REQUEST-authorizer event (payload 2.0, simple responses)."""

    def __init__(self, settings: Settings, keys: JwksKeyCache) -> None:
        self._settings = settings
        self._keys = keys

    def authorize(self, event: Any, remaining_seconds: float | None = None) -> dict[str, Any]:
        """Return {"isAuthorized": bool, "context": {...}}; never raises for a bad request.

        `remaining_seconds`: the time Lambda leaves the invocation; a JWKS fetch ends early
        enough for the answer to be given within it.
        """
        event = event if isinstance(event, Mapping) else {}
        route_key = event.get("routeKey") if isinstance(event.get("routeKey"), str) else None
        request_id = _request_id(event)
        budget = fetch_budget(self._settings.jwks_timeout_seconds, remaining_seconds)
        try:
            token = bearer_token(event, self._settings.max_token_bytes)
            claims = self.verify(token, budget)
            scopes = granted_scopes(claims)
            missing = set(self._settings.required_scopes.get(route_key or "", ())) - scopes
            if missing:
                raise Denied("insufficient_scope")
        except Denied as denial:
            named = {"claim": denial.claim} if denial.claim else {}
            log_event(
                logger,
                logging.INFO,
                "deny",
                reason=denial.reason,
                route_key=route_key,
                request_id=request_id,
                **named,
            )
            return deny()
        log_event(
            logger,
            logging.INFO,
            "allow",
            sub=claims["sub"],
            route_key=route_key,
            request_id=request_id,
        )
        return {
            "isAuthorized": True,
            "context": {"sub": claims["sub"], "scope": " ".join(sorted(scopes))},
        }

    def verify(self, token: str, fetch_budget: float | None = None) -> dict[str, Any]:
        """Verify signature and claims of `token`; return its claims or raise Denied.

        A JWKS fetch it needs takes at most `fetch_budget` seconds (default: the setting).
        """
        if fetch_budget is None:
            fetch_budget = self._settings.jwks_timeout_seconds
        # The header is read here, not by PyJWT, whose own `crit` check would make it a
        # malformed token: a `crit` gets its own reason.
        header = _json_segment(token, 0)
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise Denied("algorithm_not_allowed")
        if "crit" in header:
            # No critical extension is understood here, so RFC 7515 §4.1.11 says reject.
            raise Denied("unsupported_critical_header")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > _MAX_KID_LENGTH:
            raise Denied("missing_kid")
        _check_time_claims(_json_segment(token, 1))
        key = self._keys.get(kid, fetch_budget)
        if key is None:
            raise Denied("unknown_kid" if self._keys.has_keys else "jwks_unavailable")
        if key.algorithm_name != alg:
            raise Denied("algorithm_key_mismatch")
        claims = self._decode(token, key, alg)
        self._check_token_kind(claims)
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise Denied("missing_claim")
        return claims

    def _decode(self, token: str, key: jwt.PyJWK, alg: str) -> dict[str, Any]:
        s = self._settings
        cognito_access = s.token_use == ACCESS
        audience_claims = ["client_id", "token_use"] if cognito_access else ["aud"]
        required = ["exp", "iss", "sub", *audience_claims]
        try:
            return jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                issuer=s.issuer,
                # Cognito access tokens carry `client_id` instead of `aud` (checked below).
                audience=None if cognito_access else list(s.audiences),
                leeway=s.leeway_seconds,
                options={
                    "require": required,
                    "verify_signature": True,
                    "verify_exp": True,
                    "verify_nbf": True,
                    "verify_iat": True,
                    "verify_iss": True,
                    "verify_aud": not cognito_access,
                },
            )
        except jwt.ExpiredSignatureError:
            raise Denied("expired") from None
        except jwt.ImmatureSignatureError:
            raise Denied("not_yet_valid") from None
        except jwt.MissingRequiredClaimError:
            raise Denied("missing_claim") from None
        except jwt.InvalidAudienceError:
            raise Denied("wrong_audience") from None
        except jwt.InvalidIssuerError:
            raise Denied("wrong_issuer") from None
        except jwt.InvalidSignatureError:
            raise Denied("bad_signature") from None
        except jwt.PyJWTError:
            raise Denied("invalid_token") from None

    def _check_token_kind(self, claims: Mapping[str, Any]) -> None:
        # An ID token proves who logged in to a client, not that the client may call this API:
        # whatever the mode, a token that says it is not an access token is refused.
        token_use = claims.get("token_use")
        if token_use is not None and token_use != ACCESS:
            raise Denied("not_an_access_token")
        if self._settings.token_use == ACCESS and claims.get("client_id") not in set(
            self._settings.audiences
        ):
            raise Denied("wrong_audience")


def bearer_token(event: Mapping[str, Any], max_token_bytes: int) -> str:
    """The token of the `Authorization: Bearer <jwt>` header, or Denied."""
    headers = event.get("headers")
    value = None
    if isinstance(headers, Mapping):
        # Payload 2.0 lower-cases header names; accept any case all the same.
        for name, candidate in headers.items():
            if isinstance(name, str) and name.lower() == "authorization":
                value = candidate
    if not isinstance(value, str) or not value:
        raise Denied("missing_authorization")
    if len(value) > max_token_bytes + len("Bearer "):
        raise Denied("oversized_token")
    if not value.isascii():
        raise Denied("malformed_authorization")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not _COMPACT_JWS.fullmatch(token):
        # Also catches "Bearer" alone, two tokens, and repeated headers joined with commas.
        raise Denied("malformed_authorization")
    return token


def granted_scopes(claims: Mapping[str, Any]) -> set[str]:
    """Scopes from `scope` (space-separated: Auth0, Cognito) and `scp` (a list: Okta, Entra)."""
    scopes: set[str] = set()
    scope = claims.get("scope")
    if isinstance(scope, str):
        scopes.update(scope.split())
    scp = claims.get("scp")
    if isinstance(scp, str):
        scopes.update(scp.split())
    elif isinstance(scp, list):
        scopes.update(s for s in scp if isinstance(s, str) and s and " " not in s)
    return scopes


def _json_segment(token: str, index: int) -> dict[str, Any]:
    """The JSON object of the token's header (0) or payload (1), unverified; else Denied."""
    if not _COMPACT_JWS.fullmatch(token):
        raise Denied("malformed_token")
    segment = token.split(".")[index]
    try:
        data = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError, RecursionError):
        raise Denied("malformed_token") from None
    if not isinstance(data, dict):
        raise Denied("malformed_token")
    return data


def _check_time_claims(payload: Mapping[str, Any]) -> None:
    """`exp`, `nbf` and `iat`, when present, must be finite JSON numbers.

    PyJWT takes whatever int() takes: "1900000000", true (1), false (0) would pass. This
    runs before any key is fetched. A null `exp` counts as no `exp` (missing_claim, later),
    as the emulator's JWT authorizer has it; a null `nbf` or `iat` is malformed here.
    """
    for name in TIME_CLAIMS:
        if name not in payload or (name == "exp" and payload[name] is None):
            continue
        value = payload[name]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or (isinstance(value, float) and not math.isfinite(value)):
            raise Denied("malformed_token", claim=name)


def _request_id(event: Mapping[str, Any]) -> str | None:
    context = event.get("requestContext")
    if isinstance(context, Mapping) and isinstance(context.get("requestId"), str):
        return context["requestId"]
    return None
