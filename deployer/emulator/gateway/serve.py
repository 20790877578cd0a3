"""Every HTTP API of the emulator, served on loopback, as API Gateway serves it.

    http://127.0.0.1:<port>/_aws/execute-api/<api-id>/<path>          ($default stage)
    http://127.0.0.1:<port>/_aws/execute-api/<api-id>/<stage>/<path>  (a named stage)

Each request is answered from moto's API Gateway v2 state as it is at that moment
(routes, integrations, stages, authorizers, CORS, throttling): a route added by an apply
is served on the next request. The path-style URL is what the emulator reports as each
API's `apiEndpoint` (see `install`), so the stack's outputs print it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

from moto.apigatewayv2.models import Api, apigatewayv2_backends

from deployer.emulator import process
from deployer.emulator.gateway import cors, responses, throttling
from deployer.emulator.gateway import request_authorizer as lambda_auth
from deployer.emulator.gateway.events import (
    ACCOUNT_ID,
    Request,
    authorizer_event,
    integration_event,
)
from deployer.emulator.gateway.lambdas import FunctionNotFound, Functions
from deployer.emulator.gateway.responses import MalformedResponse, Response, gateway_error
from deployer.emulator.gateway.routing import match_route

PREFIX = "/_aws/execute-api/"
MAX_PAYLOAD = 10 * 1024 * 1024  # API Gateway's limit for HTTP APIs
MAX_INTEGRATION_SECONDS = 30.0

JwtCheck = Callable[[Any, Request, list[str]], lambda_auth.Decision]


def install() -> None:
    """Make moto report the served URL as each new API's `apiEndpoint` (idempotent)."""
    original = Api.__init__
    if getattr(original, "deployer_served", False):
        return

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        running = process.current()
        if running is not None:
            self.api_endpoint = f"{running.endpoint}{PREFIX}{self.api_id}"

    __init__.deployer_served = True  # type: ignore[attr-defined]
    Api.__init__ = __init__


def _find_api(api_id: str) -> tuple[str, Any] | None:
    for region, backend in list(apigatewayv2_backends[ACCOUNT_ID].items()):
        api = backend.apis.get(api_id)
        if api is not None:
            return region, api
    return None


class ExecuteApi:
    """The WSGI application behind `PREFIX`."""

    def __init__(self, functions: Functions, jwt_check: JwtCheck) -> None:
        self.functions = functions
        self.jwt_check = jwt_check
        self.buckets = throttling.Buckets()
        self.cache = lambda_auth.Cache()

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        started = time.monotonic()
        try:
            request, response, note = self._answer(environ)
        except Exception as exc:  # the gateway itself failed: never a dead server
            print(f"deployer gateway: {type(exc).__name__}: {exc}", flush=True)
            request, response, note = None, gateway_error(500, responses.INTERNAL), str(exc)
        if request is not None:
            response.headers.append(("apigw-requestid", request.request_id))
            _access_line(request, response, note, started)
        response.headers.append(("content-length", str(len(response.body))))
        start_response(response.status_line, response.headers)
        return [response.body]

    # --- one request -------------------------------------------------------------------------

    def _answer(self, environ: dict[str, Any]) -> tuple[Request | None, Response, str]:
        raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ["PATH_INFO"]
        raw_path, _, query = raw.partition("?")
        api_id, _, rest = raw_path[len(PREFIX) :].partition("/")
        found = _find_api(api_id)
        if found is None:
            return None, gateway_error(404, responses.NOT_FOUND), "no such API"
        region, api = found
        rest = "/" + rest
        first = rest.split("/")[1] if rest != "/" else ""
        if first and first != "$default" and unquote(first) in api.stages:
            stage = api.stages[unquote(first)]
            rest = rest[len(first) + 1 :] or "/"
        elif "$default" in api.stages:
            stage = api.stages["$default"]
        else:
            return None, gateway_error(404, responses.NOT_FOUND), "no stage"
        try:
            size = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            size = 0
        if size > MAX_PAYLOAD:
            return None, gateway_error(413, responses.TOO_LARGE), f"body of {size} bytes"
        body = environ["wsgi.input"].read(size) if size else b""
        request = Request(
            method=environ.get("REQUEST_METHOD", "GET").upper(),
            path=unquote(rest),
            raw_path=rest,
            query=query,
            headers=_headers(environ),
            body=body,
            source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
            protocol=environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            domain=environ.get("HTTP_HOST", "").split(":")[0],
            region=region,
            api_id=api.api_id,
        )
        response, note = self._route(api, stage, request)
        return request, response, note

    def _route(self, api: Any, stage: Any, request: Request) -> tuple[Response, str]:
        cors_config = api.cors_configuration
        headers = request.joined_headers()
        answer = cors.preflight(cors_config, request.method, headers)
        if answer is not None:
            return answer, "CORS preflight"
        match = match_route(list(api.routes.values()), request.method, request.path)
        if match is None:
            return self._finish(cors_config, headers, gateway_error(404, responses.NOT_FOUND)), (
                "no route"
            )
        route = match.route
        rate, burst = throttling.limits(stage, route.route_key)
        if not self.buckets.admit((api.api_id, stage.name, route.route_key), rate, burst):
            return self._finish(cors_config, headers, gateway_error(429, responses.TOO_MANY)), (
                "throttled"
            )
        decision = self._authorize(api, stage, route, match.path_parameters, request)
        if not decision.allowed:
            denied = decision.response or gateway_error(401, responses.UNAUTHORIZED)
            return self._finish(cors_config, headers, denied), decision.reason or "denied"
        response, note = self._integrate(
            api, stage, route, match.path_parameters, request, decision
        )
        return self._finish(cors_config, headers, response), note

    @staticmethod
    def _finish(cors_config: Any, headers: dict[str, str], response: Response) -> Response:
        cors.decorate(cors_config, headers, response)
        return response

    # --- authorizers ---------------------------------------------------------------------------

    def _authorize(
        self, api: Any, stage: Any, route: Any, params: dict, request: Request
    ) -> lambda_auth.Decision:
        kind = (route.authorization_type or "NONE").upper()
        if kind == "NONE":
            return lambda_auth.Decision(True)
        authorizer = api.authorizers.get(route.authorizer_id or "")
        if authorizer is None:
            return lambda_auth.Decision(
                False, response=gateway_error(500, responses.INTERNAL), reason="no authorizer"
            )
        if kind == "JWT":
            return self.jwt_check(authorizer, request, list(route.authorization_scopes or []))
        if kind == "CUSTOM":
            return self._run_request_authorizer(api, stage, route, params, request, authorizer)
        return lambda_auth.Decision(
            False,
            response=gateway_error(500, responses.INTERNAL),
            reason=f"authorization type {kind} is not emulated",
        )

    def _run_request_authorizer(
        self, api: Any, stage: Any, route: Any, params: dict, request: Request, authorizer: Any
    ) -> lambda_auth.Decision:
        sources = list(authorizer.identity_source or [])
        context = {"routeKey": route.route_key, "stage": stage.name}
        values = lambda_auth.identity_values(request, sources, stage.stage_variables or {}, context)
        if values is None:
            return lambda_auth.Decision(
                False,
                response=gateway_error(401, responses.UNAUTHORIZED),
                reason="identity source missing",
            )
        event = authorizer_event(
            request,
            api.api_id,
            stage.name,
            route.route_key,
            params,
            stage.stage_variables or {},
            values,
        )
        key = lambda_auth.cache_key(authorizer, values)
        ttl = int(authorizer.auth_result_ttl or 0)
        cached = self.cache.get(key) if ttl and sources else None
        if cached is not None:
            return lambda_auth.interpret(authorizer, cached, event["routeArn"])
        source_arn = f"{_execution_arn(api, request)}/authorizers/{authorizer.id}"
        outcome, error = self._call(authorizer.authorizer_uri, request, event, source_arn, 10.0)
        if error is not None:
            return lambda_auth.Decision(False, response=error[0], reason=f"authorizer: {error[1]}")
        decision = lambda_auth.interpret(authorizer, outcome, event["routeArn"])
        if decision.response is None or decision.response.status == 403:
            self.cache.put(key, ttl if sources else 0, outcome)
        return decision

    # --- the integration -----------------------------------------------------------------------

    def _integrate(
        self, api: Any, stage: Any, route: Any, params: dict, request: Request, decision: Any
    ) -> tuple[Response, str]:
        target = route.target or ""
        integration = api.integrations.get(target.split("/")[-1]) if target else None
        if integration is None:
            return gateway_error(500, responses.INTERNAL), "route has no integration"
        if (integration.integration_type or "").upper() != "AWS_PROXY":
            return gateway_error(500, responses.INTERNAL), (
                f"integration type {integration.integration_type} is not emulated"
            )
        if str(integration.payload_format_version or "2.0") != "2.0":
            return gateway_error(500, responses.INTERNAL), "payload format 1.0 is not emulated"
        event = integration_event(
            request,
            api.api_id,
            stage.name,
            route.route_key,
            params,
            stage.stage_variables or {},
            decision.context,
        )
        if route.route_key == "$default":
            route_path = "$default"
        else:
            route_path = f"{request.method}{request.raw_path}"
        source_arn = f"{_execution_arn(api, request)}/{stage.name}/{route_path}"
        limit = min(MAX_INTEGRATION_SECONDS, (integration.timeout_in_millis or 30000) / 1000.0)
        outcome, error = self._call(integration.integration_uri, request, event, source_arn, limit)
        if error is not None:
            return error
        try:
            return responses.from_lambda(outcome), "ok"
        except MalformedResponse as exc:
            return gateway_error(500, responses.INTERNAL), f"malformed Lambda response: {exc}"

    def _call(
        self, uri: str, request: Request, event: dict, source_arn: str, limit: float
    ) -> tuple[Any, tuple[Response, str] | None]:
        """Invoke the function behind `uri` as API Gateway would: (result, None) or
        (None, (error response, reason))."""
        try:
            fn = self.functions.find(uri, request.region)
        except FunctionNotFound as exc:
            return None, (gateway_error(500, responses.INTERNAL), f"no function {exc}")
        if not _may_invoke(fn, source_arn):
            return None, (
                gateway_error(500, responses.INTERNAL),
                f"{fn.function_name} does not allow apigateway.amazonaws.com to invoke it "
                f"from {source_arn} (a missing lambda permission)",
            )
        result = self.functions.invoke(fn, event, timeout=limit)
        if result.timed_out:
            return None, (
                gateway_error(503, responses.UNAVAILABLE),
                f"{fn.function_name}: {result.error['errorMessage']}",
            )
        if not result.ok:
            error = result.error or {}
            return None, (
                gateway_error(500, responses.INTERNAL),
                f"{fn.function_name}: {error.get('errorType')}: {error.get('errorMessage')}",
            )
        return result.response, None


def _execution_arn(api: Any, request: Request) -> str:
    return f"arn:aws:execute-api:{request.region}:{ACCOUNT_ID}:{api.api_id}"


def _may_invoke(fn: Any, source_arn: str) -> bool:
    """Whether the function's resource policy lets API Gateway invoke it from `source_arn`."""
    statements = list(getattr(fn.policy, "statements", None) or [])
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        service = principal.get("Service") if isinstance(principal, dict) else principal
        if service not in ("apigateway.amazonaws.com", "*"):
            continue
        actions = statement.get("Action")
        actions = [actions] if isinstance(actions, str) else list(actions or [])
        if not any(a in ("lambda:InvokeFunction", "lambda:*", "*") for a in actions):
            continue
        condition = statement.get("Condition") or {}
        patterns = [
            v
            for test in ("ArnLike", "ArnEquals", "StringLike", "StringEquals")
            for k, v in (condition.get(test) or {}).items()
            if k.lower() == "aws:sourcearn"
        ]
        if not patterns or any(lambda_auth.arn_like(p, source_arn) for p in patterns):
            return True
    return False


def _headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").lower()
            headers.append((name, value))
    if environ.get("CONTENT_TYPE"):
        headers.append(("content-type", environ["CONTENT_TYPE"]))
    if environ.get("CONTENT_LENGTH"):
        headers.append(("content-length", environ["CONTENT_LENGTH"]))
    # What API Gateway adds for the integration.
    headers.append(("x-forwarded-for", environ.get("REMOTE_ADDR", "127.0.0.1")))
    headers.append(("x-forwarded-port", str(environ.get("SERVER_PORT", ""))))
    headers.append(("x-forwarded-proto", environ.get("wsgi.url_scheme", "http")))
    return headers


def _access_line(request: Request, response: Response, note: str, started: float) -> None:
    took = (time.monotonic() - started) * 1000
    print(
        f"deployer gateway: {request.api_id} {request.method} "
        f"{request.raw_path} -> {response.status} ({took:.1f} ms) {note}",
        file=sys.stdout,
        flush=True,
    )
