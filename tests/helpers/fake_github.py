"""A local HTTP server standing in for GitHub's REST API: issue comments, pagination and
failures on demand (tests/review/test_github_comment.py, tests/workflows/)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "ghs_test_token_0123456789"
REPO = "octo-org/shop"
PR = 7


@dataclass
class Failure:
    """An answer the fake gives instead of the real one, `times` times."""

    method: str
    path_suffix: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict = field(default_factory=dict)
    times: int = 1
    html: str | None = None  # answer with this page instead of JSON


class FakeGitHub:
    """Just enough of GitHub's REST API for issue comments, pagination and failures."""

    def __init__(self, identity: dict | None, page_size: int = 100) -> None:
        # identity None: a GitHub Actions installation token (GET /user answers 403, and
        # comments are written as github-actions[bot]).
        self.identity = identity
        self.page_size = page_size
        self.comments: list[dict] = []
        self.requests: list[tuple[str, str]] = []
        self.failures: list[Failure] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    @property
    def writer(self) -> dict:
        return self.identity or {"login": "github-actions[bot]", "type": "Bot"}

    def add_comment(self, body: str, login: str, user_type: str = "User", pr: int = PR) -> int:
        with self._lock:
            comment_id = 1000 + len(self.comments)
            self.comments.append(
                {
                    "id": comment_id,
                    "pr": pr,
                    "body": body,
                    "user": {"login": login, "type": user_type},
                    "html_url": f"https://github.example/{REPO}/pull/{pr}#issuecomment-{comment_id}",
                }
            )
            return comment_id

    def comment(self, comment_id: int) -> dict:
        return next(c for c in self.comments if c["id"] == comment_id)

    def calls(self, method: str) -> list[str]:
        return [path for m, path in self.requests if m == method]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _send(
                self,
                status: int,
                body: object,
                headers: dict | None = None,
                html: str | None = None,
            ) -> None:
                data = html.encode() if html is not None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html" if html else "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length)) if length else None
                with fake._lock:
                    fake.requests.append((method, self.path))
                    for failure in fake.failures:
                        if (
                            failure.times > 0
                            and failure.method == method
                            and url.path.endswith(failure.path_suffix)
                        ):
                            failure.times -= 1
                            return self._send(
                                failure.status, failure.body, failure.headers, failure.html
                            )
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self._send(401, {"message": "Bad credentials"})
                return self._route(method, url, payload)

            def _route(self, method: str, url, payload: dict | None) -> None:
                parts = url.path.strip("/").split("/")
                if method == "GET" and parts == ["user"]:
                    if fake.identity is None:
                        return self._send(
                            403, {"message": "Resource not accessible by integration"}
                        )
                    return self._send(200, fake.identity)
                if len(parts) == 6 and parts[3] == "issues" and parts[5] == "comments":
                    pr = int(parts[4])
                    if method == "GET":
                        return self._list(url, pr)
                    if method == "POST":
                        new_id = fake.add_comment(
                            payload["body"], fake.writer["login"], fake.writer["type"], pr
                        )
                        return self._send(201, fake.comment(new_id))
                if method == "PATCH" and parts[3:5] == ["issues", "comments"]:
                    comment = fake.comment(int(parts[5]))
                    if comment["user"]["login"] != fake.writer["login"]:
                        return self._send(403, {"message": "Must have admin rights"})
                    comment["body"] = payload["body"]
                    return self._send(200, comment)
                return self._send(404, {"message": "Not Found"})

            def _list(self, url, pr: int) -> None:
                query = parse_qs(url.query)
                per_page = min(int(query.get("per_page", ["30"])[0]), fake.page_size)
                page = int(query.get("page", ["1"])[0])
                items = [c for c in fake.comments if c["pr"] == pr]
                chunk = items[(page - 1) * per_page : page * per_page]
                headers = {}
                if page * per_page < len(items):
                    next_url = f"{fake.url}{url.path}?per_page={per_page}&page={page + 1}"
                    headers["Link"] = f'<{next_url}>; rel="next"'
                return self._send(200, chunk, headers)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

        return Handler
