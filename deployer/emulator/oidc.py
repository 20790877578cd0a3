"""The emulator's own OIDC issuer: the signing key, the discovery document, the JWKS,
and the tokens `deployer token` mints with that key.

Its issuer identifier is `LOCAL_ISSUER`, a fixed URL that names no port, so tfvars can
name it although the emulator's port changes at every start. The URL itself is never
fetched: the gateway verifies tokens of this issuer against the keys of the running
emulator in-process. The discovery document and the JWKS are also served on loopback
(`DISCOVERY_PATH`, `JWKS_PATH`, under the emulator's endpoint) for clients that verify
tokens themselves, e.g. a REQUEST authorizer given the JWKS URL.

One RSA key per emulator start. Its private half is written to the emulator's state
folder (`KEY_FILE`, mode 0600) so that the deployer's own process, which is not the
emulator, can mint tokens with it; the file goes when the emulator stops. It is a key for
local tokens only: nothing outside the emulator trusts it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deployer.common import DeployerError, UserInputError, atomic_write
from deployer.emulator import process as emulator_process

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

# PyJWT and cryptography are imported where they are used: every command on an emulated
# environment imports this package's face, and most of them never touch a token.

LOCAL_ISSUER = "https://auth.deployer.localhost/"
OIDC_PREFIX = "/_deployer/oidc"
DISCOVERY_PATH = OIDC_PREFIX + "/.well-known/openid-configuration"
JWKS_PATH = OIDC_PREFIX + "/jwks.json"
KEY_FILE = "oidc-signing-key.pem"
ALGORITHM = "RS256"
KEY_SIZE = 2048
DEFAULT_SUBJECT = "local-user"

# Clients may keep the JWKS a minute; a new emulator has a new key and a new `kid`, which
# well-behaved clients refetch for anyway.
_JWKS_MAX_AGE = 60


class Issuer:
    """The running emulator's issuer: its key, its documents, and a WSGI app serving them.

    `Issuer(state_dir)` generates the key and writes its private half to
    `state_dir/KEY_FILE`; `close()` removes it. `for_current_process()` does both for the
    emulator this code runs in and registers `close` to run when it stops.
    """

    def __init__(self, state_dir: Path, endpoint: str | None = None) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.state_dir = Path(state_dir)
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self._private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        self._pem = self._private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self.public_jwk = public_jwk(self._private_key.public_key())
        self.kid: str = self.public_jwk["kid"]
        atomic_write(self.key_path, self._pem, private=True)

    @classmethod
    def for_current_process(cls) -> Issuer:
        """The issuer of the emulator this code runs in; its key file goes when it stops."""
        server = emulator_process.current()
        if server is None:
            raise RuntimeError("Issuer.for_current_process() runs inside a serving emulator only")
        issuer = cls(server.state_dir, endpoint=server.endpoint)
        emulator_process.at_stop(issuer.close)
        return issuer

    @property
    def key_path(self) -> Path:
        return self.state_dir / KEY_FILE

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The public JWKS (what `JWKS_PATH` serves)."""
        return {"keys": [dict(self.public_jwk)]}

    def discovery(self, base_url: str) -> dict[str, Any]:
        """The OpenID Provider metadata, with the JWKS at `base_url` + JWKS_PATH."""
        return {
            "issuer": LOCAL_ISSUER,
            "jwks_uri": base_url.rstrip("/") + JWKS_PATH,
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "token_endpoint_auth_methods_supported": ["none"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "scope"],
        }

    def close(self) -> None:
        """Remove the key file (only while it is still this issuer's key)."""
        try:
            if self.key_path.read_bytes() == self._pem:
                self.key_path.unlink()
        except FileNotFoundError:
            pass

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        """Serve DISCOVERY_PATH and JWKS_PATH; any other path is a 404 in JSON."""
        path = environ.get("PATH_INFO", "")
        if path == DISCOVERY_PATH:
            payload: dict[str, Any] = self.discovery(self.endpoint or _request_base(environ))
        elif path == JWKS_PATH:
            payload = self.jwks()
        else:
            return _answer(start_response, "404 Not Found", {"message": "Not Found"})
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if method not in ("GET", "HEAD"):
            return _answer(
                start_response,
                "405 Method Not Allowed",
                {"message": "Method Not Allowed"},
                [("Allow", "GET, HEAD")],
            )
        extra = [("Cache-Control", f"public, max-age={_JWKS_MAX_AGE}")]
        return _answer(start_response, "200 OK", payload, extra, head=method == "HEAD")


def public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    """The public JWK of `public_key`, its `kid` the RFC 7638 thumbprint."""
    from jwt.algorithms import RSAAlgorithm

    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    members = {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}
    return {
        "kty": "RSA",
        "use": "sig",
        "alg": ALGORITHM,
        "kid": thumbprint(members),
        "n": jwk["n"],
        "e": jwk["e"],
    }


def thumbprint(members: Mapping[str, str]) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, no whitespace; base64url."""
    canonical = json.dumps(dict(sorted(members.items())), separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def mint_token(
    state_dir: Path,
    audience: str | Sequence[str],
    scopes: Sequence[str] = (),
    subject: str = DEFAULT_SUBJECT,
    expires_in: int = 3600,
    extra_claims: Mapping[str, Any] | None = None,
) -> str:
    """A token of LOCAL_ISSUER signed with the key in `state_dir` (RS256, header `kid`).

    Claims: iss, aud (a string for one audience, a list for several), sub, scope
    (space-joined; left out without scopes), iat, nbf, exp, jti. `extra_claims` are added
    last and may replace any of those (tests use it for tokens that must be refused).
    """
    import jwt

    audiences = [audience] if isinstance(audience, str) else list(audience)
    if not audiences or not all(isinstance(a, str) and a.strip() for a in audiences):
        raise UserInputError("A token needs an audience: a non-empty string.")
    for scope in scopes:
        if not scope or any(c.isspace() for c in scope):
            raise UserInputError(
                f"Scope {scope!r} is empty or has a space in it: give each scope on its own."
            )
    if not subject:
        raise UserInputError("A token needs a subject: a non-empty string.")
    if expires_in <= 0:
        raise UserInputError("A token's lifetime must be at least one second.")
    private_key = _read_private(Path(state_dir) / KEY_FILE)
    kid = public_jwk(private_key.public_key())["kid"]
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": LOCAL_ISSUER,
        "sub": subject,
        "aud": audiences[0] if len(audiences) == 1 else audiences,
        "iat": now,
        "nbf": now,
        "exp": now + int(expires_in),
        "jti": uuid.uuid4().hex,
    }
    if scopes:
        claims["scope"] = " ".join(scopes)
    claims.update(extra_claims or {})
    return jwt.encode(claims, private_key, algorithm=ALGORITHM, headers={"kid": kid, "typ": "JWT"})


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims of `token`, not verified (to show what a minted token says)."""
    import jwt

    return jwt.decode(token, options={"verify_signature": False})


def local_audiences(apigatewayv2: Any, api_name: str | None = None) -> list[str]:
    """The audiences of the deployed JWT authorizers whose issuer is LOCAL_ISSUER.

    `apigatewayv2`: a boto3 client of the emulator; `api_name`: only that API's
    authorizers (None: every HTTP API's). Sorted, each once.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    found: set[str] = set()
    try:
        for page in apigatewayv2.get_paginator("get_apis").paginate():
            for api in page.get("Items", []):
                if api.get("ProtocolType") != "HTTP":
                    continue
                if api_name is not None and api.get("Name") != api_name:
                    continue
                pages = apigatewayv2.get_paginator("get_authorizers").paginate(ApiId=api["ApiId"])
                for authorizers in pages:
                    for authorizer in authorizers.get("Items", []):
                        config = authorizer.get("JwtConfiguration") or {}
                        if (
                            authorizer.get("AuthorizerType") == "JWT"
                            and config.get("Issuer") == LOCAL_ISSUER
                        ):
                            found.update(a for a in config.get("Audience") or [] if a)
    except (BotoCoreError, ClientError) as exc:
        raise DeployerError(
            f"Could not read the deployed APIs from the local emulator ({exc}); check "
            "`deployer local status`, or name the audience with --audience."
        ) from None
    return sorted(found)


# --- files and HTTP --------------------------------------------------------------------------


def _read_private(path: Path) -> rsa.RSAPrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DeployerError(
            f"The local emulator has no token signing key ({path}): it is not running, or it "
            "was started by a deployer without its OIDC issuer; run `deployer local stop` and "
            "any command on local to start a new one (the resources of the old one go with it)."
        ) from None
    except OSError as exc:
        raise DeployerError(f"Cannot read the local token signing key {path}: {exc}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except ValueError:
        raise DeployerError(
            f"{path} is not a private key: run `deployer local stop` and start the emulator "
            "again to get a new one."
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DeployerError(f"{path} is not an RSA key: restart the local emulator.")
    return key


def _request_base(environ: Mapping[str, Any]) -> str:
    """The scheme and host the client used (the emulator's endpoint, on loopback)."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT', '80')}"
    )
    return f"{scheme}://{host}"


def _answer(
    start_response: Callable,
    status: str,
    payload: Mapping[str, Any],
    extra: Sequence[tuple[str, str]] = (),
    *,
    head: bool = False,
) -> list[bytes]:
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        *extra,
    ]
    start_response(status, headers)
    return [b"" if head else body]
