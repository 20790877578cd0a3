"""Lambda REQUEST authorizers, as API Gateway runs them for HTTP APIs.

The identity sources are read first: when one is missing, the answer is 401 without
calling the function. Otherwise the authorizer function runs with a payload-2.0
authorizer event; with simple responses it answers `{"isAuthorized": bool, "context"}`,
otherwise an IAM policy (`principalId`, `policyDocument`, `context`) that must allow
`execute-api:Invoke` on the route's ARN. A deny is 403; an error, timeout or malformed
answer is 500. Results are cached for `authorizerResultTtlInSeconds`, keyed by the
identity source values, as on AWS.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from deployer.emulator.gateway import responses
from deployer.emulator.gateway.events import Request


@dataclass
class Decision:
    """Allowed (with what the integration sees as `requestContext.authorizer`) or a response."""

    allowed: bool
    context: dict | None = None
    response: responses.Response | None = None
    reason: str = ""


def identity_values(
    request: Request, sources: list[str], stage_variables: dict, context: dict[str, str]
) -> list | None:
    """The values of the identity sources, or None when one is missing or empty.

    `context`: the `$context.` variables known at this point (routeKey, stage, ...)."""
    values = []
    for source in sources or []:
        value = _identity(request, source.strip(), stage_variables, context)
        if not value:
            return None
        values.append(value)
    return values


def _identity(
    request: Request, source: str, stage_variables: dict, context: dict[str, str]
) -> str | None:
    if source.startswith("$request.header."):
        return request.header(source[len("$request.header.") :].lower())
    if source.startswith("$request.querystring."):
        return request.query_parameters().get(source[len("$request.querystring.") :])
    if source.startswith("$stageVariables."):
        return stage_variables.get(source[len("$stageVariables.") :])
    if source.startswith("$context."):
        known = {
            "httpMethod": request.method,
            "path": request.raw_path,
            "apiId": request.api_id,
            "identity.sourceIp": request.source_ip,
            **context,
        }
        return known.get(source[len("$context.") :])
    return None


class Cache:
    """Authorizer results by (authorizer, identity values), for their TTL."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple, tuple[float, dict]] = {}

    def get(self, key: tuple) -> dict | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._entries[key]
                return None
            return entry[1]

    def put(self, key: tuple, ttl: int, answer: dict) -> None:
        if ttl <= 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl, answer)


def interpret(authorizer: Any, answer: Any, route_arn: str) -> Decision:
    """The decision in an authorizer function's answer."""
    if getattr(authorizer, "enable_simple_response", False):
        if not isinstance(answer, dict) or not isinstance(answer.get("isAuthorized"), bool):
            return _error("the answer has no boolean isAuthorized")
        if not answer["isAuthorized"]:
            return Decision(False, response=responses.gateway_error(403, responses.FORBIDDEN))
        return Decision(True, {"lambda": _context(answer)})
    if not isinstance(answer, dict) or not isinstance(answer.get("policyDocument"), dict):
        return _error("the answer has no policyDocument")
    verdict = _policy_allows(answer["policyDocument"], route_arn)
    if verdict is None:
        return _error("the policyDocument is not a valid IAM policy")
    if not verdict:
        return Decision(False, response=responses.gateway_error(403, responses.FORBIDDEN))
    context = {"lambda": _context(answer)}
    if "principalId" in answer:
        context["principalId"] = answer["principalId"]
    return Decision(True, context)


def _context(answer: dict) -> dict:
    context = answer.get("context") or {}
    return context if isinstance(context, dict) else {}


def _error(reason: str) -> Decision:
    return Decision(False, response=responses.gateway_error(500, responses.INTERNAL), reason=reason)


def _policy_allows(document: dict, arn: str) -> bool | None:
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return None
    allowed = False
    for statement in statements:
        if not isinstance(statement, dict):
            return None
        actions = _as_list(statement.get("Action"))
        resources = _as_list(statement.get("Resource"))
        if not any(arn_like(a.lower(), "execute-api:invoke") for a in actions):
            continue
        if not any(arn_like(r, arn) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False  # an explicit deny wins
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def arn_like(pattern: str, value: str) -> bool:
    """IAM's wildcards: `*` any run of characters, `?` one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def cache_key(authorizer: Any, values: list) -> tuple:
    return (authorizer.id, json.dumps(values))
