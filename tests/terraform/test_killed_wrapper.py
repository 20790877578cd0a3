"""A deployer killed mid-apply (`kill -9`) does not take Terraform with it: Terraform
writes to files the deployer follows, not to pipes that die with their reader, so it
finishes the apply, saves the state and frees the lock; the next command converges.
Real signals, real Terraform, the built-in-only stack of tests/fixtures/stack_project."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers.stack_project import state_resources
from typer.testing import CliRunner

from deployer.cli import app

# Only guards against a hung test: nothing asserts on time.
DEADLINE_SECONDS = 180


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) of every running process."""
    listing = subprocess.run(
        ["ps", "-eo", "pid=,ppid=,args="], capture_output=True, text=True, check=True
    ).stdout
    found = {}
    for line in listing.splitlines():
        pid, ppid, *args = line.split(None, 2)
        found[int(pid)] = (int(ppid), args[0] if args else "")
    return found


def _terraform_children(parent: int) -> list[int]:
    return [
        pid
        for pid, (ppid, args) in _processes().items()
        if ppid == parent and "terraform" in args.split()[0] and " apply" in args
    ]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its new parent) is gone for this purpose.
    state = Path(f"/proc/{pid}/stat")
    return not (state.is_file() and state.read_text().split(")")[-1].split()[0] == "Z")


def test_terraform_finishes_the_apply_when_the_deployer_is_killed(
    stack_project: Path, tmp_path, monkeypatch
):
    monkeypatch.setenv("TF_VAR_sleep_seconds", "8")  # the same inputs for the next plan
    env = {**os.environ, "DEPLOYER_PROJECT_DIR": str(stack_project)}
    log_path = tmp_path / "deployer.log"
    with log_path.open("w", encoding="utf-8") as log:
        deployer = subprocess.Popen(
            [sys.executable, "-m", "deployer", "apply", "dev", "--auto-approve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a job of its own, as a shell would start it
        )
    lock_info = stack_project / ".deployer/state/.dev.tfstate.lock.info"
    deadline = time.monotonic() + DEADLINE_SECONDS
    terraform: list[int] = []
    try:
        # The apply (not its plan) is running the slow resource, under its lock.
        while not (
            lock_info.is_file()
            and "terraform_data.slow[0]: Creating" in log_path.read_text(encoding="utf-8")
        ):
            assert deployer.poll() is None, log_path.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the apply never reached the slow resource"
            time.sleep(0.1)
        terraform = _terraform_children(deployer.pid)
        assert len(terraform) == 1, _processes()
        deployer.send_signal(signal.SIGKILL)
        deployer.wait(timeout=30)

        # Terraform goes on alone, finishes, saves the state and frees the lock.
        while _alive(terraform[0]):
            assert time.monotonic() < deadline, "Terraform never finished"
            time.sleep(0.2)
    finally:
        if deployer.poll() is None:
            deployer.kill()
            deployer.wait()
        for pid in terraform:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert not lock_info.exists()
    assert "terraform_data.slow" in state_resources(stack_project, "dev")

    # The next command meets no lock and nothing left to do.
    planned = CliRunner().invoke(app, ["plan", "dev", "--json", "--detailed-exitcode"])
    assert planned.exit_code == 0, planned.output
    assert json.loads(planned.stdout)["has_changes"] is False


def test_a_terraform_killed_from_outside_is_named_with_what_it_may_have_left(
    stack_project: Path, tmp_path, monkeypatch
):
    monkeypatch.setenv("TF_VAR_sleep_seconds", "30")
    env = {**os.environ, "DEPLOYER_PROJECT_DIR": str(stack_project)}
    log_path = tmp_path / "deployer.log"
    with log_path.open("w", encoding="utf-8") as log:
        deployer = subprocess.Popen(
            [sys.executable, "-m", "deployer", "apply", "dev", "--auto-approve"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + DEADLINE_SECONDS
    try:
        while "terraform_data.slow[0]: Creating" not in log_path.read_text(encoding="utf-8"):
            assert deployer.poll() is None, log_path.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, "the apply never reached the slow resource"
            time.sleep(0.1)
        [terraform] = _terraform_children(deployer.pid)
        os.kill(terraform, signal.SIGKILL)  # the out-of-memory killer, say
        assert deployer.wait(timeout=60) == 1
    finally:
        if deployer.poll() is None:
            deployer.kill()
            deployer.wait()
    said = " ".join(log_path.read_text(encoding="utf-8").split())
    assert "Terraform was killed by SIGKILL, not by the deployer" in said
    assert "its state lock may still be held" in said
    assert "`deployer force-unlock dev <LOCK_ID>`" in said
    assert "Traceback" not in said

    # This fixture's local backend locks with an OS file lock, which dies with the process
    # (an S3 lock file would stay, and be named by the next run): the next run proceeds.
    again = CliRunner().invoke(app, ["plan", "dev", "--json"])
    assert again.exit_code == 0, again.output
