"""lambda_src/authorizer: keys made here, a JWKS on 127.0.0.1, every bad case a clean deny."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import socket
import time
import tomllib
import uuid
from collections.abc import Iterator

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from helpers.jwks_server import JwksServer
from helpers.lambda_harness import LAMBDA_SRC

ISSUER = "https://issuer.example.com/"
AUDIENCE = "https://api.example.com"
DENY = {"isAuthorized": False, "context": {}}
WRITE_ROUTE = "DELETE /items/{id}"


class Keys:
    """Signing keys generated for the test session; only some are published."""

    def __init__(self) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.rsa_next = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())

    @staticmethod
    def jwk(private_key, kid: str) -> dict:
        public = private_key.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            data = jwt.algorithms.RSAAlgorithm.to_jwk(public, as_dict=True)
            alg = "RS256"
        else:
            data = jwt.algorithms.ECAlgorithm.to_jwk(public, as_dict=True)
            alg = "ES256"
        return {**data, "kid": kid, "use": "sig", "alg": alg}


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys()


@pytest.fixture
def jwks(keys) -> Iterator[JwksServer]:
    """The issuer's JWKS, publishing the RSA key `rsa-1` and the EC key `ec-1`."""
    server = JwksServer().start()
    server.keys = [Keys.jwk(keys.rsa, "rsa-1"), Keys.jwk(keys.ec, "ec-1")]
    yield server
    server.stop()


def claims(**overrides) -> dict:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "scope": "items:read items:write",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(private_key, kid: str | None = "rsa-1", alg: str = "RS256", headers=None, **overrides):
    extra = {"kid": kid} if kid is not None else {}
    return jwt.encode(
        claims(**overrides), private_key, algorithm=alg, headers={**extra, **(headers or {})}
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def event(authorization: str | None, route_key: str = "GET /items") -> dict:
    headers = {"content-type": "application/json"}
    if authorization is not None:
        headers["authorization"] = authorization
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:eu-west-1:123456789012:api/$default/GET/items",
        "identitySource": [authorization] if authorization is not None else [],
        "routeKey": route_key,
        "rawPath": "/items",
        "headers": headers,
        "requestContext": {"requestId": "req-1", "routeKey": route_key},
    }


class Authorizer:
    """The authorizer function in one container: env first, then `authorize(...)` calls."""

    def __init__(self, load, monkeypatch, jwks: JwksServer) -> None:
        self._load = load
        self._monkeypatch = monkeypatch
        self.module = None
        self.env = {
            "JWT_ISSUER": ISSUER,
            "JWT_AUDIENCE": AUDIENCE,
            "JWKS_URL": jwks.url,
            "JWKS_TIMEOUT_SECONDS": "0.5",
            "JWT_LEEWAY_SECONDS": "30",
            "JWKS_REFETCH_COOLDOWN_SECONDS": "300",
            "REQUIRED_SCOPES": json.dumps({WRITE_ROUTE: ["items:write"]}),
            "LOG_LEVEL": "DEBUG",
        }

    def __call__(self, authorization: str | None, route_key: str = "GET /items") -> dict:
        return self.handle(event(authorization, route_key))

    def handle(self, raw_event) -> dict:
        if self.module is None:
            for name, value in self.env.items():
                self._monkeypatch.setenv(name, value)
            self.module = self._load("authorizer")
        return self.module.handler(raw_event, None)

    def bearer(self, token: str, route_key: str = "GET /items") -> dict:
        return self(f"Bearer {token}", route_key)


@pytest.fixture
def authorizer(load_function, monkeypatch, jwks) -> Authorizer:
    for name in ("TOKEN_USE", "JWKS_MAX_AGE_SECONDS", "MAX_TOKEN_BYTES"):
        monkeypatch.delenv(name, raising=False)
    return Authorizer(load_function, monkeypatch, jwks)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def clocked(authorizer: Authorizer, clock: FakeClock):
    """An authorizer of the same module whose key cache runs on `clock`."""
    authorizer.handle(None)  # imports the module with the env set
    module = authorizer.module
    return module.build_authorizer(module.Settings.from_env(os.environ), clock=clock)


# --- what an allow and a deny look like ---


def test_a_valid_rs256_token_is_allowed_with_exactly_sub_and_scope(authorizer, keys):
    response = authorizer.bearer(sign(keys.rsa))
    assert response == {
        "isAuthorized": True,
        "context": {"sub": "user-1", "scope": "items:read items:write"},
    }
    assert all(isinstance(v, str | int | float | bool) for v in response["context"].values())


def test_a_valid_es256_token_is_allowed(authorizer, keys):
    assert authorizer.bearer(sign(keys.ec, kid="ec-1", alg="ES256"))["isAuthorized"] is True


def test_a_deny_is_exactly_the_simple_response_shape(authorizer, keys):
    response = authorizer.bearer(sign(keys.foreign))
    assert response == DENY
    assert list(response) == ["isAuthorized", "context"]


def test_scheme_and_header_name_are_case_insensitive(authorizer, keys):
    token = sign(keys.rsa)
    assert authorizer(f"bearer {token}")["isAuthorized"] is True
    raw = event(None)
    raw["headers"]["Authorization"] = f"Bearer {token}"
    assert authorizer.handle(raw)["isAuthorized"] is True


# --- forged and tampered tokens ---


def test_alg_none_is_denied(authorizer, keys):
    header = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": "rsa-1"}).encode())
    payload = b64(json.dumps(claims()).encode())
    assert authorizer.bearer(f"{header}.{payload}.") == DENY
    assert authorizer.bearer(f"{header}.{payload}.{b64(b'x')}") == DENY


def test_hs256_signed_with_the_public_key_is_denied(authorizer, keys):
    public_pem = keys.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}).encode())
    payload = b64(json.dumps(claims()).encode())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert authorizer.bearer(f"{header}.{payload}.{b64(signature)}") == DENY


def test_an_hmac_key_in_the_jwks_is_never_used(authorizer, jwks):
    secret = b"shared-secret-that-must-not-work"
    jwks.keys.append({"kty": "oct", "kid": "hmac-1", "k": b64(secret), "alg": "HS256"})
    token = jwt.encode(claims(), secret, algorithm="HS256", headers={"kid": "hmac-1"})
    assert authorizer.bearer(token) == DENY


def test_a_known_kid_signed_by_a_foreign_key_is_denied(authorizer, keys):
    assert authorizer.bearer(sign(keys.foreign, kid="rsa-1")) == DENY


def test_a_tampered_payload_is_denied(authorizer, keys):
    header, _, signature = sign(keys.rsa).split(".")
    forged = b64(json.dumps(claims(sub="admin", scope="items:write admin")).encode())
    assert authorizer.bearer(f"{header}.{forged}.{signature}") == DENY


def test_an_algorithm_that_does_not_match_the_key_is_denied(authorizer, keys):
    # An EC signature presented under the RSA key's kid.
    assert authorizer.bearer(sign(keys.ec, kid="rsa-1", alg="ES256")) == DENY


def test_a_critical_header_extension_is_denied(authorizer, keys):
    token = sign(keys.rsa, headers={"crit": ["exp"]})
    assert authorizer.bearer(token) == DENY


def test_a_token_without_kid_is_denied(authorizer, keys):
    assert authorizer.bearer(sign(keys.rsa, kid=None)) == DENY


# --- unknown kids, rotation and the JWKS fetch budget ---


def test_unknown_kids_are_denied_without_amplifying_jwks_traffic(authorizer, keys, jwks):
    assert authorizer.bearer(sign(keys.rsa))["isAuthorized"] is True
    assert jwks.fetches == 1
    for _ in range(25):
        assert authorizer.bearer(sign(keys.foreign, kid=str(uuid.uuid4()))) == DENY
    assert jwks.fetches == 1  # within the cooldown no kid, however new, triggers a fetch
    assert authorizer.bearer(sign(keys.rsa))["isAuthorized"] is True
    assert jwks.fetches == 1


def test_a_cold_container_flooded_with_unknown_kids_fetches_once(authorizer, keys, jwks):
    for _ in range(25):
        assert authorizer.bearer(sign(keys.foreign, kid=str(uuid.uuid4()))) == DENY
    assert jwks.fetches == 1


def test_a_rotated_key_is_accepted_once_the_cooldown_allows_a_refetch(authorizer, keys, jwks):
    clock = FakeClock()
    decide = clocked(authorizer, clock).authorize
    assert decide(event(f"Bearer {sign(keys.rsa)}"))["isAuthorized"] is True
    assert jwks.fetches == 1
    jwks.keys.append(Keys.jwk(keys.rsa_next, "rsa-2"))  # the issuer rotates
    rotated = f"Bearer {sign(keys.rsa_next, kid='rsa-2')}"
    clock.now += 299
    assert decide(event(rotated)) == DENY
    assert jwks.fetches == 1
    clock.now += 1
    assert decide(event(rotated))["isAuthorized"] is True
    assert jwks.fetches == 2
    assert decide(event(f"Bearer {sign(keys.rsa)}"))["isAuthorized"] is True  # old key still ok
    assert jwks.fetches == 2


def test_a_new_kid_is_accepted_at_first_sight_without_a_cooldown(authorizer, keys, jwks):
    authorizer.env["JWKS_REFETCH_COOLDOWN_SECONDS"] = "0"
    assert authorizer.bearer(sign(keys.rsa))["isAuthorized"] is True
    jwks.keys = [Keys.jwk(keys.rsa_next, "rsa-2")]
    assert authorizer.bearer(sign(keys.rsa_next, kid="rsa-2"))["isAuthorized"] is True
    assert jwks.fetches == 2


def test_keys_are_refreshed_after_max_age_and_kept_if_the_refresh_fails(authorizer, keys, jwks):
    authorizer.env["JWKS_MAX_AGE_SECONDS"] = "600"
    clock = FakeClock()
    decide = clocked(authorizer, clock).authorize
    token = f"Bearer {sign(keys.rsa)}"
    assert decide(event(token))["isAuthorized"] is True
    clock.now += 600
    jwks.mode = "error"
    assert decide(event(token))["isAuthorized"] is True  # stale but still the issuer's key
    assert jwks.fetches == 2


def test_the_jwks_client_is_created_once_and_keys_are_cached(authorizer, keys, jwks):
    for _ in range(5):
        assert authorizer.bearer(sign(keys.rsa))["isAuthorized"] is True
        assert authorizer.bearer(sign(keys.ec, kid="ec-1", alg="ES256"))["isAuthorized"] is True
    assert jwks.fetches == 1
    first = authorizer.module._authorizer
    authorizer.bearer(sign(keys.rsa))
    assert authorizer.module._authorizer is first


# --- time claims and leeway ---


@pytest.mark.parametrize(
    ("overrides", "allowed"),
    [
        ({"exp": -60}, False),
        ({"exp": -10}, True),  # expired 10 s ago, within the 30 s leeway
        ({"nbf": 60}, False),
        ({"nbf": 10}, True),
        ({"iat": 120}, False),
        ({"iat": 10}, True),
    ],
    ids=["expired", "expired-within-leeway", "not-yet-valid", "nbf-within-leeway",
         "issued-in-the-future", "iat-within-leeway"],
)  # fmt: skip
def test_time_claims_with_leeway(authorizer, keys, overrides, allowed):
    now = int(time.time())
    token = sign(keys.rsa, **{k: now + v for k, v in overrides.items()})
    assert authorizer.bearer(token)["isAuthorized"] is allowed


def test_without_leeway_a_just_expired_token_is_denied(authorizer, keys):
    authorizer.env["JWT_LEEWAY_SECONDS"] = "0"
    assert authorizer.bearer(sign(keys.rsa, exp=int(time.time()) - 10)) == DENY


# --- issuer, audience, required claims ---


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "https://evil.example.com/"},
        {"iss": ISSUER.rstrip("/")},
        {"iss": None},
        {"aud": "https://other-api.example.com"},
        {"aud": None},
        {"aud": []},
        {"exp": None},
        {"sub": None},
        {"sub": ""},
        {"exp": "tomorrow"},
    ],
    ids=["wrong-iss", "iss-without-slash", "no-iss", "wrong-aud", "no-aud", "empty-aud",
         "no-exp", "no-sub", "empty-sub", "exp-not-a-number"],
)  # fmt: skip
def test_wrong_or_missing_registered_claims_are_denied(authorizer, keys, overrides):
    assert authorizer.bearer(sign(keys.rsa, **overrides)) == DENY


def test_an_audience_list_containing_ours_is_allowed(authorizer, keys):
    token = sign(keys.rsa, aud=["https://other.example.com", AUDIENCE])
    assert authorizer.bearer(token)["isAuthorized"] is True


def test_an_id_token_is_denied_even_with_a_matching_audience(authorizer, keys):
    assert authorizer.bearer(sign(keys.rsa, token_use="id")) == DENY


# --- Cognito access tokens ---


@pytest.fixture
def cognito(authorizer) -> Authorizer:
    authorizer.env["TOKEN_USE"] = "access"
    authorizer.env["JWT_AUDIENCE"] = "app-client-1"
    return authorizer


def test_a_cognito_access_token_is_allowed(cognito, keys):
    token = sign(keys.rsa, aud=None, client_id="app-client-1", token_use="access",
                 scope="items:write")  # fmt: skip
    assert cognito.bearer(token, WRITE_ROUTE) == {
        "isAuthorized": True,
        "context": {"sub": "user-1", "scope": "items:write"},
    }


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "app-client-1", "token_use": "id"},  # an ID token where an access token is needed
        {"aud": None, "client_id": "app-client-1", "token_use": None},
        {"aud": None, "client_id": "other-client", "token_use": "access"},
        {"aud": None, "client_id": None, "token_use": "access"},
    ],
    ids=["id-token", "no-token-use", "other-client", "no-client-id"],
)
def test_cognito_tokens_that_are_not_our_access_tokens_are_denied(cognito, keys, overrides):
    assert cognito.bearer(sign(keys.rsa, **overrides)) == DENY


# --- scopes per route ---


def test_a_route_requiring_a_scope_denies_a_token_without_it(authorizer, keys):
    reader = sign(keys.rsa, scope="items:read")
    assert authorizer.bearer(reader, WRITE_ROUTE) == DENY
    assert authorizer.bearer(reader, "GET /items")["isAuthorized"] is True
    assert authorizer.bearer(sign(keys.rsa, scope=None), WRITE_ROUTE) == DENY


def test_scopes_from_an_scp_list_count(authorizer, keys):
    token = sign(keys.rsa, scope=None, scp=["items:write"])
    assert authorizer.bearer(token, WRITE_ROUTE)["isAuthorized"] is True


# --- malformed requests ---


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer  ",
        "Basic dXNlcjpwYXNz",
        "a.b.c",
        "Bearer a.b",
        "Bearer a.b.c.d",
        "Bearer é.é.é",
        "Bearer \u00e9\u00e8.\u4e2d.\u0000",
        "Bearer " + "a" * 3400 + "." + "b" * 3400 + "." + "c" * 3440,  # 10 KB
    ],
    ids=["absent", "empty", "bearer-alone", "bearer-space", "bearer-spaces", "basic",
         "no-scheme", "two-segments", "four-segments", "non-ascii", "non-ascii-nul", "10KB"],
)  # fmt: skip
def test_malformed_authorization_headers_are_denied_without_fetching_keys(
    authorizer, jwks, authorization
):
    assert authorizer(authorization) == DENY
    assert jwks.fetches == 0


def test_two_tokens_are_denied(authorizer, keys, jwks):
    token = sign(keys.rsa)
    assert authorizer(f"Bearer {token} {token}") == DENY
    assert authorizer(f"Bearer {token},Bearer {token}") == DENY  # repeated header, joined
    assert authorizer(f"Bearer {token}, {token}") == DENY


def test_an_oversized_but_well_formed_token_is_denied(authorizer, keys, jwks):
    token = sign(keys.rsa, padding="x" * 9000)
    assert authorizer.bearer(token) == DENY
    assert jwks.fetches == 0
    authorizer.module = None  # a new container, allowing bigger tokens
    authorizer.env["MAX_TOKEN_BYTES"] = "16384"
    assert authorizer.bearer(token)["isAuthorized"] is True


@pytest.mark.parametrize(
    "raw_event",
    [None, "Bearer x", [], 42, {"headers": None}, {"headers": ["authorization"]},
     {"headers": {"authorization": 7}}, {"headers": {7: "Bearer a.b.c"}}],
)  # fmt: skip
def test_events_of_the_wrong_shape_are_denied(authorizer, raw_event):
    assert authorizer.handle(raw_event) == DENY


# --- the JWKS endpoint misbehaving ---


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/.well-known/jwks.json"


@pytest.mark.parametrize("mode", ["down", "error", "garbage", "slow", "no-keys", "array"])
def test_a_broken_jwks_endpoint_means_deny(authorizer, keys, jwks, mode):
    if mode == "down":
        authorizer.env["JWKS_URL"] = _closed_port_url()
    elif mode == "no-keys":
        jwks.keys = []
    elif mode == "array":
        jwks.body = b"[1, 2, 3]"
    else:
        jwks.mode = mode
    assert authorizer.bearer(sign(keys.rsa)) == DENY
    assert authorizer.bearer(sign(keys.rsa)) == DENY
    assert jwks.fetches <= 1  # the second request did not knock again


def test_after_a_failed_fetch_the_retry_waits_then_recovers(authorizer, keys, jwks):
    clock = FakeClock()
    decide = clocked(authorizer, clock).authorize
    token = event(f"Bearer {sign(keys.rsa)}")
    jwks.mode = "error"
    assert decide(token) == DENY
    clock.now += 5
    assert decide(token) == DENY
    assert jwks.fetches == 1
    jwks.mode = "ok"
    clock.now += 5  # a failed fetch is retried sooner than the full cooldown
    assert decide(token)["isAuthorized"] is True
    assert jwks.fetches == 2


def test_the_jwks_timeout_is_shorter_than_the_function_timeout():
    manifest = tomllib.loads((LAMBDA_SRC / "authorizer" / "function.toml").read_text())
    assert float(manifest["environment"]["JWKS_TIMEOUT_SECONDS"]) * 2 < manifest["timeout"]
    assert "routes" not in manifest  # it protects routes; it serves none


# --- configuration mistakes fail closed ---


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("JWT_ISSUER", ""),
        ("JWT_AUDIENCE", " , "),
        ("JWKS_URL", "http://issuer.example.com/jwks.json"),
        ("JWKS_URL", "file:///etc/passwd"),
        ("REQUIRED_SCOPES", "{not json"),
        ("REQUIRED_SCOPES", '{"GET /items": "items:read"}'),
        ("TOKEN_USE", "id"),
        ("JWKS_TIMEOUT_SECONDS", "soon"),
        ("JWT_LEEWAY_SECONDS", "-1"),
    ],
)
def test_a_misconfiguration_denies_everything_and_says_why(
    authorizer, keys, jwks, caplog, name, value
):
    authorizer.env[name] = value
    with caplog.at_level(logging.ERROR, logger="authorizer"):
        assert authorizer.bearer(sign(keys.rsa)) == DENY
    assert jwks.fetches == 0
    assert name in caplog.text


def test_the_jwks_url_defaults_to_the_issuers_well_known_path(authorizer):
    authorizer.handle(None)
    settings_class = authorizer.module.Settings
    auth0 = settings_class.from_env({"JWT_ISSUER": "https://tenant.eu.auth0.com/",
                                     "JWT_AUDIENCE": "https://api"})  # fmt: skip
    assert auth0.jwks_url == "https://tenant.eu.auth0.com/.well-known/jwks.json"
    pool = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf"
    cognito = settings_class.from_env({"JWT_ISSUER": pool, "JWT_AUDIENCE": "client"})
    assert cognito.jwks_url == f"{pool}/.well-known/jwks.json"


# --- log hygiene ---


def test_the_token_never_reaches_the_logs(authorizer, keys, jwks, caplog, capsys):
    good = sign(keys.rsa, scope="items:read")
    tokens = [
        good,
        sign(keys.rsa, exp=int(time.time()) - 3600),
        sign(keys.foreign),
        sign(keys.foreign, kid="unknown-kid"),
        "not-a-token",
    ]
    with caplog.at_level(logging.DEBUG):
        assert authorizer.bearer(good)["isAuthorized"] is True
        assert authorizer.bearer(good, WRITE_ROUTE) == DENY
        for token in tokens[1:]:
            assert authorizer.bearer(token) == DENY
        jwks.mode = "garbage"
        authorizer.module._authorizer = None  # a cold container with the issuer answering junk
        assert authorizer.bearer(sign(keys.rsa)) == DENY
    out, err = capsys.readouterr()
    logged = caplog.text + out + err
    reasons = [json.loads(r.getMessage()).get("reason") for r in caplog.records]
    assert {"insufficient_scope", "expired", "bad_signature", "unknown_kid",
            "malformed_authorization"} <= set(reasons)  # fmt: skip
    for token in tokens:
        assert token not in logged
        for part in token.split("."):
            if len(part) > 8:
                assert part not in logged
