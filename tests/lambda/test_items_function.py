"""lambda_src/items: every route and error path against moto's DynamoDB, in-process."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator

import boto3
import pytest
from helpers.lambda_harness import http_event
from moto import mock_aws

TABLE = "deployer-test-items"
# Fixed ids, so parametrized test names are the same in every run (pytest-xdist compares them).
UNKNOWN_ID = "3f2b8c1e-9d4a-4e6b-8c7d-2a1b0c9d8e7f"
UUID1_ID = "c232ab00-9414-11ec-b3c8-9f6bdeced846"


class ItemsApi:
    """Calls the items handler the way API Gateway does and decodes the answer.

    The handler is imported on the first call, inside the test itself: Powertools' logger
    binds the output stream at import time, and only then is it the one capsys reads.
    """

    def __init__(self, load, context) -> None:
        self._load = load
        self._module = None
        self.context = context

    @property
    def module(self):
        if self._module is None:
            self._module = self._load("items")
        return self._module

    def call(self, method, path, *, body=None, query=None, route_key=None, headers=None):
        event = http_event(
            method, path, body=body, query=query, route_key=route_key, headers=headers
        )
        response = self.module.handler(event, self.context)
        raw = response.get("body")
        return (
            response["statusCode"],
            response.get("headers") or {},
            json.loads(raw) if raw else None,
        )

    def create(self, **fields):
        status, _, body = self.call("POST", "/items", body=json.dumps(fields))
        assert status == 201, body
        return body


@pytest.fixture
def dynamodb(aws_fake_credentials) -> Iterator:
    """moto's DynamoDB with the `items` table as the root stack creates it (hash key `id`)."""
    with mock_aws():
        resource = boto3.resource("dynamodb", region_name="eu-west-1")
        resource.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield resource.Table(TABLE)


@pytest.fixture
def api(dynamodb, load_function, lambda_context, monkeypatch) -> ItemsApi:
    monkeypatch.setenv("TABLE_ITEMS", TABLE)
    return ItemsApi(load_function, lambda_context)


def test_create_returns_201_with_the_item_and_its_location(api, dynamodb):
    status, headers, body = api.call(
        "POST", "/items", body=json.dumps({"name": " Widget ", "quantity": 3})
    )
    assert status == 201
    assert body["name"] == "Widget"  # surrounding spaces stripped
    assert body["quantity"] == 3
    assert body["description"] == ""
    assert str(uuid.UUID(body["id"])) == body["id"]
    assert headers["Location"] == f"/items/{body['id']}"
    stored = dynamodb.get_item(Key={"id": body["id"]})["Item"]
    assert stored["name"] == "Widget"
    assert stored["created_at"] == body["created_at"]


def test_get_returns_the_stored_item(api):
    created = api.create(name="Gadget", description="Blue", quantity=7)
    status, _, body = api.call("GET", f"/items/{created['id']}", route_key="GET /items/{id}")
    assert status == 200
    assert body == created


@pytest.mark.parametrize(
    "item_id",
    [UNKNOWN_ID, "not-a-uuid", "x" * 3000, UUID1_ID],
    ids=["unknown-uuid", "not-a-uuid", "too-long", "uuid1"],
)
def test_get_unknown_item_is_404(api, item_id):
    status, _, body = api.call("GET", f"/items/{item_id}", route_key="GET /items/{id}")
    assert status == 404
    assert body == {"message": "Item not found"}


def test_delete_returns_204_then_the_item_is_gone(api, dynamodb):
    created = api.create(name="Doomed")
    path = f"/items/{created['id']}"
    status, _, body = api.call("DELETE", path, route_key="DELETE /items/{id}")
    assert (status, body) == (204, None)
    assert "Item" not in dynamodb.get_item(Key={"id": created["id"]})
    assert api.call("GET", path, route_key="GET /items/{id}")[0] == 404
    status, _, body = api.call("DELETE", path, route_key="DELETE /items/{id}")
    assert (status, body) == (404, {"message": "Item not found"})


def test_delete_of_an_id_that_cannot_exist_is_404(api):
    status, _, _ = api.call("DELETE", "/items/nope", route_key="DELETE /items/{id}")
    assert status == 404


def test_list_of_an_empty_table(api):
    assert api.call("GET", "/items") == (
        200,
        {"Content-Type": "application/json"},
        {
            "items": [],
            "next_token": None,
        },
    )


def test_list_pages_through_every_item_exactly_once(api):
    created = {api.create(name=f"item {n}")["id"] for n in range(7)}
    seen: list[str] = []
    query = {"limit": "3"}
    pages = 0
    while True:
        status, _, body = api.call("GET", "/items", query=query)
        assert status == 200
        assert len(body["items"]) <= 3
        seen += [item["id"] for item in body["items"]]
        pages += 1
        if body["next_token"] is None:
            break
        assert set(body["next_token"]) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )
        query = {"limit": "3", "next_token": body["next_token"]}
        assert pages < 10
    assert sorted(seen) == sorted(created)
    assert pages >= 3


def test_list_default_page_size_is_20(api):
    for n in range(21):
        api.create(name=f"item {n}")
    status, _, body = api.call("GET", "/items")
    assert status == 200
    assert len(body["items"]) == 20
    assert body["next_token"]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc", "1.5", "9" * 5000, "٣"])
def test_list_rejects_a_bad_limit_with_400(api, limit):
    status, _, body = api.call("GET", "/items", query={"limit": limit})
    assert status == 400
    assert body == {"message": "limit must be a whole number from 1 to 100"}


def _token(data) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        "!!!",
        "bm90IGpzb24",  # base64 of "not json"
        _token(["a list"]),
        _token({"v": 1, "id": "not-a-uuid"}),
        _token({"v": 2, "id": UNKNOWN_ID}),
        _token({"v": 1, "id": UNKNOWN_ID, "name": {"S": "injected"}}),
        _token({"v": 1, "id": {"S": UNKNOWN_ID}}),
        "A" * 300,
    ],
    ids=["garbage", "not-json", "list", "bad-id", "bad-version", "extra-key", "typed", "long"],
)
def test_list_rejects_a_tampered_token_with_400(api, token):
    status, _, body = api.call("GET", "/items", query={"next_token": token})
    assert status == 400
    assert body == {"message": "next_token is not a token this API issued"}


def test_list_rejects_a_truncated_or_edited_real_token(api):
    for n in range(3):
        api.create(name=f"item {n}")
    token = api.call("GET", "/items", query={"limit": "1"})[2]["next_token"]
    for bad in (token[:-3], token[:10], token.replace(token[5], "!" if token[5] != "!" else "?")):
        status, _, _ = api.call("GET", "/items", query={"next_token": bad})
        assert status == 400, bad


@pytest.mark.parametrize("body", ["{", "", "not json", None, '{"name": "x",}'])
def test_create_with_malformed_json_is_400(api, body):
    status, _, answer = api.call("POST", "/items", body=body)
    assert status == 400
    assert answer == {"message": "Request body must be valid JSON"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "ok", "quantity": -1}, "quantity"),
        ({"name": "ok", "quantity": "5"}, "quantity"),
        ({"name": "ok", "quantity": True}, "quantity"),
        ({"name": "ok", "owner": "someone"}, "owner"),
        ({"name": 42}, "name"),
    ],
)
def test_create_with_an_invalid_body_is_422_naming_the_field(api, dynamodb, payload, field):
    status, _, body = api.call("POST", "/items", body=json.dumps(payload))
    assert status == 422
    assert body["message"] == "Request body failed validation"
    assert [field] in [error["loc"] for error in body["errors"]]
    assert all(set(error) == {"loc", "msg"} for error in body["errors"])
    assert dynamodb.scan()["Count"] == 0


def test_create_with_a_json_array_is_422(api):
    status, _, body = api.call("POST", "/items", body="[1, 2]")
    assert status == 422
    assert body["message"] == "Request body failed validation"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/items", "GET, POST"),
        ("DELETE", "/items", "GET, POST"),
        ("PATCH", f"/items/{UNKNOWN_ID}", "DELETE, GET"),
        ("POST", f"/items/{UNKNOWN_ID}", "DELETE, GET"),
        ("PUT", f"/items/{UNKNOWN_ID}", "DELETE, GET"),
    ],
)
def test_a_method_a_known_path_does_not_serve_is_405(api, method, path, allow):
    status, headers, body = api.call(method, path, route_key="$default")
    assert status == 405
    assert headers["Allow"] == allow
    assert body == {"message": "Method not allowed"}


def test_an_unknown_path_is_404(api):
    status, _, body = api.call("GET", "/nothing/here", route_key="$default")
    assert status == 404
    assert body == {"message": "Not found"}


@pytest.mark.filterwarnings("ignore:POWERTOOLS_DEV")
@pytest.mark.parametrize("dev_mode", ["0", "1"], ids=["default", "POWERTOOLS_DEV"])
def test_an_unexpected_error_is_a_generic_500_with_details_only_in_the_log(
    dynamodb, load_function, lambda_context, monkeypatch, capsys, dev_mode
):
    # A table that does not exist: DynamoDB answers ResourceNotFoundException.
    monkeypatch.setenv("TABLE_ITEMS", "no-such-table")
    monkeypatch.setenv("POWERTOOLS_DEV", dev_mode)
    api = ItemsApi(load_function, lambda_context)
    for method, path, body in (
        ("GET", "/items", None),
        ("POST", "/items", json.dumps({"name": "x"})),
        ("GET", f"/items/{UNKNOWN_ID}", None),
        ("DELETE", f"/items/{UNKNOWN_ID}", None),
    ):
        status, _, answer = api.call(method, path, body=body)
        assert status == 500
        assert answer == {"message": "Internal server error"}
    log = capsys.readouterr().out
    assert "ResourceNotFoundException" in log
    assert "Traceback" in log  # the full story is in the structured log


def test_a_missing_table_setting_is_a_generic_500(
    dynamodb, load_function, lambda_context, monkeypatch, capsys
):
    monkeypatch.delenv("TABLE_ITEMS", raising=False)
    api = ItemsApi(load_function, lambda_context)
    status, _, body = api.call("GET", "/items")
    assert (status, body) == (500, {"message": "Internal server error"})
    assert "TABLE_ITEMS is not set" in capsys.readouterr().out


def test_logs_are_structured_and_never_hold_the_authorization_header(api, capsys):
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQifQ.c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw"
    created = api.create(name="logged")
    api.call("GET", f"/items/{created['id']}", headers={"authorization": f"Bearer {token}"})
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    assert any(line.get("message") == "Item created" for line in lines)
    assert all(line["service"] == "items" for line in lines)
    assert token not in json.dumps(lines)
