"""A deployed environment observed from outside: `deployer smoke` (real HTTP against its
API, each check retried for a bounded time) and `deployer logs` (a function's log group,
read or followed, its structured lines made readable)."""

from __future__ import annotations

from deployer.observe.log_format import Rendered, local_time, render, short_stream
from deployer.observe.logs import (
    LogEvent,
    LogTail,
    NoLogGroup,
    filter_pattern,
    follow,
    log_group,
    open_tail,
    parse_since,
)
from deployer.observe.served import require_served
from deployer.observe.smoke import (
    CheckResult,
    SmokeReport,
    health_check,
    project_checks,
    run_check,
    run_smoke,
)

__all__ = [
    "CheckResult",
    "LogEvent",
    "LogTail",
    "NoLogGroup",
    "Rendered",
    "SmokeReport",
    "filter_pattern",
    "follow",
    "health_check",
    "local_time",
    "log_group",
    "open_tail",
    "parse_since",
    "project_checks",
    "render",
    "require_served",
    "run_check",
    "run_smoke",
    "short_stream",
]
