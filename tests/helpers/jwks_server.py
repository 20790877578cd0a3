"""A JWKS endpoint on 127.0.0.1 for authorizer tests: counts fetches, can misbehave on demand."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JWKS_PATH = "/.well-known/jwks.json"
# How long a "slow" answer may hang at most: far beyond any JWKS timeout the tests set.
SLOW_LIMIT_SECONDS = 30


class JwksServer:
    """Serves `keys` at JWKS_PATH. `mode`: ok | error (503) | garbage (not JSON) | slow."""

    def __init__(self) -> None:
        self.keys: list[dict] = []
        self.mode = "ok"
        self.body: bytes | None = None  # overrides the answer in "ok" mode when set
        self._fetches = 0
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{JWKS_PATH}"

    @property
    def fetches(self) -> int:
        """How many times the JWKS was requested."""
        with self._lock:
            return self._fetches

    def start(self) -> JwksServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # let a "slow" answer finish so its thread ends
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server._lock:
                    server._fetches += 1
                if self.path != JWKS_PATH:
                    self._answer(404, b"not found", "text/plain")
                elif server.mode == "error":
                    self._answer(503, b"unavailable", "text/plain")
                elif server.mode == "garbage":
                    self._answer(200, b"<html>definitely not a JWKS</html>", "text/html")
                else:
                    if server.mode == "slow":
                        server._release.wait(SLOW_LIMIT_SECONDS)
                    body = server.body or json.dumps({"keys": server.keys}).encode()
                    self._answer(200, body, "application/json")

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout): that is the point of "slow"

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
