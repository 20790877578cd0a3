"""The emulator's JWT authorizer against tokens it once let through: a `crit` header PyJWT
understands (`b64`), and time claims JSON parses but that are no numbers (NaN, Infinity,
1e400). Tokens are signed with the emulator's own issuer key.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from deployer.emulator.issuer_keys import IssuerKeys
from deployer.emulator.jwt_authorizer import JwtAuthorizerConfig, check
from deployer.emulator.oidc import LOCAL_ISSUER, Issuer

AUDIENCE = "https://api.example.com"
CONFIG = JwtAuthorizerConfig(issuer=LOCAL_ISSUER, audiences=(AUDIENCE,))


@pytest.fixture
def issuer(tmp_path: Path) -> Iterator[Issuer]:
    local = Issuer(tmp_path)
    yield local
    local.close()


def signed(issuer: Issuer, claims: bytes | None = None, **header) -> str:
    """A token signed with the issuer's key; `claims` are the payload's exact bytes."""
    if claims is None:
        now = int(time.time())
        good = {"iss": LOCAL_ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": now + 300}
        claims = json.dumps(good).encode()
    key = serialization.load_pem_private_key(issuer.key_path.read_bytes(), password=None)
    return jwt.PyJWS().encode(claims, key, algorithm="RS256", headers={"kid": issuer.kid, **header})


def decide(issuer: Issuer, token: str):
    return check(CONFIG, {"authorization": f"Bearer {token}"}, [], IssuerKeys(local=issuer))


def test_the_good_token_of_these_tests_is_allowed(issuer):
    assert decide(issuer, signed(issuer)).allowed


@pytest.mark.parametrize(
    "header",
    [{"crit": ["b64"], "b64": True}, {"crit": ["exp"]}, {"crit": []}, {"crit": "b64"}],
    ids=["b64-understood-by-pyjwt", "names-a-claim", "empty", "not-a-list"],
)
def test_a_crit_header_is_refused_for_what_it_is(issuer, header):
    decision = decide(issuer, signed(issuer, **header))
    assert (decision.status, decision.reason) == (401, "unsupported_critical_header")
    assert (
        'error_description="the token has a critical header (crit) not understood"'
        in (dict(decision.headers)["www-authenticate"])
    )


def test_the_algorithm_is_checked_before_crit(issuer):
    token = signed(issuer, crit=["exp"])
    header = jwt.utils.base64url_encode(json.dumps({"alg": "none", "crit": ["exp"]}).encode())
    forged = header.decode() + token[token.index(".") :]
    assert decide(issuer, forged).reason == "algorithm"


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_time_claim_beyond_finite_numbers_is_malformed(issuer, claim, value):
    now = int(time.time())
    claims = {"iss": LOCAL_ISSUER, "aud": AUDIENCE, "sub": "alice", "exp": now + 300}
    raw = json.dumps({**claims, claim: 0}).replace(f'"{claim}": 0', f'"{claim}": {value}')
    decision = decide(issuer, signed(issuer, raw.encode()))
    assert (decision.status, decision.reason) == (401, "malformed")
    assert f"the token's {claim} is not a number" in dict(decision.headers)["www-authenticate"]


def test_padded_segments_are_still_read(issuer):
    # Some issuers (AWS ALB) pad their base64url segments; PyJWT accepts them, so does this.
    header, payload, _ = signed(issuer).split(".")
    header += "=" * (-len(header) % 4) or "=="  # padded even when no padding is due
    key = serialization.load_pem_private_key(issuer.key_path.read_bytes(), password=None)
    signature = key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    token = f"{header}.{payload}.{jwt.utils.base64url_encode(signature).decode()}"
    assert decide(issuer, token).allowed
