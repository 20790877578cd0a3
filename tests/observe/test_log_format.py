"""Log events made readable: powertools' JSON lines (written here by powertools itself),
the Lambda runtime's logging format, and plain lines left as they are."""

from __future__ import annotations

import io
import json
import logging
from datetime import datetime

from aws_lambda_powertools import Logger

from deployer.observe import Rendered, local_time, render, short_stream


def powertools_lines(service: str, emit) -> list[str]:
    """What a powertools Logger writes when `emit(logger)` runs, one JSON line each (one
    service a test: powertools keeps one logger, and its handler, per service)."""
    out = io.StringIO()
    logger = Logger(service=service, logger_handler=logging.StreamHandler(out))
    emit(logger)
    return out.getvalue().splitlines()


def test_a_powertools_line_is_level_message_then_extra_keys_then_its_own():
    (line,) = powertools_lines(
        "items", lambda log: log.info("Item created", extra={"item_id": "42"})
    )
    shown = render(line)
    assert shown.level == "INFO"
    assert shown.text.startswith("Item created item_id=42 service=items location=")
    assert "timestamp" not in shown.text and shown.more == ()


def test_lambda_context_keys_are_left_out_and_values_with_spaces_are_quoted():
    line = json.dumps(
        {
            "level": "WARNING",
            "location": "handler:9",
            "message": {"event": "slow"},
            "timestamp": "2024-05-01 12:00:00,000+0000",
            "service": "items",
            "cold_start": True,
            "function_name": "demo-local-items",
            "function_memory_size": 256,
            "function_arn": "arn:aws:lambda:eu-west-1:123456789012:function:demo-local-items",
            "function_request_id": "req-1",
            "xray_trace_id": "1-abc",
            "note": "two words",
        }
    )
    assert render(line) == Rendered(
        "WARNING",
        '{"event":"slow"} note="two words" service=items location=handler:9 '
        "function_request_id=req-1 xray_trace_id=1-abc cold_start=true",
    )


def test_an_exception_is_its_message_and_the_traceback_below():
    def fail(log):
        try:
            1 / 0  # noqa: B018
        except ZeroDivisionError:
            log.exception("Boom")

    (line,) = powertools_lines("orders", fail)
    shown = render(line)
    assert shown.level == "ERROR"
    assert shown.text.startswith("Boom exception_name=ZeroDivisionError service=orders")
    assert shown.more[0] == "Traceback (most recent call last):"
    assert shown.more[-1] == "ZeroDivisionError: division by zero"


def test_the_lambda_runtimes_format_gives_level_message_and_request_id():
    line = "[ERROR]\t2024-05-01T12:00:00.000Z\treq-7\tno table\ncontinued\n"
    assert render(line) == Rendered("ERROR", "no table request_id=req-7", ("continued",))


def test_plain_lines_and_json_that_is_not_a_log_record_stay_as_they_are():
    assert render("START RequestId: r1 Version: $LATEST\n") == Rendered(
        None, "START RequestId: r1 Version: $LATEST"
    )
    assert render('{"items": []}') == Rendered(None, '{"items": []}')
    assert render("{not json") == Rendered(None, "{not json")


def test_times_are_local_iso_to_the_millisecond_and_streams_short():
    shown = local_time(1714564800123)
    assert datetime.fromisoformat(shown).timestamp() == 1714564800.123
    assert shown[:10].count("-") == 2 and "T" in shown and ".123" in shown
    assert short_stream("2024/05/01/[$LATEST]0123456789abcdef") == "[$LATEST]01234567"
    assert short_stream("2024/05/01/[3]abcdef0123") == "[3]abcdef01"
    assert short_stream("my-own-stream") == "my-own-stream"
