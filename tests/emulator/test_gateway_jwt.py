"""JWT authorizers on the served API, end to end over HTTP: the emulator's own OIDC issuer
(discovery and JWKS on loopback), tokens minted from its key as `deployer token` mints
them, and API Gateway's answers for every way a token can be wrong."""

from __future__ import annotations

import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from helpers.served_api import HttpApi, deploy_function
from joserfc import jwt as jose_jwt
from joserfc.jwk import RSAKey

from deployer.emulator import LOCAL_ISSUER, mint_token, state_dir
from deployer.emulator.oidc import KEY_FILE

AUDIENCE = "https://api.example.com"

CONTEXT = """
def handler(event, context):
    return event["requestContext"]["authorizer"]
"""


@pytest.fixture(scope="module")
def api(server):
    api = HttpApi(server)
    authorizer = api.client.create_authorizer(
        ApiId=api.id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": LOCAL_ISSUER, "Audience": [AUDIENCE]},
    )["AuthorizerId"]
    api.route(
        "GET /items",
        deploy_function(server, {"handler.py": CONTEXT}),
        AuthorizationType="JWT",
        AuthorizerId=authorizer,
        AuthorizationScopes=["items:read"],
    )
    return api


@pytest.fixture(scope="module")
def folder(server, emulator_project):
    return state_dir(emulator_project)


def get(api, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{api.url}/items", headers=headers, timeout=30)


def test_the_emulator_serves_its_issuer_documents(server):
    discovery = requests.get(
        f"{server.endpoint}/_deployer/oidc/.well-known/openid-configuration", timeout=30
    ).json()
    assert discovery["issuer"] == LOCAL_ISSUER
    keys = requests.get(discovery["jwks_uri"], timeout=30).json()["keys"]
    assert keys and keys[0]["kty"] == "RSA" and "d" not in keys[0]


def test_a_good_token_reaches_the_function_with_its_claims(api, folder):
    token = mint_token(folder, AUDIENCE, scopes=["items:read", "items:write"], subject="ann")
    answer = get(api, token)
    assert answer.status_code == 200, answer.text
    context = answer.json()["jwt"]
    assert context["claims"]["sub"] == "ann"
    assert context["claims"]["iss"] == LOCAL_ISSUER
    assert context["scopes"] == ["items:read", "items:write"]


def test_a_token_without_the_routes_scope_is_403(api, folder):
    answer = get(api, mint_token(folder, AUDIENCE, scopes=["items:write"]))
    assert answer.status_code == 403 and answer.json() == {"message": "Forbidden"}
    assert 'error="insufficient_scope"' in answer.headers["www-authenticate"]


def test_no_token_an_expired_one_or_a_foreign_key_is_401(api, folder):
    assert get(api, None).status_code == 401
    expired = mint_token(
        folder, AUDIENCE, scopes=["items:read"], extra_claims={"exp": int(time.time()) - 60}
    )
    answer = get(api, expired)
    assert answer.status_code == 401 and answer.json() == {"message": "Unauthorized"}
    assert "expired" in answer.headers["www-authenticate"]
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = jwt.get_unverified_header(mint_token(folder, AUDIENCE))["kid"]
    forged = jwt.encode(
        {
            "iss": LOCAL_ISSUER,
            "aud": AUDIENCE,
            "sub": "eve",
            "scope": "items:read",
            "exp": int(time.time()) + 60,
        },
        other_key,
        algorithm="RS256",
        headers={"kid": kid},
    )
    assert get(api, forged).status_code == 401
    wrong_audience = mint_token(folder, "https://elsewhere.example", scopes=["items:read"])
    assert get(api, wrong_audience).status_code == 401


def test_a_token_signed_by_another_jwt_library_is_accepted(api, folder):
    pem = (folder / KEY_FILE).read_text()
    kid = jwt.get_unverified_header(mint_token(folder, AUDIENCE))["kid"]
    token = jose_jwt.encode(
        {"alg": "RS256", "kid": kid, "typ": "JWT"},
        {
            "iss": LOCAL_ISSUER,
            "aud": AUDIENCE,
            "sub": "joe",
            "scope": "items:read",
            "exp": int(time.time()) + 60,
        },
        RSAKey.import_key(pem),
    )
    answer = get(api, token)
    assert answer.status_code == 200 and answer.json()["jwt"]["claims"]["sub"] == "joe"
