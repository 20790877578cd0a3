"""The HTTP layer around moto (deployer.emulator.app): a retried SDK call gets the first
answer, an operation moto lacks or an emulator bug is a 501 (never retried), and health.

The tests with `server` talk to a real running emulator with boto3 over HTTP; the others
call the WSGI application in-process.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from helpers.emulator import aws, function_zip, lambda_role

from deployer.emulator.state import HEALTH_PATH


def test_a_retried_call_gets_the_first_answer_instead_of_running_twice(server):
    """An SDK retry (same amz-sdk-invocation-id) of a CreateFunction that already ran.

    moto ran it again and answered 409 "already exists", which the provider retried for
    minutes; the emulator gives the retry the answer the first attempt produced.
    """

    def as_retry_of_one_call(request, **_):
        request.headers["amz-sdk-invocation-id"] = "3f1c2a9e-0000-4000-8000-000000000001"
        request.headers["amz-sdk-request"] = "attempt=2; max=3"

    retried = aws(server, "lambda")
    retried.meta.events.register("before-send.lambda.CreateFunction", as_retry_of_one_call)
    create = {
        "FunctionName": "demo-retried",
        "Runtime": "python3.12",
        "Role": lambda_role(server),
        "Handler": "handler.handler",
        "Code": {"ZipFile": function_zip()},
    }
    first = retried.create_function(**create)
    again = retried.create_function(**create)
    first.pop("ResponseMetadata")
    again.pop("ResponseMetadata")
    assert again == first

    lam = aws(server, "lambda")
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert names.count("demo-retried") == 1
    assert "is a retry (attempt=2; max=3)" in Path(server.log).read_text(encoding="utf-8")

    # A new call (its own invocation id) runs, and is refused as on AWS.
    with pytest.raises(ClientError) as exists:
        lam.create_function(**create)
    assert exists.value.response["Error"]["Code"] == "ResourceConflictException"


def test_a_retry_waits_for_the_first_attempt_and_failures_are_not_replayed():
    from concurrent.futures import ThreadPoolExecutor

    from deployer.emulator.app import Answer, Replays

    runs: list[str] = []
    first_started = threading.Event()
    release_first = threading.Event()

    def slow_create(environ):
        runs.append(environ["attempt"])
        if environ["attempt"] == "1":
            first_started.set()
            release_first.wait(10)
        return Answer("201 Created", [("Content-Type", "application/json")], b'{"n": 1}')

    replays = Replays(wait=10)

    def call(attempt: str, invocation: str = "call-a", method: str = "POST") -> Answer:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": "/2015-03-31/functions",
            "HTTP_AMZ_SDK_INVOCATION_ID": invocation,
            "attempt": attempt,
        }
        return replays.answer(environ, slow_create)

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(call, "1")
        assert first_started.wait(10)
        second = pool.submit(call, "2")  # arrives while the first is still running
        time.sleep(0.2)
        release_first.set()
        assert first.result().body == second.result().body == b'{"n": 1}'
    assert runs == ["1"]

    # Reads are never replayed: they change nothing.
    call("1", invocation="read", method="GET")
    call("2", invocation="read", method="GET")
    assert runs == ["1", "1", "2"]

    # A call whose first attempt failed runs again on retry.
    def refused(environ):
        runs.append("refused")
        return Answer("409 Conflict", [], b"{}")

    environ = {"REQUEST_METHOD": "POST", "HTTP_AMZ_SDK_INVOCATION_ID": "call-b"}
    replays.answer(dict(environ), refused)
    replays.answer(dict(environ), refused)
    assert runs.count("refused") == 2


def test_a_missing_operation_fails_fast_with_501(server):
    ec2 = aws(server, "ec2", retries={"max_attempts": 5, "mode": "standard"})
    with pytest.raises(ClientError) as caught:
        ec2.describe_capacity_block_offerings(
            CapacityDurationHours=24, InstanceType="p5.48xlarge", InstanceCount=1
        )
    response = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert response["ResponseMetadata"]["RetryAttempts"] == 0  # SDKs do not retry a 501
    assert response["Error"]["Code"] == "NotImplemented"
    assert "DescribeCapacityBlockOfferings" in response["Error"]["Message"]


def _call(app_under_test, environ: dict) -> tuple[str, bytes]:
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = status
        seen["headers"] = dict(headers)

    body = b"".join(app_under_test(environ, start_response))
    return seen["status"], body, seen["headers"]


def test_emulator_bugs_become_non_retried_501s_with_the_operation_named():
    from deployer.emulator.app import EmulatorApp

    def broken(environ, start_response):
        raise KeyError("boom")

    def internal_error(environ, start_response):
        start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "text/html")])
        return [b"oops"]

    environ = {
        "PATH_INFO": "/2015-03-31/functions",
        "REQUEST_METHOD": "GET",
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-1/lambda/"
        "aws4_request, SignedHeaders=host, Signature=x",
    }
    status_line, body, headers = _call(EmulatorApp(broken, {}), dict(environ))
    assert status_line.startswith("501")
    assert headers["x-amzn-ErrorType"] == "EmulatorError"
    assert "lambda GET /2015-03-31/functions" in json.loads(body)["message"]

    status_line, _, _ = _call(EmulatorApp(internal_error, {}), dict(environ))
    assert status_line.startswith("501")

    health_status, health, _ = _call(EmulatorApp(broken, {"pid": 42}), {"PATH_INFO": HEALTH_PATH})
    assert health_status.startswith("200") and json.loads(health) == {"pid": 42}
