"""Each branch's site, served as Amplify Hosting serves it, at the branch's own host name:

    https://<branch>.<app id>.amplifyapp.localhost:<port>/<path>

(`<branch>` is the branch name with `/` written `-`, as `modules/amplify_app` prints it.)
Browsers resolve every `*.localhost` name to loopback by themselves, so the URL works as it
is; clients that ask the system resolver connect to 127.0.0.1 and send the host name.

What a request gets: the app's custom rules first (`rules.py`), then the file at the path
(`/` and folders: their `index.html`), else 404. A branch (or else its app) with basic auth
enabled asks for the credentials first. Plain HTTP is redirected to HTTPS, as on AWS.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import mimetypes
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from deployer.emulator.amplify import rules
from deployer.emulator.amplify.backend import App, Backend, Branch

SITE_DOMAIN = "amplifyapp.localhost"
_TYPES = {
    ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json",
    ".map": "application/json", ".webp": "image/webp", ".woff": "font/woff",
    ".woff2": "font/woff2", ".ttf": "font/ttf", ".svg": "image/svg+xml",
    ".wasm": "application/wasm", ".webmanifest": "application/manifest+json",
}  # fmt: skip
_NOT_FOUND = b"<html><head><title>404 Not Found</title></head><body>404 Not Found</body></html>"
_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 401: "Unauthorized",
            404: "Not Found", 405: "Method Not Allowed", 502: "Bad Gateway"}  # fmt: skip


def site_host(environ: dict[str, Any]) -> tuple[str, str] | None:
    """(branch label, app id) when the request's host is a branch's site, else None."""
    host = environ.get("HTTP_HOST", "").rsplit(":", 1)[0].lower().rstrip(".")
    suffix = "." + SITE_DOMAIN
    if not host.endswith(suffix):
        return None
    parts = host[: -len(suffix)].split(".")
    return (parts[0], parts[1]) if len(parts) == 2 and all(parts) else None


class Sites:
    """The WSGI application for requests whose host is a branch's site."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        status, headers, body = self._answer(environ)
        headers.append(("Content-Length", str(len(body))))
        start_response(f"{status} {_REASONS.get(status, '')}".strip(), headers)
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]

    def _answer(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        label, app_id = site_host(environ) or ("", "")
        found = self.backend.site_of_host(app_id, label)
        if found is None:
            return _not_found()
        app, branch = found
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
        raw_path, _, query = raw.partition("?")
        if environ.get("wsgi.url_scheme") != "https":
            host = environ.get("HTTP_HOST", "")
            return 301, [("Location", f"https://{host}{raw}")], b""
        if environ.get("REQUEST_METHOD", "GET").upper() not in ("GET", "HEAD"):
            return 405, [("Allow", "GET, HEAD"), ("Content-Type", "text/plain")], b""
        credentials = _credentials(app, branch)
        if credentials is not None and not _authorized(environ, credentials):
            challenge = f'Basic realm="{branch.name}", charset="UTF-8"'
            return (
                401,
                [("WWW-Authenticate", challenge), ("Content-Type", "text/plain")],
                (b"Unauthorized"),
            )
        with self.backend.lock:
            folder = branch.site
            custom = list(app.attrs.get("customRules") or [])
        if folder is None:
            return _not_found()  # nothing deployed yet
        path = unquote(raw_path) or "/"
        outcome = rules.apply(custom, path, lambda p: _file(folder, p) is not None)
        if outcome is None:
            return _serve(folder, path, 200)
        if outcome.redirect:
            location = outcome.target
            if query and "?" not in location:
                location += "?" + query
            return int(outcome.status), [("Location", location)], b""
        if "://" in outcome.target:
            # A rewrite to another host is a reverse proxy on AWS: not emulated.
            message = f"rewrite to {outcome.target} (a proxy) is not emulated\n".encode()
            return 502, [("Content-Type", "text/plain")], message
        status = 404 if outcome.status == rules.NOT_FOUND else 200
        return _serve(folder, outcome.target.split("?")[0], status)


def _serve(folder: Path, path: str, status: int) -> tuple[int, list[tuple[str, str]], bytes]:
    file = _file(folder, path)
    if file is None:
        return _not_found()
    try:
        body = file.read_bytes()
    except OSError:  # replaced by a new deployment meanwhile
        return _not_found()
    return status, [("Content-Type", _content_type(file.name))], body


def _file(folder: Path, path: str) -> Path | None:
    """The file of the site that `path` names (`/`, folders: index.html), or None."""
    relative = path.lstrip("/")
    if not relative or relative.endswith("/"):
        relative += "index.html"
    if any(part == ".." for part in relative.split("/")):
        return None
    candidate = folder / relative
    if candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def _content_type(name: str) -> str:
    suffix = Path(name).suffix.lower()
    kind = _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in ("application/json", "application/javascript"):
        kind += "; charset=utf-8"
    return kind


def _not_found() -> tuple[int, list[tuple[str, str]], bytes]:
    return 404, [("Content-Type", "text/html; charset=utf-8")], _NOT_FOUND


def _credentials(app: App, branch: Branch) -> bytes | None:
    """The `user:password` the site asks for, or None for a public site."""
    for attrs in (branch.attrs, app.attrs):
        if attrs.get("enableBasicAuth"):
            try:
                return base64.b64decode(str(attrs.get("basicAuthCredentials") or ""), validate=True)
            except (binascii.Error, ValueError):
                return b"\0"  # unreadable credentials: nobody gets in, as nobody could
    return None


def _authorized(environ: dict[str, Any], credentials: bytes) -> bool:
    scheme, _, value = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return bool(credentials) and hmac.compare_digest(given, credentials)
