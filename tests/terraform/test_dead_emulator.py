"""A local emulator that dies while Terraform talks to it: the deployer notices within a
second or two (it watches the emulator's process), interrupts Terraform gracefully and
says so in one line; the state Terraform could not save lands under .deployer/<env>/,
never in the source tree, and the error gives the exact `state push` command.

Real processes: the built-in-only stack of tests/fixtures/stack_project with an S3
backend in the embedded emulator (the `local` way), and a SIGKILL to the emulator."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.stack_project import emulated_copy

from deployer.config import find_project
from deployer.emulator import stop as stop_emulator

# Only guards against a hung test: nothing asserts on time.
DEADLINE_SECONDS = 300
WATCHED = "stopped while Terraform was using it"


def test_a_dead_emulator_interrupts_terraform_and_keeps_its_state_out_of_the_tree(
    stack_project: Path, tmp_path
):
    root = emulated_copy(stack_project)
    env = {**os.environ, "TF_VAR_sleep_seconds": "120", "DEPLOYER_PROJECT_DIR": str(root)}
    log_path = tmp_path / "deployer.log"
    with log_path.open("w", encoding="utf-8") as log:
        deployer = subprocess.Popen(
            [sys.executable, "-m", "deployer", "apply", "local", "--auto-approve"],
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
        server = json.loads((root / ".deployer/local/server.json").read_text(encoding="utf-8"))
        os.kill(server["pid"], signal.SIGKILL)
        killed_at = time.monotonic()
        while WATCHED not in log_path.read_text(encoding="utf-8"):
            assert time.monotonic() < deadline, log_path.read_text(encoding="utf-8")
            time.sleep(0.1)
        noticed = time.monotonic() - killed_at
        returncode = deployer.wait(timeout=DEADLINE_SECONDS)
        ended = time.monotonic() - killed_at
    finally:
        if deployer.poll() is None:
            os.killpg(deployer.pid, signal.SIGKILL)
            deployer.wait()
        stop_emulator(find_project(root))
    print(f"\ndead emulator: noticed after {noticed:.1f} s, the apply ended after {ended:.1f} s")
    said = log_path.read_text(encoding="utf-8")
    flat = " ".join(said.split())
    assert returncode == 1, said[-4000:]
    assert f"The local emulator (pid {server['pid']}) {WATCHED}" in flat
    assert "Traceback" not in said
    assert not (root / "terraform" / "errored.tfstate").exists()
    kept = root / ".deployer" / "local" / "errored.tfstate"
    if kept.exists():  # Terraform had state to save and could not reach the backend
        assert "state push" in flat and str(kept) in flat
        assert json.loads(kept.read_text(encoding="utf-8"))["resources"]
    else:
        pytest.fail("Terraform saved no errored.tfstate:\n" + said[-4000:])
    assert re.search(r"deployer local stop", flat)
