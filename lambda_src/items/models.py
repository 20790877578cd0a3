"""What a client may send and what it gets back."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class NewItem(BaseModel):
    """The body of `POST /items`; unknown fields are refused rather than silently dropped."""

    # Strict: "5" is not a quantity and true is not a number.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    quantity: int = Field(default=0, ge=0, le=1_000_000)


def item_view(record: dict) -> dict:
    """A stored DynamoDB record as the JSON a client sees (DynamoDB numbers come back Decimal)."""
    return {
        "id": record["id"],
        "name": record["name"],
        "description": record.get("description", ""),
        "quantity": int(record.get("quantity", 0)),
        "created_at": record["created_at"],
    }
