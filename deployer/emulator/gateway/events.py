"""An HTTP request as API Gateway turns it into a payload-format-2.0 event, and the
event a Lambda REQUEST authorizer receives.

Header names are lower-cased and repeated headers joined with commas; cookies move from
the `cookie` header to `cookies`; repeated query parameters are joined with commas in
`queryStringParameters`; a body that is not text is base64 with `isBase64Encoded`.
Fields with nothing in them are left out, as API Gateway leaves them out.
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

ACCOUNT_ID = "123456789012"

# Not passed on: cookies have their own field, the rest is between client and gateway.
_HOP_BY_HOP = {"cookie", "connection", "keep-alive", "proxy-connection", "upgrade", "te"}

_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "application/graphql",
)


@dataclass
class Request:
    """What the gateway read from the client, before any route is chosen."""

    method: str
    path: str  # the path after the API (and stage) prefix, percent-decoded
    raw_path: str
    query: str
    headers: list[tuple[str, str]]  # names lower-cased, in the order received
    body: bytes
    source_ip: str
    protocol: str
    domain: str
    region: str = "us-east-1"
    api_id: str = ""
    received: float = field(default_factory=time.time)
    request_id: str = field(default_factory=lambda: _request_id())

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k == name]
        return ",".join(values) if values else None

    def joined_headers(self) -> dict[str, str]:
        joined: dict[str, str] = {}
        for name, value in self.headers:
            if name in _HOP_BY_HOP:
                continue
            joined[name] = f"{joined[name]},{value}" if name in joined else value
        return joined

    def cookies(self) -> list[str]:
        cookies: list[str] = []
        for name, value in self.headers:
            if name == "cookie":
                cookies.extend(c.strip() for c in value.split(";") if c.strip())
        return cookies

    def query_parameters(self) -> dict[str, str]:
        params: dict[str, str] = {}
        for name, value in parse_qsl(self.query, keep_blank_values=True):
            params[name] = f"{params[name]},{value}" if name in params else value
        return params


def _request_id() -> str:
    # API Gateway's request ids look like "JKJaXmPLvHcESHA=": 10 random bytes, base64.
    return base64.b64encode(secrets.token_bytes(10)).decode()


def _is_text(content_type: str | None, body: bytes) -> bool:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind and not (kind.startswith(_TEXT_TYPES) or kind.endswith(("+json", "+xml"))):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def request_context(
    request: Request, api_id: str, stage: str, route_key: str, authorizer: dict | None
) -> dict[str, Any]:
    domain = request.domain
    label = domain.split(".")[0]
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": api_id,
        "domainName": domain,
        # On AWS the first label of <api-id>.execute-api.<region>.amazonaws.com.
        "domainPrefix": api_id if not label or label.isdigit() or label == "localhost" else label,
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": request.header("user-agent") or "",
        },
        "requestId": request.request_id,
        "routeKey": route_key,
        "stage": stage,
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(request.received)),
        "timeEpoch": int(request.received * 1000),
    }
    if authorizer:
        context["authorizer"] = authorizer
    return context


def integration_event(
    request: Request,
    api_id: str,
    stage: str,
    route_key: str,
    path_parameters: dict[str, str],
    stage_variables: dict[str, str],
    authorizer: dict | None,
) -> dict[str, Any]:
    """The payload-format-2.0 event for the route's Lambda integration."""
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.query,
    }
    cookies = request.cookies()
    if cookies:
        event["cookies"] = cookies
    event["headers"] = request.joined_headers()
    params = request.query_parameters()
    if params:
        event["queryStringParameters"] = params
    event["requestContext"] = request_context(request, api_id, stage, route_key, authorizer)
    if request.body:
        if _is_text(request.header("content-type"), request.body):
            event["body"] = request.body.decode("utf-8")
            event["isBase64Encoded"] = False
        else:
            event["body"] = base64.b64encode(request.body).decode()
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    if path_parameters:
        event["pathParameters"] = {k: unquote(v) for k, v in path_parameters.items()}
    if stage_variables:
        event["stageVariables"] = dict(stage_variables)
    return event


def authorizer_event(
    request: Request,
    api_id: str,
    stage: str,
    route_key: str,
    path_parameters: dict[str, str],
    stage_variables: dict[str, str],
    identity_source: list[str],
) -> dict[str, Any]:
    """The payload-format-2.0 event of a Lambda REQUEST authorizer."""
    event = integration_event(
        request, api_id, stage, route_key, path_parameters, stage_variables, None
    )
    method, _, path = route_key.partition(" ")
    arn_path = request.raw_path if route_key == "$default" else path
    event.pop("body", None)
    event.pop("isBase64Encoded", None)
    event = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": f"arn:aws:execute-api:{request.region}:{ACCOUNT_ID}:{api_id}/{stage}/"
        f"{method if route_key != '$default' else request.method}{arn_path}",
        "identitySource": identity_source,
        **{k: v for k, v in event.items() if k != "version"},
    }
    return event
