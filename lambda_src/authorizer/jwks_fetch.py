"""One JWKS fetch under one deadline: connect, TLS handshake, request and every read share it.

A socket timeout (what urllib and PyJWKClient offer) bounds each operation, not the fetch: an
issuer that accepts the connection and trickles a byte a second never trips it, and keeps the
function running until Lambda kills it. Here each socket operation is given only the time left
before the deadline, and the caller waits for the whole fetch no longer than the deadline
(name resolution has no timeout of its own: the fetch runs in a thread for that reason).
"""

from __future__ import annotations

import http.client
import io
import json
import socket
import ssl
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from jwt import PyJWK, PyJWKSet

# A JWKS is a few kilobytes; an issuer streaming more is not sending one.
MAX_JWKS_BYTES = 512 * 1024

# Kept back from the time Lambda leaves the invocation, for deciding and answering once a
# fetch has given up: the deny must be sent before the function's timeout, not at it.
ANSWER_RESERVE_SECONDS = 0.5

_TLS = ssl.create_default_context()


class FetchError(Exception):
    """The JWKS could not be read; the message is ours (never the issuer's bytes)."""


class DeadlineExceeded(FetchError):
    """The fetch did not finish within its deadline."""


def fetch_budget(default: float, remaining: float | None) -> float:
    """Seconds a fetch may take: `default`, cut to the invocation's `remaining` time if known."""
    if remaining is None:
        return default
    return max(0.0, min(default, remaining - ANSWER_RESERVE_SECONDS))


def fetch_signing_keys(url: str, budget: float) -> list[PyJWK]:
    """The signing keys (`use` "sig" or unset, with a `kid`) of the JWKS at `url`.

    Raises DeadlineExceeded when the fetch takes longer than `budget` seconds, FetchError
    or a JWT/JSON error when the answer is not a usable JWKS.
    """
    data = fetch_json(url, budget)
    if not isinstance(data, dict):
        raise FetchError("the JWKS is not a JSON object")
    return [
        key
        for key in PyJWKSet.from_dict(data).keys
        if key.public_key_use in ("sig", None) and key.key_id
    ]


def fetch_json(url: str, budget: float) -> Any:
    """GET `url` and parse its JSON body, all within `budget` seconds."""
    if budget <= 0:
        raise DeadlineExceeded("no time left for a fetch")
    deadline = time.monotonic() + budget
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["body"] = _get(url, deadline)
        except BaseException as exc:  # handed to the caller, who decides
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="jwks-fetch", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    if worker.is_alive():
        # Only name resolution can still be running: every socket operation ends by the deadline.
        raise DeadlineExceeded(f"no answer within {budget:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return json.loads(outcome["body"])


def _get(url: str, deadline: float) -> bytes:
    parts = urlsplit(url)
    https = parts.scheme == "https"
    host = parts.hostname or ""
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    request = (
        f"GET {target} HTTP/1.1\r\n"
        f"Host: {parts.netloc.rpartition('@')[2]}\r\n"
        "User-Agent: deployer-authorizer\r\n"
        "Accept: application/json\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii")
    try:
        sock = socket.create_connection(
            (host, parts.port or (443 if https else 80)), _left(deadline)
        )
        try:
            if https:
                sock.settimeout(_left(deadline))  # the whole handshake, not each step of it
                sock = _TLS.wrap_socket(sock, server_hostname=host)
            sock.settimeout(_left(deadline))
            sock.sendall(request)
            return _read_body(http.client.HTTPResponse(_DeadlineSocket(sock, deadline)))
        finally:
            sock.close()
    except TimeoutError:
        raise DeadlineExceeded("the issuer did not answer by the deadline") from None


def _read_body(response: http.client.HTTPResponse) -> bytes:
    response.begin()
    if response.status != 200:
        raise FetchError(f"the JWKS endpoint answered HTTP {response.status}")
    body = response.read(MAX_JWKS_BYTES + 1)
    if len(body) > MAX_JWKS_BYTES:
        raise FetchError(f"the JWKS is larger than {MAX_JWKS_BYTES} bytes")
    return body


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the fetch deadline has passed")
    return left


class _DeadlineSocket:
    """What HTTPResponse reads from: the socket, each read given only the time left."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._raw = _DeadlineReader(sock, deadline)

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(self._raw)


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._sock.settimeout(_left(self._deadline))
        return self._sock.recv_into(buffer)
