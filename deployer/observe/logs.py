"""`deployer logs ENV FUNCTION`: a function's log group read with FilterLogEvents, once
or followed.

Following polls (CloudWatch Logs has no push API short of a subscription): each poll asks
again from a little before the newest event seen, because events reach CloudWatch out of
order by a few seconds, and drops the events already printed by their eventId.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from deployer.aws import client, environment
from deployer.common import UserInputError, did_you_mean
from deployer.config import Project
from deployer.functions import deployed_name, load_functions
from deployer.observe.log_format import local_time, structured
from deployer.observe.served import require_served

POLL_INTERVAL = 1.5  # seconds between polls when following
LATE_MS = 10_000  # how far back each poll looks again for events that arrived late
_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_SINCE = 366 * 86400
# A CloudWatch filter pattern starts with one of these; any other text is plain text.
_PATTERN_START = ('"', "{", "[", "?", "%", "-")


class NoLogGroup(LookupError):
    """The function's log group does not exist (yet): nothing has logged."""


@dataclass(frozen=True)
class LogEvent:
    """One event of the log group."""

    event_id: str
    timestamp: int  # ms since the epoch
    stream: str
    message: str

    def as_dict(self) -> dict:
        """`deployer logs --json`: one such object a line."""
        return {
            "event_id": self.event_id,
            "timestamp": self.timestamp,
            "time": local_time(self.timestamp),
            "stream": self.stream,
            "message": self.message.rstrip("\n"),
            "structured": structured(self.message),
        }


def parse_since(text: str) -> int:
    """Seconds from `10m`, `30s`, `2h`, `1d` (or several: `1h30m`); UserInputError otherwise."""
    cleaned = text.strip().lower()
    parts = _DURATION.findall(cleaned)
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in parts)
    if not parts or _DURATION.sub("", cleaned).strip() or not 0 < seconds <= MAX_SINCE:
        raise UserInputError(
            f"--since {text!r} is not a duration: give a number with its unit, s, m, h or d "
            "(30s, 10m, 2h, 1d, or 1h30m), at most 366 days."
        )
    return seconds


def filter_pattern(text: str | None) -> str | None:
    """`--filter`: a CloudWatch filter pattern as it is, plain text as one quoted term
    (matched as an exact phrase, as CloudWatch matches `"..."`)."""
    if text is None or not text.strip():
        return None
    if text.lstrip().startswith(_PATTERN_START):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def log_group(project: Project, env_name: str, function: str) -> str:
    """`/aws/lambda/<deployed name>` of a function of the project (named by its folder)."""
    names = [spec.name for spec in load_functions(project)]
    if function not in names:
        raise UserInputError(
            f"No function named {function!r} under lambda_src/{did_you_mean(function, names)}; "
            f"functions: {', '.join(names) or 'none'}."
        )
    return f"/aws/lambda/{deployed_name(project, env_name, function)}"


class LogTail:
    """The events of one log group from a start time on, each given out once."""

    def __init__(
        self,
        logs: Any,
        group: str,
        *,
        start_ms: int,
        pattern: str | None = None,
        page_size: int | None = None,
    ) -> None:
        self.logs = logs  # a boto3 `logs` client
        self.group = group
        self.start_ms = start_ms
        self.pattern = pattern
        self.page_size = page_size  # None: the service's own (10,000 events a page)
        self._seen: dict[str, int] = {}  # eventId -> timestamp, of the window looked at again
        self._newest = start_ms

    def poll(self) -> list[LogEvent]:
        """The events not given out yet, oldest first; NoLogGroup when there is no group."""
        start = max(self.start_ms, self._newest - LATE_MS)
        fresh = [e for e in self._read(start) if e.event_id not in self._seen]
        fresh.sort(key=lambda e: (e.timestamp, e.stream, e.event_id))
        for event in fresh:
            self._seen[event.event_id] = event.timestamp
            self._newest = max(self._newest, event.timestamp)
        horizon = self._newest - LATE_MS  # events before it are never asked for again
        self._seen = {k: ts for k, ts in self._seen.items() if ts >= horizon}
        return fresh

    def _read(self, start_ms: int) -> Iterator[LogEvent]:
        args: dict[str, Any] = {"logGroupName": self.group, "startTime": start_ms}
        if self.pattern:
            args["filterPattern"] = self.pattern
        if self.page_size:
            args["PaginationConfig"] = {"PageSize": self.page_size}
        try:
            for page in self.logs.get_paginator("filter_log_events").paginate(**args):
                for raw in page.get("events", []):
                    yield LogEvent(
                        event_id=str(raw.get("eventId", "")),
                        timestamp=int(raw.get("timestamp", 0)),
                        stream=raw.get("logStreamName", ""),
                        message=raw.get("message", ""),
                    )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise NoLogGroup(self.group) from None
            raise


def open_tail(
    project: Project,
    env_name: str,
    function: str,
    *,
    since_seconds: int,
    pattern: str | None = None,
    now: float | None = None,
) -> LogTail:
    """The tail of `function`'s log group in `env_name`, from `since_seconds` ago.

    The function is checked first; an emulated environment's emulator must be running
    (its logs live in it), and is never started here."""
    group = log_group(project, env_name, function)
    require_served(project, env_name)
    start = int(((time.time() if now is None else now) - since_seconds) * 1000)
    logs = client(environment(project, env_name), "logs")
    return LogTail(logs, group, start_ms=start, pattern=pattern)


def follow(
    tail: LogTail, *, interval: float = POLL_INTERVAL, max_polls: int | None = None
) -> Iterator[LogEvent]:
    """Every new event, as it arrives, until the caller stops (Ctrl-C) or `max_polls`;
    a log group that does not exist yet is waited for."""
    polls = 0
    while max_polls is None or polls < max_polls:
        polls += 1
        with contextlib.suppress(NoLogGroup):  # not logged yet: wait for its first line
            yield from tail.poll()
        if max_polls is None or polls < max_polls:
            time.sleep(interval)
