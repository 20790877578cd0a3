"""Running lambda_src/ handlers in-process: fresh imports, a Lambda context, HTTP API events."""

from __future__ import annotations

import importlib.util
import itertools
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from helpers.paths import LAMBDA_SRC

SHARED = LAMBDA_SRC / "_shared"
_fresh = itertools.count()


def forget_lambda_modules() -> None:
    """Drop every module imported from lambda_src/, so the next import starts cold."""
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve().is_relative_to(LAMBDA_SRC):
            del sys.modules[name]


def forget_loggers(service: str) -> None:
    """Drop the `service` logger and its children: a cold container has no handlers set up yet.

    Powertools configures a service's logger once and reuses it; kept across tests, it
    would keep writing to the output stream of the test that first imported the function.
    """
    registry = logging.Logger.manager.loggerDict
    for name in list(registry):
        if name == service or name.startswith(f"{service}."):
            del registry[name]


def load_handler(function: str) -> ModuleType:
    """Import lambda_src/<function>/handler.py as a new container would.

    The package root of a deployed function holds its folder and `_shared/`, so both go on
    sys.path for the import. Several functions have modules with the same names (`handler`,
    ...): the handler gets a unique name, and whatever the import pulled from lambda_src/ is
    dropped from sys.modules before and after, so functions never see each other's modules.
    """
    folder = LAMBDA_SRC / function
    paths = [str(folder), str(SHARED)]
    forget_lambda_modules()
    forget_loggers(function)
    sys.path[:0] = paths
    try:
        spec = importlib.util.spec_from_file_location(
            f"lambda_{function}_handler_{next(_fresh)}", folder / "handler.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # as a real import: dataclasses and pydantic look it up
        spec.loader.exec_module(module)
        return module
    finally:
        for path in paths:
            sys.path.remove(path)
        forget_lambda_modules()


@dataclass
class FakeLambdaContext:
    """The attributes of a Lambda context that Powertools' logger reads."""

    function_name: str = "test-function"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:test-function"
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def http_event(
    method: str,
    path: str,
    *,
    route_key: str | None = None,
    body: str | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict:
    """An API Gateway HTTP API event, payload format 2.0."""
    query = query or {}
    return {
        "version": "2.0",
        "routeKey": route_key or f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "&".join(f"{k}={v}" for k, v in query.items()),
        "queryStringParameters": query or None,
        "headers": {"content-type": "application/json", **(headers or {})},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api",
            "domainName": "api.example.com",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "pytest",
            },
            "requestId": "req-1",
            "routeKey": route_key or f"{method} {path}",
            "stage": "$default",
            "time": "01/Jan/2025:00:00:00 +0000",
            "timeEpoch": 1735689600000,
        },
        "body": body,
        "isBase64Encoded": False,
    }
