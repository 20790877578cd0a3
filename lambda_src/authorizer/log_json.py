"""One JSON object per log line, so CloudWatch Logs Insights can query the fields."""

from __future__ import annotations

import json
import logging
from typing import Any


def log_event(logger: logging.Logger, level: int, event: str, **fields: Any) -> None:
    """Log `event` with `fields` as one JSON line (callers never pass the token)."""
    if logger.isEnabledFor(level):
        logger.log(level, json.dumps({"event": event, **fields}, default=str, sort_keys=True))
