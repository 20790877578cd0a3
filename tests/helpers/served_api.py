"""HTTP APIs and functions built with boto3 in a running emulator, for the tests of the
served API (tests/emulator/test_gateway*.py): what Terraform would create, made directly."""

from __future__ import annotations

import io
import json
import time
import zipfile

from helpers.emulator import REGION, aws, lambda_role

ACCOUNT = "123456789012"


def package(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def deploy_function(
    server,
    files: dict[str, str],
    *,
    handler: str = "handler.handler",
    timeout: int = 3,
    env: dict | None = None,
    name: str | None = None,
    concurrency: int | None = None,
) -> dict:
    """Create a function from `files` (name -> source); its configuration."""
    lam = aws(server, "lambda")
    name = name or f"fn-{time.monotonic_ns()}"
    config = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=lambda_role(server),
        Handler=handler,
        Code={"ZipFile": package(files)},
        Timeout=timeout,
        Environment={"Variables": env or {}},
    )
    if concurrency is not None:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=concurrency)
    return config


def allow_api(server, function_name: str, api_id: str, pattern: str = "*/*") -> None:
    """The permission Terraform's aws_lambda_permission gives API Gateway."""
    aws(server, "lambda").add_permission(
        FunctionName=function_name,
        StatementId=f"api-{time.monotonic_ns()}",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/{pattern}",
    )


def invoke_arn(function_arn: str) -> str:
    return (
        f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"
    )


class HttpApi:
    """An HTTP API with a $default stage, in the emulator; `url` is its served endpoint."""

    def __init__(self, server, *, cors: dict | None = None, throttling: dict | None = None):
        self.server = server
        self.client = aws(server, "apigatewayv2")
        kwargs = {"CorsConfiguration": cors} if cors else {}
        api = self.client.create_api(
            Name=f"api-{time.monotonic_ns()}", ProtocolType="HTTP", **kwargs
        )
        self.id = api["ApiId"]
        self.url = api["ApiEndpoint"]
        stage = {"ApiId": self.id, "StageName": "$default", "AutoDeploy": True}
        if throttling:
            stage["DefaultRouteSettings"] = throttling
        self.client.create_stage(**stage)

    def route(self, route_key: str, function: dict, *, allow: bool = True, **route) -> str:
        integration = self.client.create_integration(
            ApiId=self.id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=invoke_arn(function["FunctionArn"]),
            PayloadFormatVersion="2.0",
        )
        if allow:
            allow_api(self.server, function["FunctionName"], self.id)
        created = self.client.create_route(
            ApiId=self.id,
            RouteKey=route_key,
            Target=f"integrations/{integration['IntegrationId']}",
            **route,
        )
        return created["RouteId"]

    def request_authorizer(
        self,
        function: dict,
        *,
        ttl: int = 0,
        simple: bool = True,
        sources=("$request.header.Authorization",),
    ) -> str:
        authorizer = self.client.create_authorizer(
            ApiId=self.id,
            Name=f"auth-{time.monotonic_ns()}",
            AuthorizerType="REQUEST",
            AuthorizerUri=invoke_arn(function["FunctionArn"]),
            AuthorizerPayloadFormatVersion="2.0",
            EnableSimpleResponses=simple,
            AuthorizerResultTtlInSeconds=ttl,
            IdentitySource=list(sources),
        )
        aws(self.server, "lambda").add_permission(
            FunctionName=function["FunctionName"],
            StatementId=f"auth-{time.monotonic_ns()}",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{self.id}/authorizers/"
            f"{authorizer['AuthorizerId']}",
        )
        return authorizer["AuthorizerId"]


ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""


def log_messages(server, function_name: str, until=None, timeout: float = 10.0) -> list[str]:
    """The function's log lines. As on Lambda, they arrive after the response (the REPORT
    line once the runtime is done): with `until`, wait up to `timeout` seconds for the
    lines to satisfy it, then return what is there (the caller's assert says what lacks)."""
    logs = aws(server, "logs")
    group = f"/aws/lambda/{function_name}"
    deadline = time.monotonic() + timeout
    while True:
        events = logs.filter_log_events(logGroupName=group).get("events", [])
        messages = [e["message"] for e in events]
        if until is None or until(messages) or time.monotonic() > deadline:
            return messages
        time.sleep(0.1)


def dumps(value) -> str:
    return json.dumps(value)
