"""The served HTTP API (deployer/emulator/gateway): real HTTP against a running emulator,
with APIs and functions made by boto3 as Terraform would make them. Requests become
payload-2.0 events, routes match with API Gateway's precedence, results become responses
and errors get API Gateway's answers."""

from __future__ import annotations

import base64
import http.client
import json
from urllib.parse import urlsplit

import pytest
import requests
from helpers.served_api import ECHO, HttpApi, deploy_function, log_messages

pytestmark = pytest.mark.usefixtures("server")


@pytest.fixture(scope="module")
def echo(server):
    return deploy_function(server, {"handler.py": ECHO})


def event_of(response) -> dict:
    assert response.status_code == 200, response.text
    return json.loads(response.text)


def test_the_api_endpoint_is_the_served_url(server):
    api = HttpApi(server)
    assert api.url == f"{server.endpoint}/_aws/execute-api/{api.id}"


def test_request_becomes_a_payload_2_event(server, echo):
    api = HttpApi(server)
    api.route("POST /items/{id}", echo)
    parts = urlsplit(api.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.putrequest("POST", f"{parts.path}/items/a%20b?tag=x&tag=y&empty=")
    conn.putheader("X-Repeated", "one")
    conn.putheader("X-Repeated", "two")
    conn.putheader("Cookie", "session=s1; theme=dark")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("User-Agent", "gateway-test")
    body = b'{"name": "x"}'
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    answer = conn.getresponse()
    event = json.loads(answer.read())
    assert answer.status == 200
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /items/{id}"
    assert event["rawPath"] == "/items/a%20b"
    assert event["rawQueryString"] == "tag=x&tag=y&empty="
    assert event["queryStringParameters"] == {"tag": "x,y", "empty": ""}
    assert event["pathParameters"] == {"id": "a b"}
    assert event["cookies"] == ["session=s1", "theme=dark"]
    assert event["headers"]["x-repeated"] == "one,two"
    assert "cookie" not in event["headers"]
    assert all(name == name.lower() for name in event["headers"])
    assert event["body"] == '{"name": "x"}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["http"] == {
        "method": "POST",
        "path": "/items/a%20b",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "gateway-test",
    }
    assert context["apiId"] == api.id and context["stage"] == "$default"
    assert context["routeKey"] == "POST /items/{id}"
    assert context["requestId"] == answer.getheader("apigw-requestid")
    assert isinstance(context["timeEpoch"], int) and context["time"].endswith("+0000")
    assert context["domainName"] == "127.0.0.1"


def test_a_request_without_body_or_query_has_neither(server, echo):
    api = HttpApi(server)
    api.route("GET /items", echo)
    event = event_of(requests.get(f"{api.url}/items", timeout=30))
    assert "body" not in event and event["isBase64Encoded"] is False
    assert "queryStringParameters" not in event and "pathParameters" not in event
    assert event["rawQueryString"] == ""


def test_routes_match_with_api_gateways_precedence(server, echo):
    api = HttpApi(server)
    for key in (
        "GET /pets/dog",
        "GET /pets/{id}",
        "ANY /pets/{proxy+}",
        "ANY /{proxy+}",
        "$default",
    ):
        api.route(key, echo)
    cases = {
        ("GET", "/pets/dog"): "GET /pets/dog",
        ("GET", "/pets/cat"): "GET /pets/{id}",
        ("POST", "/pets/cat"): "ANY /pets/{proxy+}",
        ("GET", "/pets/a/b"): "ANY /pets/{proxy+}",
        ("DELETE", "/other/x"): "ANY /{proxy+}",
        ("GET", "/"): "$default",
    }
    for (method, path), route_key in cases.items():
        event = event_of(requests.request(method, api.url + path, timeout=30))
        assert event["routeKey"] == route_key, (method, path)
    greedy = event_of(requests.get(f"{api.url}/pets/a/b", timeout=30))
    assert greedy["pathParameters"] == {"proxy": "a/b"}


def test_no_route_is_404_not_found(server, echo):
    api = HttpApi(server)
    api.route("GET /items", echo)
    answer = requests.post(f"{api.url}/items", timeout=30)
    assert answer.status_code == 404 and answer.json() == {"message": "Not Found"}
    unknown = requests.get(f"{server.endpoint}/_aws/execute-api/nosuchapi/items", timeout=30)
    assert unknown.status_code == 404 and unknown.json() == {"message": "Not Found"}


RESULTS = """
import base64, json
def handler(event, context):
    kind = event["rawPath"].strip("/")
    if kind == "dict":
        return {"hello": "world"}
    if kind == "string":
        return "hello"
    if kind == "structured":
        return {"statusCode": 201, "headers": {"x-one": "1"},
                "multiValueHeaders": {"x-many": ["a", "b"]},
                "cookies": ["a=1; Path=/", "b=2; HttpOnly"], "body": "made"}
    if kind == "binary":
        data = base64.b64decode(event["body"]) if event["isBase64Encoded"] else b"?"
        return {"statusCode": 200, "headers": {"content-type": "application/octet-stream"},
                "isBase64Encoded": True, "body": base64.b64encode(data[::-1]).decode()}
    if kind == "malformed":
        return {"statusCode": "not a status", "body": 5}
    if kind == "raise":
        raise ValueError("the handler failed")
"""


@pytest.fixture(scope="module")
def results_api(server):
    api = HttpApi(server)
    api.route("ANY /{proxy+}", deploy_function(server, {"handler.py": RESULTS}))
    return api


def test_a_bare_result_is_inferred_as_json(results_api):
    answer = requests.get(f"{results_api.url}/dict", timeout=30)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"hello": "world"}
    string = requests.get(f"{results_api.url}/string", timeout=30)
    assert string.status_code == 200 and string.text == '"hello"'


def test_a_structured_response_maps_headers_and_cookies(results_api):
    answer = requests.get(f"{results_api.url}/structured", timeout=30)
    assert answer.status_code == 201 and answer.text == "made"
    assert answer.headers["x-one"] == "1"
    assert answer.raw.headers.getlist("x-many") == ["a", "b"]
    assert answer.raw.headers.getlist("set-cookie") == ["a=1; Path=/", "b=2; HttpOnly"]
    assert answer.cookies.get("a") == "1" and answer.cookies.get("b") == "2"


def test_a_binary_body_round_trips_base64(results_api):
    data = bytes(range(256))
    answer = requests.post(
        f"{results_api.url}/binary",
        data=data,
        headers={"content-type": "application/octet-stream"},
        timeout=30,
    )
    assert answer.status_code == 200
    assert answer.content == data[::-1]


def test_a_malformed_response_or_an_exception_is_500(server, results_api):
    for path in ("malformed", "raise"):
        answer = requests.get(f"{results_api.url}/{path}", timeout=30)
        assert answer.status_code == 500, path
        assert answer.json() == {"message": "Internal Server Error"}
    name = results_api.client.get_integrations(ApiId=results_api.id)["Items"][0]
    function = name["IntegrationUri"].split(":function:")[1].split("/")[0]
    failed = "[ERROR] ValueError: the handler failed"
    messages = "\n".join(log_messages(server, function, until=lambda m: failed in "\n".join(m)))
    assert failed in messages


def test_a_payload_over_10_mb_is_413(results_api):
    answer = requests.post(
        f"{results_api.url}/dict", data=b"x" * (10 * 1024 * 1024 + 1), timeout=60
    )
    assert answer.status_code == 413
    assert answer.json() == {"message": "Request Entity Too Large"}


def test_cors_preflight_is_answered_from_the_api_configuration(server, echo):
    cors = {
        "AllowOrigins": ["http://localhost:3000"],
        "AllowMethods": ["GET", "POST"],
        "AllowHeaders": ["authorization", "content-type"],
        "MaxAge": 300,
    }
    api = HttpApi(server, cors=cors)
    api.route("GET /items", echo)
    asked = {
        "Origin": "http://localhost:3000",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization",
    }
    preflight = requests.options(f"{api.url}/items", headers=asked, timeout=30)
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert preflight.headers["access-control-allow-methods"] == "GET,POST"
    assert preflight.headers["access-control-allow-headers"] == "Authorization"
    assert preflight.headers["access-control-max-age"] == "300"
    other = requests.options(
        f"{api.url}/items", headers={**asked, "Origin": "https://evil.example"}, timeout=30
    )
    assert "access-control-allow-origin" not in other.headers
    actual = requests.get(
        f"{api.url}/items", headers={"Origin": "http://localhost:3000"}, timeout=30
    )
    assert actual.headers["access-control-allow-origin"] == "http://localhost:3000"


def test_requests_over_the_stage_limits_are_429(server, echo):
    api = HttpApi(server, throttling={"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 0.5})
    api.route("GET /items", echo)
    codes = [requests.get(f"{api.url}/items", timeout=30).status_code for _ in range(5)]
    assert codes[:2] == [200, 200]
    assert 429 in codes[2:]
    limited = requests.get(f"{api.url}/items", timeout=30)
    if limited.status_code == 429:
        assert limited.json() == {"message": "Too Many Requests"}


def test_a_function_without_permission_for_api_gateway_is_500(server):
    api = HttpApi(server)
    api.route("GET /items", deploy_function(server, {"handler.py": ECHO}), allow=False)
    answer = requests.get(f"{api.url}/items", timeout=30)
    assert answer.status_code == 500


def test_a_route_added_later_is_served_on_the_next_request(server, echo):
    api = HttpApi(server)
    api.route("GET /first", echo)
    assert requests.get(f"{api.url}/second", timeout=30).status_code == 404
    api.route("GET /second", echo)
    assert event_of(requests.get(f"{api.url}/second", timeout=30))["routeKey"] == "GET /second"


def test_a_binary_request_without_text_type_is_base64(server, echo):
    api = HttpApi(server)
    api.route("POST /upload", echo)
    data = b"\xff\xfe\x00binary"
    event = event_of(
        requests.post(
            f"{api.url}/upload", data=data, headers={"content-type": "image/png"}, timeout=30
        )
    )
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == data
