"""Opaque page tokens for `GET /items`: DynamoDB's LastEvaluatedKey, wrapped and checked.

A token is not a secret and grants nothing (every item it could point at is listable
anyway); it is validated strictly so that an edited or truncated token is a 400, never
a DynamoDB error surfacing as a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from item_ids import is_item_id

TOKEN_VERSION = 1
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


class InvalidToken(ValueError):
    """The token was not produced by this API (or was changed since)."""


def encode_token(last_evaluated_key: dict | None) -> str | None:
    """The token for the next page, or None when this was the last page."""
    if not last_evaluated_key:
        return None
    data = json.dumps({"v": TOKEN_VERSION, "id": last_evaluated_key["id"]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def decode_token(token: str | None) -> dict | None:
    """The ExclusiveStartKey a token stands for (None: first page); InvalidToken if tampered."""
    if token is None:
        return None
    if not _TOKEN_RE.fullmatch(token):
        raise InvalidToken(token)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidToken(token) from None
    if (
        not isinstance(data, dict)
        or set(data) != {"v", "id"}
        or data["v"] != TOKEN_VERSION
        or not is_item_id(data["id"])
    ):
        raise InvalidToken(token)
    return {"id": data["id"]}
