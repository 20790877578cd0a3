"""Functions behind the served API run in warm workers (deployer/runtime): module state
lives across requests, the timeout is enforced, a worker that dies is replaced, output
reaches the function's CloudWatch log group, new code is live on the next request, and
Lambda REQUEST authorizers run as API Gateway runs them. Real HTTP, real processes."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import requests
from helpers.emulator import aws
from helpers.served_api import HttpApi, deploy_function, log_messages, package

COUNTER = """
import os
calls = 0
def handler(event, context):
    global calls
    calls += 1
    return {"calls": calls, "pid": os.getpid(), "remaining": context.get_remaining_time_in_millis(),
            "name": context.function_name, "greeting": os.environ.get("GREETING")}
"""


def test_a_worker_stays_warm_across_requests(server):
    fn = deploy_function(server, {"handler.py": COUNTER}, env={"GREETING": "hi"}, timeout=5)
    api = HttpApi(server)
    api.route("GET /count", fn)
    answers = [requests.get(f"{api.url}/count", timeout=30).json() for _ in range(3)]
    assert [a["calls"] for a in answers] == [1, 2, 3]
    assert len({a["pid"] for a in answers}) == 1
    assert answers[0]["name"] == fn["FunctionName"] and answers[0]["greeting"] == "hi"
    assert 0 < answers[0]["remaining"] <= 5000

    def report_lines(messages: list[str]) -> list[str]:
        return [m for m in messages if m.startswith("REPORT")]

    messages = log_messages(server, fn["FunctionName"], until=lambda m: len(report_lines(m)) >= 3)
    reports = report_lines(messages)
    assert len(reports) == 3
    assert sum("Init Duration" in r for r in reports) == 1  # one cold start


SLOW = """
import time
def handler(event, context):
    time.sleep(float(event.get("queryStringParameters", {}).get("s", "0")))
    return {"ok": True}
"""


def test_requests_run_side_by_side_up_to_the_reserved_concurrency(server):
    one = deploy_function(server, {"handler.py": SLOW}, concurrency=1)
    many = deploy_function(server, {"handler.py": SLOW})
    api = HttpApi(server)
    api.route("GET /one", one)
    api.route("GET /many", many)
    for route in ("one", "many"):
        with ThreadPoolExecutor(3) as pool:
            codes = list(
                pool.map(
                    lambda url: requests.get(url, timeout=30).status_code,
                    [f"{api.url}/{route}?s=0.5"] * 3,
                )
            )
        assert codes == [200, 200, 200]
    streams = {
        name: aws(server, "logs").describe_log_streams(logGroupName=f"/aws/lambda/{name}")
        for name in (one["FunctionName"], many["FunctionName"])
    }
    assert len(streams[one["FunctionName"]]["logStreams"]) == 1
    assert len(streams[many["FunctionName"]]["logStreams"]) == 3


def test_a_timeout_is_503_and_logged_with_the_functions_timeout(server):
    fn = deploy_function(server, {"handler.py": SLOW}, timeout=1)
    api = HttpApi(server)
    api.route("GET /slow", fn)
    answer = requests.get(f"{api.url}/slow?s=5", timeout=30)
    assert answer.status_code == 503
    assert answer.json() == {"message": "Service Unavailable"}

    def timed_out(messages: list[str]) -> bool:
        return any("Task timed out after 1.00 seconds" in m for m in messages)

    assert timed_out(log_messages(server, fn["FunctionName"], until=timed_out))
    assert requests.get(f"{api.url}/slow", timeout=30).status_code == 200  # a new worker


UNRULY = """
import os, sys
def handler(event, context):
    what = event["rawPath"].strip("/")
    if what == "exit":
        sys.exit(3)
    if what == "loud":
        sys.stdout.write("x" * (3 * 1024 * 1024) + "\\n")
        print("after the flood")
    return {"pid": os.getpid()}
"""


def test_a_worker_that_exits_is_replaced_and_floods_of_output_do_not_hurt(server):
    fn = deploy_function(server, {"handler.py": UNRULY})
    api = HttpApi(server)
    api.route("GET /{what}", fn)
    first = requests.get(f"{api.url}/ok", timeout=30).json()["pid"]
    died = requests.get(f"{api.url}/exit", timeout=30)
    assert died.status_code == 500
    assert died.json() == {"message": "Internal Server Error"}
    second = requests.get(f"{api.url}/ok", timeout=30).json()["pid"]
    assert second != first
    assert requests.get(f"{api.url}/loud", timeout=60).status_code == 200
    messages = log_messages(server, fn["FunctionName"], until=lambda m: "after the flood" in m)
    assert "after the flood" in messages
    assert any("Runtime exited with error: exit status 3" in m for m in messages)
    assert max(len(m) for m in messages) <= 256 * 1024


def test_new_code_is_served_on_the_next_request(server):
    fn = deploy_function(server, {"handler.py": "def handler(e, c):\n    return 'v1'\n"})
    api = HttpApi(server)
    api.route("GET /version", fn)
    assert requests.get(f"{api.url}/version", timeout=30).json() == "v1"
    aws(server, "lambda").update_function_code(
        FunctionName=fn["FunctionName"],
        ZipFile=package({"handler.py": "def handler(e, c):\n    return 'v2'\n"}),
    )
    assert requests.get(f"{api.url}/version", timeout=30).json() == "v2"


AUTHORIZER = """
import json
calls = 0
def handler(event, context):
    global calls
    calls += 1
    token = event["headers"].get("authorization", "")
    print(json.dumps({"calls": calls, "identity": event["identitySource"], "type": event["type"],
                      "routeArn": event["routeArn"]}))
    if token == "policy-allow" or token == "policy-deny":
        effect = "Allow" if token == "policy-allow" else "Deny"
        return {"principalId": "me", "context": {"via": "policy"},
                "policyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": effect, "Action": "execute-api:Invoke",
                     "Resource": event["routeArn"]}]}}
    return {"isAuthorized": token == "let-me-in", "context": {"user": "u-1", "calls": calls}}
"""

SEE_CONTEXT = """
def handler(event, context):
    return event["requestContext"].get("authorizer")
"""


def _protected(
    server, *, ttl: int = 0, simple: bool = True, sources=None, routes=("GET /private",)
):
    authorizer = deploy_function(server, {"handler.py": AUTHORIZER})
    api = HttpApi(server)
    kwargs = {"sources": sources} if sources else {}
    authorizer_id = api.request_authorizer(authorizer, ttl=ttl, simple=simple, **kwargs)
    see = deploy_function(server, {"handler.py": SEE_CONTEXT})
    for route in routes:
        api.route(route, see, AuthorizationType="CUSTOM", AuthorizerId=authorizer_id)
    return api, authorizer


def _authorizer_calls(server, authorizer, expected: int) -> list[dict]:
    """The calls the authorizer logged, once `expected` of them have arrived (or 10 s)."""

    def calls(lines: list[str]) -> list[dict]:
        return [json.loads(m) for m in lines if m.startswith("{")]

    return calls(
        log_messages(server, authorizer["FunctionName"], lambda m: len(calls(m)) >= expected)
    )


def test_a_request_authorizer_allows_denies_and_passes_its_context(server):
    api, authorizer = _protected(server)
    allowed = requests.get(f"{api.url}/private", headers={"Authorization": "let-me-in"}, timeout=30)
    assert allowed.status_code == 200
    assert allowed.json()["lambda"]["user"] == "u-1"
    denied = requests.get(f"{api.url}/private", headers={"Authorization": "nope"}, timeout=30)
    assert denied.status_code == 403 and denied.json() == {"message": "Forbidden"}
    missing = requests.get(f"{api.url}/private", timeout=30)
    assert missing.status_code == 401 and missing.json() == {"message": "Unauthorized"}
    calls = _authorizer_calls(server, authorizer, 2)
    assert len(calls) == 2  # the request without identity never reached the function
    assert calls[0]["type"] == "REQUEST" and calls[0]["identity"] == ["let-me-in"]
    assert calls[0]["routeArn"].endswith(f":{api.id}/$default/GET/private")


def test_request_authorizer_results_are_cached_for_their_ttl(server):
    api, authorizer = _protected(server, ttl=300)
    for _ in range(3):
        answer = requests.get(
            f"{api.url}/private", headers={"Authorization": "let-me-in"}, timeout=30
        )
        assert answer.status_code == 200
    assert len(_authorizer_calls(server, authorizer, 1)) == 1
    requests.get(f"{api.url}/private", headers={"Authorization": "other"}, timeout=30)
    assert len(_authorizer_calls(server, authorizer, 2)) == 2  # another identity, another call


def test_context_identity_sources_key_the_cache_per_route(server):
    sources = ["$request.header.Authorization", "$context.routeKey"]
    api, authorizer = _protected(
        server, ttl=300, sources=sources, routes=("GET /private", "GET /other")
    )
    for path in ("private", "private", "other"):
        answer = requests.get(
            f"{api.url}/{path}", headers={"Authorization": "let-me-in"}, timeout=30
        )
        assert answer.status_code == 200
    calls = _authorizer_calls(server, authorizer, 2)
    assert [c["identity"] for c in calls] == [
        ["let-me-in", "GET /private"],
        ["let-me-in", "GET /other"],
    ]


def test_a_request_authorizer_may_answer_with_an_iam_policy(server):
    api, _ = _protected(server, simple=False)
    allowed = requests.get(
        f"{api.url}/private", headers={"Authorization": "policy-allow"}, timeout=30
    )
    assert allowed.status_code == 200
    assert allowed.json() == {"lambda": {"via": "policy"}, "principalId": "me"}
    denied = requests.get(
        f"{api.url}/private", headers={"Authorization": "policy-deny"}, timeout=30
    )
    assert denied.status_code == 403
    broken = requests.get(f"{api.url}/private", headers={"Authorization": "x"}, timeout=30)
    assert broken.status_code == 500  # a simple answer where a policy is expected
