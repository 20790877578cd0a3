"""A Lambda result as API Gateway (HTTP API, payload format 2.0) turns it into a response,
and API Gateway's own error responses.

A result with a `statusCode` is a structured response (`statusCode`, `headers`,
`multiValueHeaders`, `cookies`, `body`, `isBase64Encoded`); any other JSON value is sent
as it is with status 200 and `content-type: application/json`. A structured response
that is not well formed is a 500 `{"message":"Internal Server Error"}`, as on AWS.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any


class MalformedResponse(ValueError):
    """The function's result cannot be a response (the log says why)."""


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @property
    def status_line(self) -> str:
        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "Unknown"
        return f"{self.status} {phrase}"

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def gateway_error(status: int, message: str, headers: list[tuple[str, str]] = ()) -> Response:
    """API Gateway's own answer: a JSON body `{"message": ...}`."""
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    return Response(status, [("content-type", "application/json"), *headers], body)


NOT_FOUND = "Not Found"
INTERNAL = "Internal Server Error"
UNAUTHORIZED = "Unauthorized"
FORBIDDEN = "Forbidden"
UNAVAILABLE = "Service Unavailable"
TOO_MANY = "Too Many Requests"
TOO_LARGE = "Request Entity Too Large"


def from_lambda(result: Any) -> Response:
    """The HTTP response for a function's (JSON-serialisable) result."""
    if not isinstance(result, dict) or "statusCode" not in result:
        body = json.dumps(result).encode()
        return Response(200, [("content-type", "application/json")], body)
    status = result["statusCode"]
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedResponse(f"statusCode {status!r} is not an HTTP status code")
    headers: list[tuple[str, str]] = []
    for name, value in _mapping(result, "headers").items():
        headers.append((str(name), _scalar(value, f"header {name}")))
    for name, values in _mapping(result, "multiValueHeaders").items():
        if not isinstance(values, list):
            raise MalformedResponse(f"multiValueHeaders.{name} is not a list")
        headers.extend((str(name), _scalar(v, f"header {name}")) for v in values)
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list):
        raise MalformedResponse("cookies is not a list")
    headers.extend(("set-cookie", _scalar(c, "cookie")) for c in cookies)
    body = result.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        raise MalformedResponse(f"body is a {type(body).__name__}, not a string")
    elif result.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedResponse("isBase64Encoded is true but body is not base64") from None
    else:
        data = body.encode("utf-8")
    if not any(k.lower() == "content-type" for k, _ in headers) and data:
        headers.append(("content-type", "application/json"))
    return Response(status, headers, data)


def _mapping(result: dict, key: str) -> dict:
    value = result.get(key) or {}
    if not isinstance(value, dict):
        raise MalformedResponse(f"{key} is not an object")
    return value


def _scalar(value: Any, what: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise MalformedResponse(f"{what} has a {type(value).__name__} value")
