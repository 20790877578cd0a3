"""The embedded emulator's process lifecycle (deployer.emulator.control): start, status,
stop, stale pid files, ports, a server that died or hangs, and `deployer local`.

Everything here runs the real server (`python -m deployer.emulator.server serve`) and
talks to it with boto3 over HTTP, as Terraform and the deployer do. The HTTP layer around
moto is tested in test_app.py, our additions to moto in test_patches.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.emulator import REGION, aws, make_project
from typer.testing import CliRunner

from deployer.cli import app
from deployer.common.errors import DeployerError, UserInputError
from deployer.config.project import Project
from deployer.emulator import control as local_emulator
from deployer.emulator.control import ensure_running, status, stop
from deployer.emulator.state import state_dir


def gone(pid: int) -> bool:
    """True when no process `pid` runs any more (a zombie counts as gone)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    return local_emulator._cmdline(pid) is None


@pytest.fixture
def project(tmp_path: Path):
    proj = make_project(tmp_path / "proj")
    yield proj
    stop(proj)


# --- lifecycle -------------------------------------------------------------------------------


def test_start_is_idempotent_and_stop_leaves_no_process(project: Project):
    first = ensure_running(project)
    assert first.running and first.started
    assert first.endpoint == f"http://127.0.0.1:{first.port}"
    saved = json.loads((state_dir(project) / "server.json").read_text())
    assert saved["pid"] == first.pid and saved["port"] == first.port

    again = ensure_running(project)
    assert (again.pid, again.port, again.started) == (first.pid, first.port, False)
    assert status(project).running

    stopped = stop(project)
    assert stopped.note == "stopped" and stopped.pid == first.pid
    assert gone(first.pid)
    assert not (state_dir(project) / "server.json").exists()
    assert not status(project).running
    assert "not running" in stop(project).note  # stopping twice is fine


def test_state_survives_between_commands(project: Project):
    running = ensure_running(project)
    aws(running, "s3").create_bucket(
        Bucket="kept", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    again = ensure_running(project)
    names = [b["Name"] for b in aws(again, "s3").list_buckets()["Buckets"]]
    assert "kept" in names


def test_stale_pid_file_of_an_exited_process_is_replaced(project: Project):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = state_dir(project)
    folder.mkdir(parents=True)
    (folder / "server.json").write_text(json.dumps({"pid": dead.pid, "port": 1}))

    before = status(project)
    assert not before.running and "has exited" in before.note

    started = ensure_running(project)
    assert started.running and started.pid != dead.pid
    assert "stale" in started.note


def test_pid_reused_by_another_program_is_never_touched(project: Project):
    other = subprocess.Popen(["sleep", "60"])
    try:
        folder = state_dir(project)
        folder.mkdir(parents=True)
        (folder / "server.json").write_text(json.dumps({"pid": other.pid, "port": 1}))
        assert "another program" in status(project).note

        started = ensure_running(project)
        assert started.running and started.pid != other.pid
        stop(project)
        assert other.poll() is None  # the unrelated program still runs
    finally:
        other.kill()
        other.wait()


def test_port_in_use_is_a_clear_error(project: Project):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(UserInputError, match=f"Port {port} .* already in use"):
            ensure_running(project, port=port)
    assert not status(project).running


def test_explicit_port_is_used(project: Project):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    running = ensure_running(project, port=port)
    assert running.port == port
    with pytest.raises(UserInputError, match="local stop"):
        ensure_running(project, port=port + 1 if port < 65535 else port - 1)


def test_a_server_that_died_is_reported_and_restarted(project: Project):
    first = ensure_running(project)
    os.kill(first.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not gone(first.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    dead = status(project)
    assert not dead.running and "has exited" in dead.note

    second = ensure_running(project)
    assert second.running and second.pid != first.pid and "stale" in second.note


def test_a_server_that_does_not_answer_is_an_error_not_a_hang(project, monkeypatch):
    running = ensure_running(project)
    os.kill(running.pid, signal.SIGSTOP)
    try:
        monkeypatch.setattr(local_emulator, "START_TIMEOUT", 1.0)
        monkeypatch.setattr(local_emulator, "PROBE_TIMEOUT", 0.5)
        assert "does not answer" in status(project).note
        with pytest.raises(DeployerError, match=r"does not answer.*deployer local stop"):
            ensure_running(project)
    finally:
        os.kill(running.pid, signal.SIGCONT)
    stop(project)
    assert gone(running.pid)


def test_cli_start_status_stop(project: Project, monkeypatch):
    monkeypatch.chdir(project.root)
    runner = CliRunner()
    started = runner.invoke(app, ["local", "start", "--json"])
    assert started.exit_code == 0, started.output
    info = json.loads(started.stdout)
    assert info["running"] and info["endpoint"].startswith("http://127.0.0.1:")

    shown = runner.invoke(app, ["local", "status", "--json"])
    assert json.loads(shown.stdout)["pid"] == info["pid"]

    text = runner.invoke(app, ["local", "status"])
    assert "running" in text.stdout and str(info["port"]) in text.stdout

    stopped = runner.invoke(app, ["local", "stop"])
    assert stopped.exit_code == 0 and "stopped" in stopped.stdout
    assert gone(info["pid"])
    after = runner.invoke(app, ["local", "status", "--json"])
    assert json.loads(after.stdout)["running"] is False
