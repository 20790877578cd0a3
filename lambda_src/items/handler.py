"""Items API on DynamoDB: POST /items, GET /items, GET /items/{id}, DELETE /items/{id}.

Routing, structured logging and error mapping come from AWS Lambda Powertools; bodies
are validated with pydantic. The table name comes from TABLE_ITEMS (set by the root
stack for the `items` entry of [access] tables).
"""

from __future__ import annotations

import functools
import json
import os
from datetime import UTC, datetime

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import BadRequestError, NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError
from pydantic import ValidationError

from api_errors import install_error_handlers, reject_other_methods
from item_ids import is_item_id, new_item_id
from models import NewItem, item_view
from pagination import InvalidToken, decode_token, encode_token

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

logger = Logger(service="items")
app = APIGatewayHttpResolver()
install_error_handlers(app, logger)
reject_other_methods(app, "/items", ["GET", "POST"])
reject_other_methods(app, "/items/<item_id>", ["GET", "DELETE"])


@functools.cache
def _table():
    """The items table, created once per container and reused by warm invocations."""
    name = os.environ.get("TABLE_ITEMS")
    if not name:
        raise RuntimeError("TABLE_ITEMS is not set: the function's [access] lists no items table")
    return boto3.resource("dynamodb").Table(name)


@app.exception_handler(ValidationError)
def _invalid_body(exc: ValidationError) -> Response:
    # Where and what, never the submitted value: it is the client's own data, and may be large.
    errors = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors()]
    return Response(
        status_code=422,
        content_type=content_types.APPLICATION_JSON,
        body={"message": "Request body failed validation", "errors": errors},
    )


@app.post("/items")
def create_item() -> Response:
    """Store a new item; 201 with the item and its Location."""
    try:
        body = json.loads(app.current_event.decoded_body or "")
    except ValueError:
        raise BadRequestError("Request body must be valid JSON") from None
    new = NewItem.model_validate(body)
    record = {
        "id": new_item_id(),
        **new.model_dump(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _table().put_item(Item=record, ConditionExpression="attribute_not_exists(id)")
    logger.info("Item created", extra={"item_id": record["id"]})
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=item_view(record),
        headers={"Location": f"/items/{record['id']}"},
    )


@app.get("/items")
def list_items() -> dict:
    """One page of items: ?limit=1..100 and ?next_token=<the previous page's next_token>."""
    event = app.current_event
    limit = _page_size(event.get_query_string_value("limit"))
    try:
        start_key = decode_token(event.get_query_string_value("next_token"))
    except InvalidToken:
        raise BadRequestError("next_token is not a token this API issued") from None
    scan = {"Limit": limit}
    if start_key:
        scan["ExclusiveStartKey"] = start_key
    page = _table().scan(**scan)
    return {
        "items": [item_view(record) for record in page.get("Items", [])],
        "next_token": encode_token(page.get("LastEvaluatedKey")),
    }


@app.get("/items/<item_id>")
def get_item(item_id: str) -> dict:
    """One item, or 404."""
    if is_item_id(item_id):
        record = _table().get_item(Key={"id": item_id}).get("Item")
        if record:
            return item_view(record)
    raise NotFoundError("Item not found")


@app.delete("/items/<item_id>")
def delete_item(item_id: str) -> Response:
    """Delete an item: 204, or 404 if there was none."""
    if not is_item_id(item_id):
        raise NotFoundError("Item not found")
    try:
        _table().delete_item(Key={"id": item_id}, ConditionExpression="attribute_exists(id)")
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise NotFoundError("Item not found") from None
        raise
    logger.info("Item deleted", extra={"item_id": item_id})
    return Response(status_code=204, content_type=None, body=None)


def _page_size(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if raw.isascii() and raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= MAX_PAGE_SIZE:
        return int(raw)
    raise BadRequestError(f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def handler(event: dict, context: LambdaContext) -> dict:
    """Lambda entry point."""
    return app.resolve(event, context)
