"""Item ids: canonical UUID4 strings, so anything else is known not to exist without a lookup."""

from __future__ import annotations

import uuid


def new_item_id() -> str:
    """A fresh item id."""
    return str(uuid.uuid4())


def is_item_id(value: object) -> bool:
    """True if `value` is an id this API could have issued."""
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return False
    return str(parsed) == value and parsed.version == 4
