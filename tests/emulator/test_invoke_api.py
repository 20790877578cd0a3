"""Lambda's Invoke API on the emulator runs the handler (deployer/emulator/gateway/
invoke_api.py): results, Lambda's error payload, log tails, async and dry-run calls."""

from __future__ import annotations

import base64
import json
import time

import pytest
from botocore.exceptions import ClientError
from helpers.emulator import aws
from helpers.served_api import deploy_function, log_messages

HANDLER = """
import time
def handler(event, context):
    print("got", event.get("n"))
    if event.get("fail"):
        raise RuntimeError("asked to fail")
    if event.get("sleep"):
        time.sleep(event["sleep"])
    return {"doubled": event.get("n", 0) * 2, "request": context.aws_request_id}
"""


@pytest.fixture(scope="module")
def function(server):
    return deploy_function(server, {"handler.py": HANDLER}, timeout=1)


def test_invoke_runs_the_handler_and_returns_its_result(server, function):
    lam = aws(server, "lambda")
    answer = lam.invoke(FunctionName=function["FunctionName"], Payload=json.dumps({"n": 21}))
    assert answer["StatusCode"] == 200
    assert "FunctionError" not in answer
    result = json.loads(answer["Payload"].read())
    assert result["doubled"] == 42 and result["request"]


def test_a_failed_invocation_has_lambdas_error_payload(server, function):
    lam = aws(server, "lambda")
    answer = lam.invoke(FunctionName=function["FunctionName"], Payload=b'{"fail": true}')
    assert answer["StatusCode"] == 200 and answer["FunctionError"] == "Unhandled"
    error = json.loads(answer["Payload"].read())
    assert error["errorType"] == "RuntimeError"
    assert error["errorMessage"] == "asked to fail"
    assert any("raise RuntimeError" in frame for frame in error["stackTrace"])
    timed_out = lam.invoke(FunctionName=function["FunctionName"], Payload=b'{"sleep": 3}')
    error = json.loads(timed_out["Payload"].read())
    assert timed_out["FunctionError"] == "Unhandled"
    assert error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in error["errorMessage"]


def test_log_type_tail_returns_the_invocations_log(server, function):
    lam = aws(server, "lambda")
    answer = lam.invoke(FunctionName=function["FunctionName"], Payload=b'{"n": 7}', LogType="Tail")
    tail = base64.b64decode(answer["LogResult"]).decode()
    assert "got 7" in tail
    assert tail.splitlines()[0].startswith("START RequestId:")
    assert tail.splitlines()[-1].startswith("REPORT RequestId:")


def test_event_invocations_run_in_the_background_and_dry_runs_not_at_all(server, function):
    lam = aws(server, "lambda")
    answer = lam.invoke(
        FunctionName=function["FunctionName"], InvocationType="Event", Payload=b'{"n": 99}'
    )
    assert answer["StatusCode"] == 202
    deadline = time.monotonic() + 20
    while "got 99" not in log_messages(server, function["FunctionName"]):
        assert time.monotonic() < deadline, "the async invocation never ran"
        time.sleep(0.2)
    dry = lam.invoke(
        FunctionName=function["FunctionName"], InvocationType="DryRun", Payload=b'{"n": 55}'
    )
    assert dry["StatusCode"] == 204
    time.sleep(0.5)
    assert "got 55" not in log_messages(server, function["FunctionName"])


def test_a_payload_that_is_not_json_is_refused(server, function):
    lam = aws(server, "lambda")
    with pytest.raises(ClientError) as refused:
        lam.invoke(FunctionName=function["FunctionName"], Payload=b"{not json")
    assert refused.value.response["Error"]["Code"] == "InvalidRequestContentException"
