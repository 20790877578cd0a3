"""Reading a function's log group (`deployer logs`' core) from the emulator's CloudWatch
Logs, written with boto3 as the emulator's runtime writes them: every page, each event
once, --since, --filter, a missing group, and following as events arrive."""

from __future__ import annotations

import time

import pytest
from helpers.emulator import aws

from deployer.common import UserInputError
from deployer.config import find_project
from deployer.observe import (
    LogTail,
    NoLogGroup,
    filter_pattern,
    follow,
    log_group,
    open_tail,
    parse_since,
)

STREAM = "2024/05/01/[$LATEST]0123456789abcdef0123456789abcdef"


def add_function(project, name: str):
    """A function folder under lambda_src/, and the project as it reads again."""
    folder = project.root / "lambda_src" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "handler.py").write_text("def handler(event, context):\n    return 1\n")
    (folder / "function.toml").write_text('handler = "handler.handler"\n', encoding="utf-8")
    return find_project(project.root)


def put(server, group: str, *messages: str, at: int | None = None, stream: str = STREAM):
    """Events in `group` (created if needed), `at` ms (default now), one ms apart."""
    logs = aws(server, "logs")
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
    if not logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=stream)["logStreams"]:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    start = int(time.time() * 1000) if at is None else at
    events = [{"timestamp": start + i, "message": m} for i, m in enumerate(messages)]
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def tail_of(server, group: str, *, since: int = 600, **kwargs) -> LogTail:
    start = int((time.time() - since) * 1000)
    return LogTail(aws(server, "logs"), group, start_ms=start, **kwargs)


def test_the_log_group_is_the_deployed_functions_and_an_unknown_function_is_named(
    emulator_project,
):
    project = add_function(emulator_project, "items")
    assert log_group(project, "local", "items") == "/aws/lambda/demo-local-items"
    with pytest.raises(UserInputError) as raised:
        log_group(project, "local", "itemz")
    assert str(raised.value) == (
        "No function named 'itemz' under lambda_src/ (did you mean \"items\"?); functions: items."
    )


def test_every_page_is_read_oldest_first_and_each_event_given_out_once(server):
    group = "/aws/lambda/paged"
    put(server, group, *(f"line {i}" for i in range(12)), stream="2024/05/01/[$LATEST]b")
    put(server, group, *(f"other {i}" for i in range(13)), stream="2024/05/01/[$LATEST]a")
    tail = tail_of(server, group, page_size=10)
    first = tail.poll()
    assert len(first) == 25 and len({e.event_id for e in first}) == 25
    assert [e.timestamp for e in first] == sorted(e.timestamp for e in first)
    assert {e.message for e in first} >= {"line 0", "line 11", "other 12"}
    assert tail.poll() == []  # nothing new: nothing again
    put(server, group, "late one")
    assert [e.message for e in tail.poll()] == ["late one"]


def test_since_leaves_out_older_events(server):
    group = "/aws/lambda/since"
    put(server, group, "two hours ago", at=int((time.time() - 7200) * 1000))
    put(server, group, "just now")
    assert [e.message for e in tail_of(server, group, since=600).poll()] == ["just now"]
    wide = tail_of(server, group, since=3 * 3600).poll()
    assert [e.message for e in wide] == ["two hours ago", "just now"]


def test_plain_text_filters_as_a_quoted_phrase_and_a_pattern_passes_as_it_is(server):
    group = "/aws/lambda/filtered"
    put(server, group, "Item created id=1", "Item deleted id=1", "created Item")
    pattern = filter_pattern("Item created")
    assert pattern == '"Item created"'
    matched = tail_of(server, group, pattern=pattern).poll()
    assert [e.message for e in matched] == ["Item created id=1"]
    assert filter_pattern('say "hi"') == '"say \\"hi\\""'
    for given in ('"exact phrase"', '{ $.level = "ERROR" }', "[ip, user]", "?ERROR ?WARN"):
        assert filter_pattern(given) == given
    assert filter_pattern("") is None and filter_pattern(None) is None


def test_a_missing_log_group_is_no_log_group(server):
    with pytest.raises(NoLogGroup):
        tail_of(server, "/aws/lambda/never-logged").poll()


def test_follow_gives_each_new_event_as_it_arrives_and_waits_for_the_group(server):
    group = "/aws/lambda/followed"
    events = follow(tail_of(server, group), interval=0.05, max_polls=400)
    # The generator polls only when asked: the group appears after following began.
    put(server, group, "first", "second")
    assert [next(events).message, next(events).message] == ["first", "second"]
    put(server, group, "third")
    assert next(events).message == "third"
    # A bounded follow ends by itself when nothing more comes.
    assert list(follow(tail_of(server, "/aws/lambda/followed"), interval=0, max_polls=2))


def test_open_tail_needs_the_running_emulator_of_an_emulated_environment(tmp_path):
    from helpers.emulator import make_project

    project = add_function(make_project(tmp_path / "stopped"), "items")
    with pytest.raises(Exception, match="The local emulator is not running") as raised:
        open_tail(project, "local", "items", since_seconds=60)
    assert raised.value.exit_code == 1
    with pytest.raises(UserInputError, match="No function named 'nope'"):
        open_tail(project, "local", "nope", since_seconds=60)


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1h30m", 5400)]
)
def test_since_durations(text, seconds):
    assert parse_since(text) == seconds


@pytest.mark.parametrize("text", ["10", "ten minutes", "0m", "10x", "400d", ""])
def test_a_bad_since_is_one_sentence_with_examples(text):
    with pytest.raises(UserInputError, match=r"--since .* is not a duration: .*30s, 10m"):
        parse_since(text)
