"""`deployer force-unlock ENV LOCK_ID`: the lock a dead run left in an S3 backend, released.

Real processes throughout: the built-in-only fixture stack with its state in the embedded
emulator's S3 (`use_lockfile`, as on AWS), an apply SIGKILLed, Terraform and all, while
it holds the lock, and the next plan refused until the lock is released.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers.stack_project import emulated_copy
from typer.testing import CliRunner

from deployer.cli import app
from deployer.config import find_project
from deployer.emulator import stop as stop_emulator

# Only guards against a hung test: nothing asserts on time.
DEADLINE_SECONDS = 180


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def _terraform_children(pid: int) -> list[int]:
    """The `terraform` processes `pid` started (not the emulator it started, which lives on)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, rest = stat.read_text().rsplit(")", 1)
        except (OSError, ValueError):
            continue
        if int(rest.split()[1]) == pid and name.endswith("(terraform"):
            found.append(int(stat.parent.name))
    return found


def _kill_holding_apply(root: Path, log_path: Path) -> None:
    """An apply that dies, Terraform with it, while it holds the state lock."""
    env = {**os.environ, "TF_VAR_sleep_seconds": "120", "DEPLOYER_PROJECT_DIR": str(root)}
    with log_path.open("w", encoding="utf-8") as log:
        holder = subprocess.Popen(
            [sys.executable, "-m", "deployer", "apply", "local", "--auto-approve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while "terraform_data.slow[0]: Creating" not in log_path.read_text(encoding="utf-8"):
            assert holder.poll() is None, log_path.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the apply never reached the slow resource"
            time.sleep(0.1)
        # Terraform runs in a session of its own (the deployer forwards Ctrl-C itself).
        terraform = _terraform_children(holder.pid)
        assert terraform, "no terraform child found"
        for child in terraform:
            os.killpg(child, signal.SIGKILL)
    finally:
        os.killpg(holder.pid, signal.SIGKILL)
        holder.wait()


def test_force_unlock_releases_a_dead_runs_lock(stack_project: Path, tmp_path: Path, monkeypatch):
    root = emulated_copy(stack_project)
    try:
        _kill_holding_apply(root, tmp_path / "holder.log")

        refused = run("plan", "local")
        assert refused.exit_code == 1, refused.output
        flat = " ".join(refused.stderr.split())
        assert "The state is locked by" in flat
        lock_id = flat.split("(lock ID ", 1)[1].split(",", 1)[0]
        assert f"`deployer force-unlock local {lock_id}`" in flat

        wrong = run("force-unlock", "local", "not-" + lock_id, "--yes", "--json")
        assert wrong.exit_code == 1 and wrong.stdout == ""
        assert "does not match the existing lock ID" in wrong.stderr

        released = run("force-unlock", "local", lock_id, "--yes", "--json")
        assert released.exit_code == 0, released.output
        assert json.loads(released.stdout) == {
            "environment": "local",
            "lock_id": lock_id,
            "released": True,
        }
        assert "successfully unlocked" in released.stderr  # Terraform's words, off stdout

        again = run("plan", "local", "--detailed-exitcode")
        assert again.exit_code == 2, again.output  # planned: the lock is gone
    finally:
        stop_emulator(find_project(root))


def test_force_unlock_asks_first(stack_project: Path):
    result = CliRunner().invoke(app, ["force-unlock", "dev", "some-id"], input="n\n")
    assert result.exit_code == 1
    assert "Release lock some-id of dev? Only do this if no run holds it." in result.output
