"""API Gateway's JWT authorizer as the emulator plays it (deployer.emulator.jwt_authorizer,
deployer.emulator.issuer_keys): every outcome of `check`, with tokens of the emulator's
own issuer (keys in-process), of another JWT library, and of a foreign issuer whose
discovery document and JWKS are fetched over real HTTP (tests/helpers/jwks_server.py).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from helpers.jwks_server import JwksServer
from joserfc import jwt as jose_jwt
from joserfc.jwk import RSAKey
from moto.apigatewayv2.models import Authorizer

from deployer.emulator.issuer_keys import IssuerKeys, KeysUnavailable
from deployer.emulator.jwt_authorizer import JwtAuthorizerConfig, check, render_claim
from deployer.emulator.oidc import LOCAL_ISSUER, Issuer, mint_token, public_jwk

AUDIENCE = "https://api.example.com"
CONFIG = JwtAuthorizerConfig(issuer=LOCAL_ISSUER, audiences=(AUDIENCE,))


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[Issuer]:
    local = Issuer(tmp_path)
    yield local
    local.close()


@pytest.fixture
def keys(issuer: Issuer) -> IssuerKeys:
    return IssuerKeys(local=issuer)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def claims(**overrides) -> dict:
    now = int(time.time())
    base = {"iss": LOCAL_ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 300}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def signed(issuer: Issuer, payload: dict, **header) -> str:
    """A token signed with the issuer's own key, with any claims (PyJWT)."""
    key = serialization.load_pem_private_key(issuer.key_path.read_bytes(), password=None)
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": issuer.kid, **header})


def challenge(decision) -> str:
    return dict(decision.headers)["www-authenticate"]


# --- allowed ---------------------------------------------------------------------------------


def test_a_good_token_is_allowed_with_its_claims_as_api_gateway_renders_them(issuer, keys):
    token = mint_token(
        issuer.state_dir,
        AUDIENCE,
        scopes=["items:read", "items:write"],
        extra_claims={
            "groups": ["admin", "users"],
            "email_verified": True,
            "address": {"zip": "75001", "city": "Paris"},
            "level": 3,
            "ratio": 0.25,
            "nothing": None,
        },
    )
    decision = check(CONFIG, bearer(token), ["items:write"], keys)
    assert decision.allowed and decision.status == 200 and decision.headers == ()
    got = decision.claims
    assert got["sub"] == "local-user" and got["iss"] == LOCAL_ISSUER and got["aud"] == AUDIENCE
    assert got["scope"] == "items:read items:write"
    assert got["groups"] == "[admin users]"  # Go's rendering: not JSON, not commas
    assert got["email_verified"] == "true"
    assert got["address"] == "map[city:Paris zip:75001]"
    assert got["level"] == "3" and got["ratio"] == "0.25" and got["nothing"] == "<nil>"
    assert got["exp"].isdigit() and all(isinstance(v, str) for v in got.values())
    # On a route with scopes, the token's scopes go with the claims.
    assert decision.scopes == ["items:read", "items:write"]
    assert decision.authorizer_context() == {
        "jwt": {"claims": got, "scopes": ["items:read", "items:write"]}
    }


def test_on_a_route_without_scopes_scopes_are_null(issuer, keys):
    token = mint_token(issuer.state_dir, AUDIENCE, scopes=["items:read"])
    decision = check(CONFIG, bearer(token), [], keys)
    assert decision.allowed and decision.scopes is None
    assert decision.authorizer_context()["jwt"]["scopes"] is None


def test_numbers_are_handed_on_as_the_token_writes_them():
    assert render_claim([1, [2, "x"], {"b": False, "a": []}]) == "[1 [2 x] map[a:[] b:false]]"
    issued = 1612053076
    assert render_claim(issued) == "1612053076"  # never 1.612053076e+09


@pytest.mark.parametrize("prefix", ["", "Bearer ", "bearer "])
def test_the_token_is_taken_with_or_without_the_bearer_prefix(issuer, keys, prefix):
    token = mint_token(issuer.state_dir, AUDIENCE)
    assert check(CONFIG, {"Authorization": prefix + token}, None, keys).allowed


def test_the_identity_source_names_the_header_or_query_parameter(issuer, keys):
    token = mint_token(issuer.state_dir, AUDIENCE)
    in_header = JwtAuthorizerConfig(LOCAL_ISSUER, (AUDIENCE,), ("$request.header.X-Token",))
    assert check(in_header, {"x-token": token}, [], keys).allowed
    assert check(in_header, bearer(token), [], keys).status == 401
    assert check(in_header, [("X-Token", token)], [], keys).allowed  # (name, value) pairs
    in_query = JwtAuthorizerConfig(LOCAL_ISSUER, (AUDIENCE,), ("$request.querystring.t",))
    assert check(in_query, {}, [], keys, query={"t": token}).allowed
    assert check(in_query, {}, [], keys, query=f"a=1&t={token}").allowed  # the raw query
    assert check(in_query, {}, [], keys, query={"T": token}).status == 401


def test_the_settings_are_read_from_moto_and_from_boto3_answers(issuer, keys):
    moto_authorizer = Authorizer(
        auth_creds_arn=None,
        auth_payload_format_version=None,
        auth_result_ttl=None,
        authorizer_type="JWT",
        authorizer_uri=None,
        enable_simple_response=None,
        identity_source=["$request.header.Authorization"],
        identity_validation_expr=None,
        jwt_config={"audience": [AUDIENCE], "issuer": LOCAL_ISSUER},  # moto keeps wire case
        name="jwt",
    )
    boto3_answer = {
        "AuthorizerType": "JWT",
        "IdentitySource": ["$request.header.Authorization"],
        "JwtConfiguration": {"Audience": [AUDIENCE], "Issuer": LOCAL_ISSUER},
    }
    assert JwtAuthorizerConfig.of(moto_authorizer) == JwtAuthorizerConfig.of(boto3_answer) == CONFIG
    assert check(moto_authorizer, bearer(mint_token(issuer.state_dir, AUDIENCE)), [], keys).allowed


def test_a_token_made_by_another_jwt_library_is_accepted(issuer, keys):
    now = int(time.time())
    key = RSAKey.import_key(issuer.key_path.read_text())
    token = jose_jwt.encode(
        {"alg": "RS256", "kid": issuer.kid, "typ": "JWT"},
        {"iss": LOCAL_ISSUER, "aud": AUDIENCE, "sub": "bob", "exp": now + 60, "scp": ["a"]},
        key,
    )
    decision = check(CONFIG, bearer(token), ["a"], keys)
    assert decision.allowed and decision.claims["sub"] == "bob" and decision.scopes == ["a"]


def test_client_id_stands_in_for_a_missing_aud_only(issuer, keys):
    no_aud = signed(issuer, claims(aud=None, client_id=AUDIENCE))
    assert check(CONFIG, bearer(no_aud), [], keys).allowed
    wrong_aud = signed(issuer, claims(aud="other", client_id=AUDIENCE))
    assert check(CONFIG, bearer(wrong_aud), [], keys).status == 401
    in_a_list = signed(issuer, claims(aud=["other", AUDIENCE]))
    assert check(CONFIG, bearer(in_a_list), [], keys).allowed


# --- refused: 401 ----------------------------------------------------------------------------


def test_no_token_is_401_with_a_plain_bearer_challenge(keys):
    decision = check(CONFIG, {"content-type": "application/json"}, ["items:read"], keys)
    assert (decision.allowed, decision.status, decision.message) == (False, 401, "Unauthorized")
    assert decision.body == b'{"message":"Unauthorized"}'
    assert challenge(decision) == "Bearer"
    assert check(CONFIG, {"authorization": "Bearer "}, [], keys).reason == "missing_token"


def test_an_expired_token_is_401_as_api_gateway_says_it(issuer, keys):
    token = signed(issuer, claims(exp=int(time.time()) - 1))
    decision = check(CONFIG, bearer(token), [], keys)
    assert decision.status == 401 and decision.claims is None
    assert challenge(decision) == (
        'Bearer scope="" error="invalid_token" error_description="the token has expired"'
    )
    # The challenge names the route's scopes, as API Gateway's does.
    scoped = check(CONFIG, bearer(token), ["items:read", "items:write"], keys)
    assert challenge(scoped).startswith('Bearer scope="items:read items:write" error=')


def test_a_token_without_expiry_is_refused(issuer, keys):
    decision = check(CONFIG, bearer(signed(issuer, claims(exp=None))), [], keys)
    assert decision.status == 401 and decision.reason == "no_expiry"


@pytest.mark.parametrize(
    ("claim", "reason"), [("nbf", "not_yet_valid"), ("iat", "issued_in_future")]
)
def test_a_token_not_valid_yet_is_401(issuer, keys, claim, reason):
    token = signed(issuer, claims(**{claim: int(time.time()) + 120}))
    decision = check(CONFIG, bearer(token), [], keys)
    assert (decision.status, decision.reason) == (401, reason)


def test_a_token_of_another_issuer_is_401(issuer, keys):
    token = signed(issuer, claims(iss="https://login.example.com/"))
    decision = check(CONFIG, bearer(token), [], keys)
    assert decision.status == 401
    assert 'error_description="the token does not have a valid issuer"' in challenge(decision)


def test_a_token_for_another_audience_is_401_as_api_gateway_says_it(issuer, keys):
    token = mint_token(issuer.state_dir, "https://other.example.com")
    decision = check(CONFIG, bearer(token), [], keys)
    assert challenge(decision) == (
        'Bearer scope="" error="invalid_token" '
        'error_description="the token does not have a valid audience"'
    )


def test_a_token_signed_by_another_key_is_401(issuer, keys):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    same_kid = jwt.encode(claims(), stranger, algorithm="RS256", headers={"kid": issuer.kid})
    decision = check(CONFIG, bearer(same_kid), [], keys)
    assert (decision.status, decision.reason) == (401, "bad_signature")
    own_kid = jwt.encode(
        claims(),
        stranger,
        algorithm="RS256",
        headers={"kid": public_jwk(stranger.public_key())["kid"]},
    )
    assert check(CONFIG, bearer(own_kid), [], keys).reason == "unknown_kid"


def _unsigned(header: dict, payload: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(payload)}."


def test_alg_none_and_hmac_with_the_public_key_are_refused(issuer, keys):
    none = _unsigned({"alg": "none", "kid": issuer.kid}, claims())
    assert (check(CONFIG, bearer(none), [], keys).reason) == "algorithm"
    # The classic confusion: HS256 keyed with the issuer's public key.
    public_pem = jwt.PyJWK(issuer.public_jwk).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged = _hs256(public_pem, {"alg": "HS256", "kid": issuer.kid}, claims())
    assert check(CONFIG, bearer(forged), [], keys).reason == "algorithm"


def _hs256(secret: bytes, header: dict, payload: dict) -> str:
    import hashlib
    import hmac

    unsigned = _unsigned(header, payload)[:-1]
    mac = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
    return unsigned + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("value", "description"),
    [
        ("not-a-token", "token contains an invalid number of segments"),
        ("a.b.c", "the token is malformed"),
    ],
)
def test_garbage_is_401(keys, value, description):
    decision = check(CONFIG, {"authorization": value}, [], keys)
    assert decision.status == 401 and f'error_description="{description}"' in challenge(decision)


def test_a_token_without_kid_is_401(issuer, keys):
    key = serialization.load_pem_private_key(issuer.key_path.read_bytes(), password=None)
    token = jwt.encode(claims(), key, algorithm="RS256")
    assert check(CONFIG, bearer(token), [], keys).reason == "no_kid"


def test_failures_of_the_setup_are_refusals_never_exceptions(issuer):
    token = mint_token(issuer.state_dir, AUDIENCE)
    assert check({"JwtConfiguration": {}}, bearer(token), [], IssuerKeys()).reason == (
        "misconfigured"
    )
    assert check(CONFIG, bearer(token), [], IssuerKeys()).reason == "keys_unavailable"

    class Broken:
        def signing_key(self, issuer, kid):
            raise RuntimeError("a bug")

    decision = check(CONFIG, bearer(token), [], Broken())
    assert (decision.status, decision.reason) == (401, "error")


# --- refused: 403 ----------------------------------------------------------------------------


def test_a_token_without_the_routes_scope_is_403(issuer, keys):
    token = mint_token(issuer.state_dir, AUDIENCE, scopes=["items:read"])
    decision = check(CONFIG, bearer(token), ["items:write", "admin"], keys)
    assert (decision.allowed, decision.status, decision.message) == (False, 403, "Forbidden")
    assert decision.body == b'{"message":"Forbidden"}'
    assert challenge(decision) == (
        'Bearer scope="items:write admin" error="insufficient_scope" '
        'error_description="expected scopes: [items:write admin]"'
    )
    no_scope_at_all = mint_token(issuer.state_dir, AUDIENCE)
    assert check(CONFIG, bearer(no_scope_at_all), ["items:write"], keys).status == 403
    # One of the route's scopes is enough, from `scope` or from `scp`.
    assert check(CONFIG, bearer(token), ["admin", "items:read"], keys).allowed
    scp = signed(issuer, claims(scp="items:write"))
    assert check(CONFIG, bearer(scp), ["items:write"], keys).allowed


# --- a foreign issuer, over HTTP --------------------------------------------------------------


class Discovery:
    """`/.well-known/openid-configuration` of an issuer whose JWKS another server serves."""

    def __init__(self, jwks_uri: str) -> None:
        self.jwks_uri = jwks_uri
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/.well-known/openid-configuration":
                    self.send_error(404)
                    return
                body = json.dumps({"issuer": owner.issuer, "jwks_uri": owner.jwks_uri}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}/"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def foreign() -> Iterator[tuple[Discovery, JwksServer, rsa.RSAPrivateKey]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwks = JwksServer().start()
    jwks.keys = [public_jwk(key.public_key())]
    discovery = Discovery(jwks.url)
    yield discovery, jwks, key
    discovery.close()
    jwks.stop()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_foreign_issuers_keys_are_fetched_over_http_and_kept(foreign):
    discovery, jwks, key = foreign
    config = JwtAuthorizerConfig(issuer=discovery.issuer, audiences=(AUDIENCE,))
    kid = jwks.keys[0]["kid"]
    clock = Clock()
    keys = IssuerKeys(clock=clock)

    def token(kid: str = kid) -> str:
        payload = claims(iss=discovery.issuer)
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})

    assert check(config, bearer(token()), [], keys).allowed
    assert check(config, bearer(token()), [], keys).allowed
    assert jwks.fetches == 1  # kept

    # An unknown kid (the issuer rotated its keys) refetches, at most once a minute.
    clock.now += 61
    assert check(config, bearer(token("rotated")), [], keys).reason == "unknown_kid"
    assert jwks.fetches == 2
    clock.now += 30
    assert check(config, bearer(token("rotated-again")), [], keys).reason == "unknown_kid"
    assert jwks.fetches == 2
    clock.now += 31
    check(config, bearer(token("rotated-again")), [], keys)
    assert jwks.fetches == 3

    # Kept keys are refetched after two hours.
    clock.now += 2 * 3600
    assert check(config, bearer(token()), [], keys).allowed
    assert jwks.fetches == 4


def test_a_foreign_issuer_that_cannot_be_read_is_a_refusal(foreign):
    discovery, jwks, key = foreign
    jwks.mode = "error"
    config = JwtAuthorizerConfig(issuer=discovery.issuer, audiences=(AUDIENCE,))
    token = jwt.encode(
        claims(iss=discovery.issuer), key, algorithm="RS256", headers={"kid": jwks.keys[0]["kid"]}
    )
    decision = check(config, bearer(token), [], IssuerKeys())
    assert (decision.status, decision.reason) == (401, "keys_unavailable")
    assert jwks.fetches == 1


def test_only_https_or_loopback_issuers_are_fetched():
    with pytest.raises(KeysUnavailable, match="https"):
        IssuerKeys().signing_key("http://login.example.com/", "kid")
