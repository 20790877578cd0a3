"""The emulator's HTTP application: moto's server app behind a thin layer of our own.

The layer adds what a long Terraform run against a local server needs and moto lacks:

- a health endpoint (`HEALTH_PATH`) the deployer polls to know the server is its own;
- an operation moto lacks, or an emulator bug, answers HTTP 501 with a message naming
  the operation, instead of moto's HTTP 500, which AWS SDKs retry for many minutes
  (it looked like a hang). SDKs do not retry 501;
- a retried call is answered, not run twice. AWS SDKs send the same
  `amz-sdk-invocation-id` header on every attempt of one call. When an attempt's answer
  does not reach the SDK (seen only on loaded machines), it sends the call again; moto
  would run it again, and a create that already happened then fails with "already
  exists" until the provider gives up (CreateFunction), or leaves a twin behind
  (AddPermission). Here the later attempt gets the answer the first one produced, which
  is what it would have read had the answer arrived.

The moto additions themselves are in `deployer/emulator/patches.py`. Mounted beside moto:
the served HTTP APIs (`gateway/`, under `PREFIX`), the OIDC issuer, and Amplify, which moto
lacks (`amplify/`: calls signed for `amplify`, its upload URLs, and requests whose host is
a branch's site).
"""

from __future__ import annotations

import io
import json
import sys
import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)

from deployer.emulator import amplify as emulator_amplify
from deployer.emulator import gateway as emulator_gateway
from deployer.emulator import jwt_authorizer
from deployer.emulator import patches as emulator_patches
from deployer.emulator.gateway.request_authorizer import Decision
from deployer.emulator.gateway.responses import gateway_error
from deployer.emulator.issuer_keys import IssuerKeys
from deployer.emulator.oidc import OIDC_PREFIX, Issuer
from deployer.emulator.state import HEALTH_PATH

# Services whose APIs speak JSON even on GET requests that carry no Content-Type.
_REST_JSON_SERVICES = {"lambda", "apigateway", "execute-api", "logs", "secretsmanager", "amplify"}

# Reads change nothing, so running them again is already the right answer.
_READ_METHODS = {"GET", "HEAD", "OPTIONS"}

# How many answered calls are kept for retries: a Terraform run retries within seconds.
REPLAY_MEMORY = 2048

# How long a retry waits for the first attempt of its call, still running, to answer.
REPLAY_WAIT_SECONDS = 300.0


@dataclass(frozen=True)
class Answer:
    """One complete HTTP answer: what a retried call is given again."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes


def build_app(health: dict[str, Any]) -> Callable:
    """moto's server application with our additions, a health endpoint and 501s for gaps."""
    emulator_patches.apply()
    app = EmulatorApp(DomainDispatcherApplication(create_backend_app), health)
    emulator_gateway.install(app.gateway)
    return app


def _jwt_check(keys: IssuerKeys) -> Callable:
    """API Gateway's JWT authorizer, with the keys of the local issuer and of any other."""

    def check(authorizer: Any, request: Any, scopes: list[str]) -> Decision:
        decision = jwt_authorizer.check(
            authorizer, request.headers, scopes, keys, query=request.query
        )
        if decision.allowed:
            return Decision(True, context=decision.authorizer_context())
        response = gateway_error(decision.status, decision.message, list(decision.headers))
        return Decision(False, response=response, reason=f"JWT: {decision.reason}")

    return check


def handler() -> type:
    """The request handler class moto's own server uses (it keeps underscored headers)."""
    return MotoRequestHandler


class EmulatorApp:
    """Health endpoint, 501s for moto's 500s, and one answer per SDK call (see above)."""

    def __init__(self, app: Callable, health: dict[str, Any]) -> None:
        self.app = app
        self.health = health
        self.replays = Replays()
        self.issuer: Issuer | None = None
        self.gateway = emulator_gateway.Gateway(self._jwt_check)
        # moto has no Amplify: its API, uploads and sites are ours (deployer/emulator/amplify/).
        self.amplify = emulator_amplify.Amplify()

    def serving(self) -> None:
        """The server listens: the parts that need its folder and endpoint start now (the
        issuer's key must exist before anyone asks `deployer token` for a token)."""
        self.issuer = Issuer.for_current_process()

    def _jwt_check(self) -> Callable:
        return _jwt_check(IssuerKeys(local=self.issuer))

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH:
            body = json.dumps(self.health).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        if self.amplify.is_site(environ):
            return self.amplify.site(environ, start_response)
        path = environ.get("PATH_INFO", "")
        if path.startswith(emulator_amplify.UPLOAD_PREFIX):
            return self.amplify.uploads(environ, start_response)
        if path.startswith(emulator_gateway.PREFIX):
            return self.gateway(environ, start_response)
        if path.startswith(OIDC_PREFIX) and self.issuer is not None:
            return self.issuer(environ, start_response)
        _remember_query_action(environ)
        app = self.amplify.api if _service(environ) == "amplify" else self.app
        answer = self.replays.answer(environ, lambda env: self._run(env, app))
        start_response(answer.status, answer.headers)
        return [answer.body]

    def _run(self, environ: dict[str, Any], app: Callable) -> Answer:
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list, exc_info: Any = None) -> Callable:
            if status.startswith("500"):
                status = "501 Not Implemented"
            seen["status"], seen["headers"] = status, list(headers)
            return lambda data: seen.setdefault("written", []).append(data)

        try:
            chunks = app(environ, capture)
            try:
                streamed = b"".join(chunks)
                body = b"".join(seen.pop("written", [])) + streamed
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()
        except NotImplementedError as exc:
            return _error(environ, "NotImplemented", _gap_message(environ, exc))
        except Exception as exc:
            traceback.print_exc(file=sys.stdout)
            message = (
                f"the local emulator failed on {_operation(environ)}: "
                f"{type(exc).__name__}: {exc} (see .deployer/local/moto.log)"
            )
            return _error(environ, "EmulatorError", message)
        return Answer(seen["status"], seen["headers"], body)


class Replays:
    """The answers given to recent SDK calls that change something, by invocation id."""

    def __init__(self, memory: int = REPLAY_MEMORY, wait: float = REPLAY_WAIT_SECONDS) -> None:
        self.memory = memory
        self.wait = wait
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._running: dict[str, threading.Event] = {}

    def answer(self, environ: dict[str, Any], run: Callable[[dict[str, Any]], Answer]) -> Answer:
        """Run the call, or give a retry of an answered call the answer it already got."""
        call = environ.get("HTTP_AMZ_SDK_INVOCATION_ID", "")
        if not call or environ.get("REQUEST_METHOD", "GET").upper() in _READ_METHODS:
            return run(environ)
        while True:
            with self._lock:
                if call in self._answers:
                    answer = self._answers[call]
                    print(
                        f"deployer emulator: {_operation(environ)} is a retry "
                        f"({environ.get('HTTP_AMZ_SDK_REQUEST', 'attempt unknown')}) of a call "
                        "already answered; it gets the same answer",
                        flush=True,
                    )
                    return answer
                running = self._running.get(call)
                if running is None:
                    running = self._running[call] = threading.Event()
                    break
            # An earlier attempt of this call is still being answered: wait for it.
            if not running.wait(self.wait):
                return run(environ)
        try:
            answer = run(environ)
            if answer.status.startswith("2"):
                with self._lock:
                    self._answers[call] = answer
                    while len(self._answers) > self.memory:
                        self._answers.popitem(last=False)
            return answer
        finally:
            with self._lock:
                del self._running[call]
            running.set()


def _remember_query_action(environ: dict[str, Any]) -> None:
    """Query-protocol calls name their operation in the form body: keep it for messages."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return
    try:
        size = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    body = environ["wsgi.input"].read(size) if size else b""
    environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
    action = parse_qs(body.decode(errors="replace")).get("Action")
    if action:
        environ["deployer.action"] = action[0]


def _service(environ: dict[str, Any]) -> str:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        return auth.split("Credential=")[1].split(",")[0].split("/")[3].lower()
    except IndexError:
        return ""


def _operation(environ: dict[str, Any]) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    name = target.split(".")[-1] if target else environ.get("deployer.action", "")
    if not name:
        name = f"{environ.get('REQUEST_METHOD', '')} {environ.get('PATH_INFO', '')}"
    return f"{_service(environ) or 'AWS'} {name}".strip()


def _gap_message(environ: dict[str, Any], exc: NotImplementedError) -> str:
    return (
        f"the local emulator does not implement {_operation(environ)} ({exc}); on an emulated "
        "environment, leave out the setting that needs it (see docs/local.md)"
    )


def _error(environ: dict[str, Any], code: str, message: str) -> Answer:
    service = _service(environ)
    content_type = environ.get("CONTENT_TYPE", "")
    if "json" in content_type or service in _REST_JSON_SERVICES:
        body = json.dumps({"__type": code, "message": message, "Message": message})
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    else:
        error = f"<Code>{code}</Code><Message>{escape(message)}</Message>"
        if service == "ec2":
            body = f"<Response><Errors><Error>{error}</Error></Errors></Response>"
        elif service == "s3":
            body = f"<Error>{error}</Error>"
        else:
            body = f"<ErrorResponse><Error><Type>Receiver</Type>{error}</Error></ErrorResponse>"
        headers = [("Content-Type", "text/xml")]
    return Answer("501 Not Implemented", headers, body.encode())
