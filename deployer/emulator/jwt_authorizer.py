"""API Gateway's JWT authorizer for HTTP APIs: one request's token -> allow, 401 or 403.

What AWS documents ("Control access to HTTP APIs with JWT authorizers"), in its order:

1. the token comes from the identity source (default `$request.header.Authorization`),
   with or without a `Bearer ` prefix;
2. it is decoded; only RSA algorithms are accepted (RS256, RS384, RS512);
3. its signature is checked with the issuer's key named by the header's `kid`, from the
   issuer's JWKS (`jwks_uri` of `<issuer>/.well-known/openid-configuration`);
4. `iss` must equal the configured issuer; `aud` (or `client_id`, read only when there is
   no `aud`) must match one of the configured audiences; `exp` must lie after now, `nbf`
   and `iat` not after now (no clock-skew allowance);
5. on a route with authorization scopes, the token's `scope` (space-separated) or `scp`
   must hold at least one of them.

What AWS does not document and is taken from answers observed on AWS:

- a failed check is 401 `{"message":"Unauthorized"}` with `www-authenticate: Bearer
  scope="<the route's scopes>" error="invalid_token" error_description="..."` (plain
  `Bearer` when there is no token at all); a missing scope is 403
  `{"message":"Forbidden"}` with `error="insufficient_scope" error_description="expected
  scopes: [a b]"`. The descriptions AWS is seen to send are used word for word ("the
  token has expired", "the token does not have a valid audience", "token contains an
  invalid number of segments"); the others are ours, in the same style;
- the claims handed to the integration (`requestContext.authorizer.jwt.claims`) are all
  strings, rendered as API Gateway (a Go service) renders them: a number as written in
  the token, `true`/`false`, an array as `[a b]`, an object as `map[k:v]` (keys sorted),
  null as `<nil>`;
- `requestContext.authorizer.jwt.scopes` is null on a route without scopes, otherwise the
  token's scopes.

A token without `exp` is refused here (AWS does not say; a token that never expires is
not one to accept by default), and so are a `crit` header (RFC 7515 §4.1.11: no extension
is understood here) and a time claim that is not a finite number (NaN, Infinity, 1e400).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import sys
import time
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import jwt

from deployer.emulator.issuer_keys import KeySource, KeysUnavailable

ALGORITHMS = ("RS256", "RS384", "RS512")
DEFAULT_IDENTITY_SOURCE = "$request.header.Authorization"
# One base64url segment of a compact JWS (trailing padding tolerated, as PyJWT does).
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*={0,2}")


# --- configuration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class JwtAuthorizerConfig:
    """A JWT authorizer's settings: issuer, audiences, identity source."""

    issuer: str
    audiences: tuple[str, ...]
    identity_sources: tuple[str, ...] = (DEFAULT_IDENTITY_SOURCE,)

    @classmethod
    def of(cls, authorizer: Any) -> JwtAuthorizerConfig:
        """The settings of a moto Authorizer (`jwt_config`, `identity_source`), of a boto3
        GetAuthorizer answer (`JwtConfiguration`, `IdentitySource`), or a config itself.

        Raises ValueError when there is no issuer.
        """
        if isinstance(authorizer, JwtAuthorizerConfig):
            return authorizer
        if isinstance(authorizer, Mapping):
            jwt_config = authorizer.get("JwtConfiguration") or authorizer.get("jwtConfiguration")
            sources = authorizer.get("IdentitySource") or authorizer.get("identitySource")
        else:
            jwt_config = getattr(authorizer, "jwt_config", None)
            sources = getattr(authorizer, "identity_source", None)
        # moto keeps the request's own spelling (`issuer`), boto3 answers `Issuer`.
        settings = {str(k).lower(): v for k, v in dict(jwt_config or {}).items()}
        issuer = settings.get("issuer")
        if not isinstance(issuer, str) or not issuer:
            raise ValueError("the JWT authorizer has no issuer")
        audiences = settings.get("audience") or []
        if isinstance(audiences, str):
            audiences = [audiences]
        if isinstance(sources, str):
            sources = [s.strip() for s in sources.split(",")]
        return cls(
            issuer=issuer,
            audiences=tuple(a for a in audiences if isinstance(a, str)),
            identity_sources=tuple(s for s in sources or () if isinstance(s, str) and s)
            or (DEFAULT_IDENTITY_SOURCE,),
        )


# --- the decision ----------------------------------------------------------------------------


@dataclass(frozen=True)
class JwtDecision:
    """The authorizer's answer for one request.

    Allowed: `status` 200, `claims` and `scopes` for `requestContext.authorizer.jwt`.
    Refused: `status` 401 or 403, `message` for the body, `headers` (www-authenticate).
    `reason` is a short word for logs; it never holds the token or a claim.
    """

    allowed: bool
    status: int
    reason: str
    message: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    claims: dict[str, str] | None = None
    scopes: list[str] | None = None

    @property
    def body(self) -> bytes:
        """API Gateway's JSON body of a refusal (empty when allowed)."""
        if self.message is None:
            return b""
        return json.dumps({"message": self.message}, separators=(",", ":")).encode()

    def authorizer_context(self) -> dict[str, Any]:
        """What goes under `requestContext.authorizer` of the integration's event."""
        return {"jwt": {"claims": dict(self.claims or {}), "scopes": self.scopes}}


class _Refused(Exception):
    def __init__(self, reason: str, description: str | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.description = description  # None: no token at all (plain `Bearer`)


def check(
    config: Any,
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
    route_scopes: Sequence[str] | None,
    keys: KeySource,
    *,
    query: Mapping[str, str] | str | None = None,
    now: float | None = None,
) -> JwtDecision:
    """Decide one request to a route protected by the JWT authorizer `config`.

    `config`: see `JwtAuthorizerConfig.of`; `headers`: the request's headers, a mapping or
    (name, value) pairs, names in any case (repeated ones are joined with commas, as
    payload 2.0 joins them); `route_scopes`: the route's authorization scopes; `query`:
    the query parameters (a mapping or the raw query string), for an identity source
    `$request.querystring.<name>`. Never raises: any failure is a refusal.
    """
    scopes_required = [s for s in route_scopes or () if s]
    try:
        try:
            settings = JwtAuthorizerConfig.of(config)
        except ValueError:
            raise _Refused("misconfigured", "the authorizer has no issuer") from None
        token = _token(settings, headers, query or {})
        claims, granted = _verify(token, settings, keys, time.time() if now is None else now)
    except _Refused as refused:
        return _unauthorized(refused, scopes_required)
    except Exception:
        # A bug of ours must still be an answer, and a refusal: say so in the log.
        print("deployer emulator: the JWT authorizer failed; the request is refused", flush=True)
        traceback.print_exc(file=sys.stdout)
        return _unauthorized(_Refused("error", "the token could not be checked"), scopes_required)
    if scopes_required and not set(granted) & set(scopes_required):
        wanted = " ".join(scopes_required)
        challenge = (
            f'Bearer scope="{wanted}" error="insufficient_scope" '
            f'error_description="expected scopes: [{wanted}]"'
        )
        return JwtDecision(
            allowed=False,
            status=403,
            reason="insufficient_scope",
            message="Forbidden",
            headers=(("www-authenticate", challenge),),
        )
    return JwtDecision(
        allowed=True,
        status=200,
        reason="allowed",
        claims=claims,
        scopes=granted if scopes_required else None,
    )


def _unauthorized(refused: _Refused, route_scopes: Sequence[str]) -> JwtDecision:
    if refused.description is None:
        challenge = "Bearer"
    else:
        challenge = (
            f'Bearer scope="{" ".join(route_scopes)}" error="invalid_token" '
            f'error_description="{refused.description}"'
        )
    return JwtDecision(
        allowed=False,
        status=401,
        reason=refused.reason,
        message="Unauthorized",
        headers=(("www-authenticate", challenge),),
    )


def _token(settings: JwtAuthorizerConfig, headers: Any, query: Any) -> str:
    """The token named by the identity source, without its `Bearer ` prefix."""
    source = settings.identity_sources[0]
    value: str | None = None
    if source.lower().startswith("$request.header."):
        name = source[len("$request.header.") :].lower()
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        value = _joined(((k.lower(), v) for k, v in pairs), name)
    elif source.lower().startswith("$request.querystring."):
        pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else None
        value = _joined(pairs or dict(query).items(), source[len("$request.querystring.") :])
    value = (value or "").strip()
    if value.lower() == "bearer":
        value = ""
    elif value[:7].lower() == "bearer ":
        value = value[7:].strip()
    if not value:
        raise _Refused("missing_token", None)
    return value


def _joined(pairs: Iterable[tuple[str, str]], name: str) -> str | None:
    """The values of `name`, joined with commas."""
    found = [v for k, v in pairs if k == name]
    return ",".join(found) if found else None


def _verify(
    token: str, settings: JwtAuthorizerConfig, keys: KeySource, now: float
) -> tuple[dict[str, str], list[str]]:
    """Signature and claims, in API Gateway's order; the rendered claims and the scopes."""
    if token.count(".") != 2:
        raise _Refused("malformed", "token contains an invalid number of segments")
    # Read here, not by PyJWT, whose own `crit` check would call the token malformed.
    header = _segment(token, 0)
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise _Refused("algorithm", "the token is not signed with a supported algorithm")
    if "crit" in header:
        raise _Refused(
            "unsupported_critical_header", "the token has a critical header (crit) not understood"
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _Refused("no_kid", "the token has no key id (kid)")
    try:
        jwk = keys.signing_key(settings.issuer, kid)
    except KeysUnavailable:
        raise _Refused("keys_unavailable", "the issuer's signing keys could not be read") from None
    if jwk is None:
        raise _Refused("unknown_kid", "the token's signing key is not one of the issuer's keys")
    if jwk.get("alg") not in (None, alg):
        raise _Refused("algorithm", "the token's algorithm does not match its signing key")
    try:
        key = jwt.PyJWK(dict(jwk), algorithm=alg).key
        jwt.decode(token, key=key, algorithms=[alg], options=_SIGNATURE_ONLY)
    except jwt.InvalidSignatureError:
        raise _Refused("bad_signature", "the token signature is invalid") from None
    except jwt.PyJWTError:
        raise _Refused("malformed", "the token is malformed") from None
    claims = _payload(token)
    if claims.get("iss") != settings.issuer:
        raise _Refused("wrong_issuer", "the token does not have a valid issuer")
    audience = claims["aud"] if "aud" in claims else claims.get("client_id")
    offered = audience if isinstance(audience, list) else [audience]
    if not any(_is_text(a) and a in settings.audiences for a in offered):
        raise _Refused("wrong_audience", "the token does not have a valid audience")
    exp, nbf, iat = (_time(claims, name) for name in ("exp", "nbf", "iat"))
    if exp is None:
        raise _Refused("no_expiry", "the token has no expiry (exp)")
    if now >= exp:
        raise _Refused("expired", "the token has expired")
    if nbf is not None and nbf > now:
        raise _Refused("not_yet_valid", "the token is not valid yet")
    if iat is not None and iat > now:
        raise _Refused("issued_in_future", "the token was issued in the future")
    return {name: render_claim(value) for name, value in claims.items()}, granted_scopes(claims)


# PyJWT checks the signature only; every claim is checked above, in API Gateway's way.
_SIGNATURE_ONLY = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
    "require": [],
}


class _Number(str):
    """A JSON number kept as written in the token (what API Gateway hands on)."""


def _payload(token: str) -> dict[str, Any]:
    return _segment(token, 1, parse_int=_Number, parse_float=_Number, parse_constant=_Number)


def _segment(token: str, index: int, **json_options: Any) -> dict[str, Any]:
    """The JSON object of the token's header (0) or payload (1)."""
    segment = token.split(".")[index]
    if not _SEGMENT.fullmatch(segment):
        raise _Refused("malformed", "the token is malformed")
    unpadded = segment.rstrip("=")
    try:
        raw = base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
        data = json.loads(raw, **json_options)
    except (binascii.Error, ValueError, RecursionError):
        raise _Refused("malformed", "the token is malformed") from None
    if not isinstance(data, dict):
        raise _Refused("malformed", "the token is malformed")
    return data


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and not isinstance(value, _Number)


def _time(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, _Number):
        raise _Refused("malformed", f"the token's {name} is not a number")
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise _Refused("malformed", f"the token's {name} is not a number")
    return number


def render_claim(value: Any) -> str:
    """A claim value as API Gateway puts it in `requestContext.authorizer.jwt.claims`."""
    if isinstance(value, str):  # strings, and numbers as written (_Number)
        return str(value)
    if value is True or value is False:
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, list):
        return "[" + " ".join(render_claim(v) for v in value) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{render_claim(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def granted_scopes(claims: Mapping[str, Any]) -> list[str]:
    """The token's scopes: `scope` (space-separated), then `scp` (a list or a string)."""
    found: list[str] = []
    for name in ("scope", "scp"):
        value = claims.get(name)
        items = value.split() if isinstance(value, str) else value
        if isinstance(items, list):
            found.extend(s for s in items if _is_text(s) and s and s not in found)
    return found
