"""`deployer logs ENV FUNCTION` and `deployer smoke ENV` as a user calls them (CliRunner; a
real process for Ctrl-C), on an emulated project with a real running emulator whose
CloudWatch Logs hold the events the tests put there with boto3."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.emulator import aws, make_project
from typer.testing import CliRunner

from deployer.cli import app
from deployer.emulator import ensure_running, stop

GROUP = "/aws/lambda/demo-local-items"
STREAM = "2024/05/01/[$LATEST]feedc0de0123456789abcdef01234567"
POWERTOOLS = json.dumps(
    {
        "level": "INFO",
        "location": "create:73",
        "message": "Item created",
        "timestamp": "2024-05-01 12:00:00,000+0000",
        "service": "items",
        "item_id": "42",
    }
)


def add_function(root: Path, name: str) -> None:
    folder = root / "lambda_src" / name
    folder.mkdir(parents=True)
    (folder / "handler.py").write_text("def handler(event, context):\n    return 1\n")
    (folder / "function.toml").write_text('handler = "handler.handler"\n', encoding="utf-8")


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> Iterator[tuple[Path, object]]:
    """A project with the functions `items` (which has logged) and `quiet` (which has not),
    and its running emulator."""
    root = tmp_path_factory.mktemp("observe-cli") / "proj"
    project = make_project(root)
    add_function(root, "items")
    add_function(root, "quiet")
    server = ensure_running(project)
    try:
        logs = aws(server, "logs")
        logs.create_log_group(logGroupName=GROUP)
        logs.create_log_stream(logGroupName=GROUP, logStreamName=STREAM)
        now = int(time.time() * 1000)
        events = [
            (now - 2 * 3600 * 1000, "an old line"),
            (now - 2000, "START RequestId: r1 Version: $LATEST"),
            (now - 1000, POWERTOOLS),
            (now, "END RequestId: r1"),
        ]
        logs.put_log_events(
            logGroupName=GROUP,
            logStreamName=STREAM,
            logEvents=[{"timestamp": t, "message": m} for t, m in events],
        )
        yield root, server
    finally:
        stop(project)


@pytest.fixture
def run(local, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(local[0])

    def invoke(*args: str):
        return CliRunner().invoke(app, list(args))

    return invoke


def test_logs_prints_one_line_per_event_with_time_stream_and_readable_powertools(run):
    result = run("logs", "local", "items")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3  # the old line is before --since's default 10m
    assert lines[0].endswith(" [$LATEST]feedc0de START RequestId: r1 Version: $LATEST")
    assert lines[1].endswith(
        " [$LATEST]feedc0de INFO Item created item_id=42 service=items location=create:73"
    )
    assert lines[2].endswith("END RequestId: r1")
    stamp = lines[1].split(" ", 1)[0]
    assert stamp[4] == "-" and "T" in stamp  # local time, ISO-like


def test_logs_json_is_one_object_per_event(run):
    result = run("logs", "local", "items", "--since", "3h", "--json")
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0]["message"] == "an old line"
    assert len(events) == 4
    record = events[2]
    assert record["stream"] == STREAM and record["structured"]["item_id"] == "42"
    assert set(record) == {"event_id", "timestamp", "time", "stream", "message", "structured"}


def test_logs_filter_is_plain_text_or_a_pattern(run):
    result = run("logs", "local", "items", "--filter", "Item created")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1 and "Item created" in result.stdout
    nothing = run("logs", "local", "items", "--filter", "no such text")
    assert nothing.exit_code == 0 and nothing.stdout == ""
    assert "No log events of items in the last 10m matching the filter." in nothing.stderr


def test_a_function_that_has_not_logged_says_so(run):
    result = run("logs", "local", "quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "quiet has not logged yet on local (no log group /aws/lambda/demo-local-quiet)." in (
        " ".join(result.stderr.split())
    )


def test_an_unknown_function_or_a_bad_since_is_one_line_and_exit_2(run):
    unknown = run("logs", "local", "itemz")
    assert unknown.exit_code == 2
    assert "No function named 'itemz' under lambda_src/" in unknown.stderr
    assert "functions: items, quiet." in unknown.stderr
    since = run("logs", "local", "items", "--since", "soon")
    assert since.exit_code == 2 and "--since 'soon' is not a duration" in since.stderr
    for result in (unknown, since):
        assert "Traceback" not in result.output


def test_logs_follow_prints_new_events_and_ctrl_c_exits_0(local):
    root, server = local
    child = subprocess.Popen(
        [sys.executable, "-m", "deployer", "logs", "local", "items", "--follow"],
        cwd=root,
        env={k: v for k, v in os.environ.items() if not k.startswith("DEPLOYER_")},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "Item created" in _read_until(child, "END RequestId: r1")
        aws(server, "logs").put_log_events(
            logGroupName=GROUP,
            logStreamName=STREAM,
            logEvents=[{"timestamp": int(time.time() * 1000), "message": "followed line"}],
        )
        assert "followed line" in _read_until(child, "followed line")
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, stderr
    assert "stopped following." in stderr and "Traceback" not in stderr


def _read_until(child: subprocess.Popen, text: str, guard: float = 60.0) -> str:
    """The child's output up to the line holding `text`; the guard only stops a hung test."""
    seen = []
    selector = selectors.DefaultSelector()
    selector.register(child.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + guard
    while time.monotonic() < deadline:
        if selector.select(timeout=1):
            line = child.stdout.readline()
            if not line:
                break
            seen.append(line)
            if text in line:
                return "".join(seen)
    pytest.fail(f"no line with {text!r}; got: {''.join(seen)!r}")


def test_smoke_and_logs_say_the_emulator_is_not_running_with_the_fix(tmp_path, monkeypatch):
    root = tmp_path / "stopped"
    make_project(root)
    add_function(root, "items")
    monkeypatch.chdir(root)
    for args in (["smoke", "local"], ["logs", "local", "items"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1, result.output
        message = " ".join(result.stderr.split())
        assert message == (
            "error: The local emulator is not running, so nothing serves local's API (nor "
            "keeps its logs): apply it first with `deployer apply local` (or keep "
            "`deployer dev local` running)."
        )
    assert not (root / ".deployer" / "local" / "server.json").exists()  # none was started
