"""The emulator's OIDC issuer (deployer.emulator.oidc): its key file, the discovery
document and JWKS it serves over real HTTP, and the tokens minted with its key.

The issuer is served here by werkzeug on a free loopback port, as the emulator's app
serves it under its own endpoint.
"""

from __future__ import annotations

import json
import stat
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

from deployer.common import DeployerError, UserInputError
from deployer.emulator import process as emulator_process
from deployer.emulator.oidc import (
    DISCOVERY_PATH,
    JWKS_PATH,
    KEY_FILE,
    LOCAL_ISSUER,
    Issuer,
    mint_token,
    unverified_claims,
)

AUDIENCE = "https://api.example.com"


class Served:
    """An issuer behind a real HTTP server on 127.0.0.1."""

    def __init__(self, issuer: Issuer) -> None:
        self.issuer = issuer
        self._server = make_server("127.0.0.1", 0, issuer, threaded=True)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def get(self, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.base + path, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 (loopback)
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    issuer = Issuer(tmp_path / "state")
    http = Served(issuer)
    yield http
    http.close()
    issuer.close()


def test_discovery_names_the_fixed_issuer_and_the_loopback_jwks(served: Served) -> None:
    status, headers, body = served.get(DISCOVERY_PATH)
    assert status == 200 and headers["Content-Type"] == "application/json"
    discovery = json.loads(body)
    assert discovery["issuer"] == LOCAL_ISSUER == "https://auth.deployer.localhost/"
    # The JWKS lives where the client reached the issuer: the emulator's own endpoint.
    assert discovery["jwks_uri"] == served.base + "/_deployer/oidc/jwks.json"
    assert discovery["id_token_signing_alg_values_supported"] == ["RS256"]


def test_discovery_names_the_emulators_endpoint_when_the_issuer_knows_it(tmp_path) -> None:
    issuer = Issuer(tmp_path, endpoint="http://127.0.0.1:4566/")
    http = Served(issuer)
    try:
        _, _, body = http.get(DISCOVERY_PATH)
        assert json.loads(body)["jwks_uri"] == "http://127.0.0.1:4566" + JWKS_PATH
    finally:
        http.close()


def test_the_jwks_holds_the_public_key_only_with_its_rfc7638_thumbprint(served: Served) -> None:
    status, headers, body = served.get(JWKS_PATH)
    assert status == 200 and "max-age" in headers["Cache-Control"]
    (key,) = json.loads(body)["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)  # nothing private
    assert key["kid"] == served.issuer.kid
    # Another library's RFC 7638 thumbprint of the same key is the kid.
    assert (
        RSAKey.import_key({"kty": "RSA", "n": key["n"], "e": key["e"]}).thumbprint() == (key["kid"])
    )
    public = jwt.PyJWK(key).key
    assert public.key_size == 2048


def test_other_paths_and_methods_answer_json_errors(served: Served) -> None:
    status, headers, body = served.get("/_deployer/oidc/token")
    assert (status, json.loads(body)) == (404, {"message": "Not Found"})
    assert headers["Content-Type"] == "application/json"
    status, headers, body = served.get(JWKS_PATH, method="POST")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    status, _, body = served.get(JWKS_PATH, method="HEAD")
    assert status == 200 and body == b""


def test_the_private_key_file_is_the_owners_only_and_goes_with_the_issuer(tmp_path) -> None:
    issuer = Issuer(tmp_path)
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in path.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]  # no temporary file left
    issuer.close()
    assert not path.exists()
    issuer.close()  # twice is fine


def test_each_start_has_its_own_key(tmp_path) -> None:
    first = Issuer(tmp_path)
    second = Issuer(tmp_path)
    assert first.kid != second.kid
    token = mint_token(tmp_path, AUDIENCE)
    assert jwt.get_unverified_header(token)["kid"] == second.kid
    first.close()  # not its key any more: the file stays
    assert (tmp_path / KEY_FILE).exists()
    second.close()
    assert not (tmp_path / KEY_FILE).exists()


def test_the_servers_issuer_removes_its_key_when_the_server_stops(tmp_path) -> None:
    emulator_process.started(tmp_path, "http://127.0.0.1:4566")
    try:
        issuer = Issuer.for_current_process()
        assert issuer.endpoint == "http://127.0.0.1:4566"
        assert issuer.key_path.exists()
    finally:
        emulator_process.stopping()
    assert not (tmp_path / KEY_FILE).exists()


def test_a_minted_token_verifies_with_the_served_jwks(served: Served) -> None:
    token = mint_token(
        served.issuer.state_dir,
        AUDIENCE,
        scopes=["items:read", "items:write"],
        subject="alice",
        expires_in=600,
    )
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"] == served.issuer.kid
    keys = jwt.PyJWKClient(served.base + JWKS_PATH)
    claims = jwt.decode(
        token,
        keys.get_signing_key_from_jwt(token).key,
        algorithms=["RS256"],
        audience=AUDIENCE,
        issuer=LOCAL_ISSUER,
    )
    assert claims["sub"] == "alice" and claims["aud"] == AUDIENCE
    assert claims["scope"] == "items:read items:write"
    assert claims["iat"] == claims["nbf"] and claims["exp"] - claims["iat"] == 600
    assert abs(claims["iat"] - time.time()) < 5
    assert len(claims["jti"]) >= 16
    assert claims["jti"] != unverified_claims(mint_token(served.issuer.state_dir, AUDIENCE))["jti"]


def test_another_library_verifies_a_minted_token_with_the_jwks(served: Served) -> None:
    token = mint_token(served.issuer.state_dir, [AUDIENCE, "second"], scopes=["a"])
    key = RSAKey.import_key(served.issuer.jwks()["keys"][0])
    decoded = jose_jwt.decode(token, key, algorithms=["RS256"])
    assert decoded.claims["iss"] == LOCAL_ISSUER
    assert decoded.claims["aud"] == [AUDIENCE, "second"]  # several audiences: a list
    assert decoded.header["kid"] == served.issuer.kid


def test_a_token_without_scopes_has_no_scope_claim_and_extra_claims_are_added(tmp_path) -> None:
    Issuer(tmp_path)
    claims = unverified_claims(mint_token(tmp_path, AUDIENCE, extra_claims={"groups": ["x"]}))
    assert "scope" not in claims and claims["groups"] == ["x"]
    assert claims["sub"] == "local-user"


def test_minting_without_a_key_says_how_to_get_one(tmp_path) -> None:
    with pytest.raises(DeployerError) as error:
        mint_token(tmp_path, AUDIENCE)
    assert "no token signing key" in error.value.message
    assert "deployer local stop" in error.value.message


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"audience": ""}, "audience"),
        ({"audience": AUDIENCE, "scopes": ["a b"]}, "space"),
        ({"audience": AUDIENCE, "subject": ""}, "subject"),
        ({"audience": AUDIENCE, "expires_in": 0}, "at least one second"),
    ],
)
def test_bad_token_requests_are_user_errors(tmp_path, kwargs, words) -> None:
    Issuer(tmp_path)
    with pytest.raises(UserInputError) as error:
        mint_token(tmp_path, **kwargs)
    assert words in error.value.message
