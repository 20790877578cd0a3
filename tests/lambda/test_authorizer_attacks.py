"""lambda_src/authorizer under attack: issuers that stall, `crit` headers, time claims that
are not numbers. Real servers on 127.0.0.1, tokens signed with keys made here, and every
deny checked for the reason it logs (the same reason the emulator's JWT authorizer gives).
"""

from __future__ import annotations

import json
import logging
import math
import ssl
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from helpers.jwks_server import JwksServer
from helpers.lambda_harness import LAMBDA_SRC

from deployer.emulator.certificates import LocalCA
from deployer.emulator.issuer_keys import IssuerKeys
from deployer.emulator.jwt_authorizer import JwtAuthorizerConfig, check
from deployer.emulator.oidc import LOCAL_ISSUER, Issuer, public_jwk

AUDIENCE = "https://api.example.com"
DENY = {"isAuthorized": False, "context": {}}
MANIFEST = tomllib.loads((LAMBDA_SRC / "authorizer" / "function.toml").read_text())
FUNCTION_TIMEOUT = float(MANIFEST["timeout"])
# How long a stalling server keeps a connection at most: far beyond any deadline here.
STALL_LIMIT_SECONDS = 60


class LambdaContext:
    """Lambda's context as the runtime gives it: the time left runs down from the timeout."""

    def __init__(self, timeout_seconds: float) -> None:
        self._ends = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._ends - time.monotonic()) * 1000))


class IssuerServer:
    """An issuer's JWKS endpoint on 127.0.0.1 (http.server), answering `body` by `mode`.

    `ok`: at once; `trickle`: one byte per `interval` seconds; `hang`: not one byte, not even
    a TLS handshake. With `tls` (a folder), HTTPS with a certificate of a local CA there
    (`ca_file`). `connections` and `sent` (bytes) count what happened.
    """

    def __init__(self, mode: str, body: bytes, interval: float = 1.0, tls: Path | None = None):
        self.connections = 0
        self.sent = 0
        self._release = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def handle(self) -> None:
                owner.connections += 1
                if mode == "hang":
                    owner._release.wait(STALL_LIMIT_SECONDS)
                    return
                super().handle()

            def do_GET(self) -> None:
                head = (
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode()
                pieces = [head + body] if mode == "ok" else [bytes([b]) for b in head + body]
                for piece in pieces:
                    if mode == "trickle" and owner._release.wait(interval):
                        return
                    try:
                        self.wfile.write(piece)
                    except OSError:
                        return  # the client gave up: what a deadline is for
                    owner.sent += len(piece)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if tls is not None:
            ca = LocalCA.load_or_create(tls)
            issued = ca.issue(["localhost"], ["127.0.0.1"])
            (tls / "server.pem").write_bytes(issued.cert)
            (tls / "server-key.pem").write_bytes(issued.key)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(tls / "server.pem", tls / "server-key.pem")
            self._server.socket = context.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
            self.ca_file = ca.path
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}/.well-known/jwks.json"

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks_of(key: rsa.RSAPrivateKey) -> dict:
    return {"keys": [public_jwk(key.public_key())]}


def kid_of(key: rsa.RSAPrivateKey) -> str:
    return public_jwk(key.public_key())["kid"]


def payload(issuer: str = LOCAL_ISSUER, **overrides) -> dict:
    """Good claims, with `overrides` (a None value is written as JSON null)."""
    now = int(time.time())
    return {"iss": issuer, "aud": AUDIENCE, "sub": "alice", "iat": now, "nbf": now,
            "exp": now + 300, **overrides}  # fmt: skip


def token(key, claims: dict | bytes | None = None, **header) -> str:
    """An RS256 token signed with `key`; `claims` raw bytes are signed as they are."""
    raw = claims if isinstance(claims, bytes) else json.dumps(claims or payload()).encode()
    return jwt.PyJWS().encode(raw, key, algorithm="RS256", headers={"kid": kid_of(key), **header})


class Container:
    """One authorizer container: its environment, then requests with a Lambda context."""

    def __init__(self, load, monkeypatch, jwks: JwksServer) -> None:
        self._load = load
        self._monkeypatch = monkeypatch
        self.jwks = jwks  # the issuer's JWKS, unless JWKS_URL is changed
        self.module = None
        self.env = {
            "JWT_ISSUER": LOCAL_ISSUER,
            "JWT_AUDIENCE": AUDIENCE,
            "JWKS_URL": jwks.url,
            "JWKS_TIMEOUT_SECONDS": MANIFEST["environment"]["JWKS_TIMEOUT_SECONDS"],
            "LOG_LEVEL": "INFO",
        }

    def __call__(self, bearer: str, context: LambdaContext | None = None) -> dict:
        if self.module is None:
            for name, value in self.env.items():
                self._monkeypatch.setenv(name, value)
            self.module = self._load("authorizer")
        event = {"headers": {"authorization": f"Bearer {bearer}"}, "routeKey": "GET /items"}
        return self.module.handler(event, context)


@pytest.fixture
def container(load_function, monkeypatch, key) -> Iterator[Container]:
    for name in ("TOKEN_USE", "REQUIRED_SCOPES", "JWKS_REFETCH_COOLDOWN_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    server = JwksServer().start()
    server.keys = jwks_of(key)["keys"]
    yield Container(load_function, monkeypatch, server)
    server.stop()


def logged(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "authorizer"]


def the_deny(caplog) -> dict:
    (line,) = [e for e in logged(caplog) if e["event"] in ("deny", "allow")]
    return line


def the_fetch_failure(caplog) -> dict:
    (line,) = [e for e in logged(caplog) if e["event"] == "jwks_fetch_failed"]
    return line


# --- a JWKS fetch has one deadline ---


@pytest.fixture
def serve(key) -> Iterator[Callable[..., IssuerServer]]:
    """`serve("trickle")`: an IssuerServer of the test key's JWKS, stopped after the test."""
    made: list[IssuerServer] = []

    def start(mode: str, **options) -> IssuerServer:
        made.append(IssuerServer(mode, json.dumps(jwks_of(key)).encode(), **options))
        return made[-1]

    yield start
    for server in made:
        server.stop()


def _denied_within(container, key, context, caplog) -> float:
    started = time.monotonic()
    with caplog.at_level(logging.INFO, logger="authorizer"):
        assert container(token(key), context) == DENY
    elapsed = time.monotonic() - started
    assert the_deny(caplog)["reason"] == "jwks_unavailable"
    return elapsed


def test_an_issuer_trickling_a_byte_a_second_is_cut_off_at_the_deadline(
    container, serve, key, caplog
):
    # Each byte comes well within any per-read timeout: only a deadline for the whole
    # fetch ends it. JWKS_TIMEOUT_SECONDS and the timeout are those of function.toml.
    server = serve("trickle")
    container.env["JWKS_URL"] = server.url()
    deadline = float(container.env["JWKS_TIMEOUT_SECONDS"])
    elapsed = _denied_within(container, key, LambdaContext(FUNCTION_TIMEOUT), caplog)
    assert deadline * 0.9 <= elapsed < FUNCTION_TIMEOUT
    assert server.sent >= 1  # the answer was on its way, slowly
    failure = the_fetch_failure(caplog)
    assert failure["error"] == "DeadlineExceeded"
    assert failure["deadline_seconds"] == deadline


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_an_issuer_that_never_answers_is_cut_off_within_the_time_lambda_leaves(
    container, serve, key, caplog, scheme
):
    # The setting allows 10 s, the invocation has 2 s: the deadline is what Lambda leaves,
    # less the time kept for answering. Over https the TLS handshake itself never completes.
    server = serve("hang")
    container.env["JWKS_URL"] = server.url(scheme)
    container.env["JWKS_TIMEOUT_SECONDS"] = "10"
    timeout = 2.0
    elapsed = _denied_within(container, key, LambdaContext(timeout), caplog)
    assert elapsed < timeout
    assert server.connections == 1 and server.sent == 0
    failure = the_fetch_failure(caplog)
    assert failure["error"] == "DeadlineExceeded"
    # Neither the setting (10 s) nor the whole invocation: what it leaves, less a reserve.
    assert timeout / 2 < failure["deadline_seconds"] < timeout
    assert elapsed >= failure["deadline_seconds"] * 0.9


def test_with_no_time_left_no_fetch_is_tried(container, serve, key, caplog):
    server = serve("hang")
    container.env["JWKS_URL"] = server.url()
    elapsed = _denied_within(container, key, LambdaContext(0.3), caplog)
    assert server.connections == 0  # no fetch was even started
    assert elapsed < 2.0  # a fetch of the hanging server would never end
    failure = the_fetch_failure(caplog)
    assert (failure["error"], failure["deadline_seconds"]) == ("DeadlineExceeded", 0)


def test_a_jwks_too_large_to_be_one_is_refused_and_said_so(container, key, caplog):
    container.jwks.body = b'{"keys": [' + b" " * (600 * 1024) + b"]}"
    with caplog.at_level(logging.INFO, logger="authorizer"):
        assert container(token(key), LambdaContext(FUNCTION_TIMEOUT)) == DENY
    failure = the_fetch_failure(caplog)
    assert failure["error"] == "FetchError" and "larger than" in failure["detail"]


def test_keys_are_fetched_over_https_within_the_deadline(container, serve, key, tmp_path,
                                                         monkeypatch):  # fmt: skip
    server = serve("ok", tls=tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))  # trust the local CA only
    container.env["JWKS_URL"] = server.url("https")
    allowed = container(token(key), LambdaContext(FUNCTION_TIMEOUT))
    assert allowed == {"isAuthorized": True, "context": {"sub": "alice", "scope": ""}}


# --- `crit`: no extension is understood, so any is refused (RFC 7515 §4.1.11) ---


@pytest.mark.parametrize(
    "header",
    [{"crit": ["exp"]}, {"crit": ["b64"], "b64": True}, {"crit": ["x-ext"], "x-ext": 1},
     {"crit": []}, {"crit": "b64"}, {"crit": None}],
    ids=["names-a-claim", "b64", "own-extension", "empty", "not-a-list", "null"],
)  # fmt: skip
def test_a_crit_header_is_denied_with_its_reason_before_any_fetch(container, key, caplog, header):
    with caplog.at_level(logging.INFO, logger="authorizer"):
        assert container(token(key, **header)) == DENY
    assert the_deny(caplog)["reason"] == "unsupported_critical_header"
    assert container.jwks.fetches == 0


# --- exp, nbf, iat: numbers or nothing ---

NOT_NUMBERS = {
    "digits": "1900000000",
    "words": "tomorrow",
    "true": True,
    "false": False,
    "null": None,
    "list": [1900000000],
    "object": {"at": 1900000000},
    "nan": math.nan,
    "infinity": math.inf,
}
CASES = [
    (claim, name)
    for claim in ("exp", "nbf", "iat")
    for name in NOT_NUMBERS
    if (claim, name) != ("exp", "null")  # a null exp is a missing one: below
]


@pytest.mark.parametrize(("claim", "value"), CASES, ids=[f"{c}-{n}" for c, n in CASES])
def test_a_time_claim_that_is_not_a_number_is_denied_as_malformed(
    container, key, caplog, claim, value
):
    with caplog.at_level(logging.INFO, logger="authorizer"):
        assert container(token(key, payload(**{claim: NOT_NUMBERS[value]}))) == DENY
    deny = the_deny(caplog)
    assert (deny["reason"], deny["claim"]) == ("malformed_token", claim)
    assert container.jwks.fetches == 0  # refused before any key is looked up


def test_a_null_exp_counts_as_no_exp(container, key, caplog):
    with caplog.at_level(logging.INFO, logger="authorizer"):
        assert container(token(key, payload(exp=None))) == DENY
    assert the_deny(caplog)["reason"] == "missing_claim"


def test_an_exp_beyond_any_float_is_malformed(container, key, caplog):
    claims = json.dumps(payload(exp=0)).replace('"exp": 0', '"exp": 1e400').encode()
    with caplog.at_level(logging.INFO, logger="authorizer"):
        assert container(token(key, claims)) == DENY
    deny = the_deny(caplog)
    assert (deny["reason"], deny["claim"]) == ("malformed_token", "exp")


def test_time_claims_may_be_integers_or_fractions(container, key):
    now = time.time()
    claims = payload(iat=now - 1.5, nbf=int(now), exp=now + 299.25)
    assert container(token(key, claims))["isAuthorized"] is True


# --- the same token, the same verdict in the emulator's JWT authorizer ---

# The Lambda's reason -> the emulator's, where both refuse a token.
SAME_REFUSAL = {
    "unsupported_critical_header": "unsupported_critical_header",
    "malformed_token": "malformed",
    "missing_claim": "no_expiry",
}
PARITY = {
    "crit": ({"crit": ["exp"]}, {}),
    "crit-b64": ({"crit": ["b64"], "b64": True}, {}),
    "exp-digits": ({}, {"exp": "1900000000"}),
    "exp-true": ({}, {"exp": True}),
    "exp-list": ({}, {"exp": [1900000000]}),
    "exp-nan": ({}, {"exp": math.nan}),
    "exp-infinity": ({}, {"exp": math.inf}),
    "nbf-digits": ({}, {"nbf": "1"}),
    "iat-false": ({}, {"iat": False}),
    "exp-null": ({}, {"exp": None}),
}


@pytest.fixture
def local_issuer(tmp_path) -> Iterator[Issuer]:
    issuer = Issuer(tmp_path)
    yield issuer
    issuer.close()


@pytest.mark.parametrize("case", list(PARITY))
def test_the_emulator_refuses_the_same_tokens_for_the_same_reason(
    container, local_issuer, caplog, case
):
    signer = serialization.load_pem_private_key(local_issuer.key_path.read_bytes(), None)
    container.jwks.keys = [dict(local_issuer.public_jwk)]
    header, overrides = PARITY[case]
    bearer = token(signer, payload(**overrides), **header)
    with caplog.at_level(logging.INFO, logger="authorizer"):
        assert container(bearer) == DENY
    reason = the_deny(caplog)["reason"]
    config = JwtAuthorizerConfig(issuer=LOCAL_ISSUER, audiences=(AUDIENCE,))
    decision = check(config, {"authorization": f"Bearer {bearer}"}, [],
                     IssuerKeys(local=local_issuer))  # fmt: skip
    assert (decision.status, decision.reason) == (401, SAME_REFUSAL[reason])
