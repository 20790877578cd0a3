"""A log event made readable: the structured lines aws-lambda-powertools writes (one JSON
object a line) become `LEVEL message key=value ...`; the Lambda runtime's own logging
format (`[LEVEL]\\t<time>\\t<request id>\\t<message>`) its level and message; anything else
(print output, START/END/REPORT) stays as it is."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

# Powertools' own keys, shown after the handler's extra keys (theirs are the news).
_STANDARD = (
    "service",
    "location",
    "function_request_id",
    "correlation_id",
    "xray_trace_id",
    "cold_start",
    "sampling_rate",
)
# The same on every line of one log group (the command named the function), or shown
# elsewhere on the line (the event's own time): left out.
_DROPPED = {"level", "message", "timestamp", "function_name", "function_arn"}
_DROPPED |= {"function_memory_size", "exception", "stack_trace"}
_RUNTIME_LINE = re.compile(
    r"\[(?P<level>DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)\]\t(?P<time>\S+)\t"
    r"(?P<request>\S+)\t(?P<message>.*)",
    re.DOTALL,
)
_STREAM_DATE = re.compile(r"^\d{4}/\d{2}/\d{2}/")
STREAM_ID_CHARS = 8  # enough to tell a function's concurrent instances apart


@dataclass(frozen=True)
class Rendered:
    """One event's message for people: its level (None: unstructured), its line, and the
    lines that follow it (an exception's traceback)."""

    level: str | None
    text: str
    more: tuple[str, ...] = ()


def structured(message: str) -> dict | None:
    """The JSON object of a powertools line (it has `level` and `message`), else None."""
    text = message.strip()
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, dict) and "level" in data and "message" in data:
        return data
    return None


def _value(value: object) -> str:
    if isinstance(value, str):
        return value if value and not re.search(r"\s", value) else json.dumps(value)
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


def render(message: str) -> Rendered:
    """`message` (one log event) as a readable line."""
    data = structured(message)
    if data is not None:
        text = data["message"]
        text = text if isinstance(text, str) else _value(text)
        standard = [k for k in _STANDARD if k in data]
        extra = [k for k in data if k not in _DROPPED and k not in _STANDARD]
        pairs = " ".join(f"{k}={_value(data[k])}" for k in (*extra, *standard))
        trace = data.get("exception") or data.get("stack_trace") or ""
        more = tuple(str(trace).rstrip().splitlines()) if trace else ()
        return Rendered(str(data["level"]).upper(), f"{text} {pairs}".rstrip(), more)
    match = _RUNTIME_LINE.fullmatch(message.rstrip("\n"))
    if match is not None:
        first, *rest = match["message"].splitlines() or [""]
        level = "WARNING" if match["level"] == "WARN" else match["level"]
        return Rendered(level, f"{first} request_id={match['request']}", tuple(rest))
    first, *rest = message.rstrip("\n").splitlines() or [""]
    return Rendered(None, first, tuple(rest))


def local_time(timestamp_ms: int) -> str:
    """An event's time in the machine's time zone, ISO-like to the millisecond."""
    moment = datetime.fromtimestamp(timestamp_ms / 1000).astimezone()
    return moment.isoformat(timespec="milliseconds")


def short_stream(stream: str) -> str:
    """`2024/05/01/[$LATEST]1a2b3c...` -> `[$LATEST]1a2b3c4d`: the version and enough of
    the instance's id to tell instances apart; the date is in the event's time already."""
    rest = _STREAM_DATE.sub("", stream)
    head, bracket, instance = rest.rpartition("]")
    if not bracket:
        return rest[:24]
    return f"{head}]{instance[:STREAM_ID_CHARS]}"
