"""The Terraform adapter in a driver process of its own, for tests that send it signals.

The driver (tests/fixtures/terraform_driver.py) runs `plan` + `apply` on one or more copies
of tests/fixtures/builtin_stack; `shim_env` (tests/conftest.py) puts the signal-logging
stand-in `terraform` (tests/fixtures/terraform_shim.py) first on its PATH.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from deployer.terraform.adapter import Terraform
from helpers.paths import FIXTURES

STACK = FIXTURES / "builtin_stack"
DRIVER = FIXTURES / "terraform_driver.py"
SHIM = FIXTURES / "terraform_shim.py"
LOCK_INFO = ".terraform.tfstate.lock.info"
# Only a guard against a hung test: no assertion depends on it.
HANG_GUARD_SECONDS = 120


def var_file(tmp_path: Path, name: str = "vars", **values) -> Path:
    path = tmp_path / f"{name}.tfvars.json"
    path.write_text(json.dumps(values), encoding="utf-8")
    return path


def run_terraform(folder: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    """`terraform ARGS` in `folder` with `env`, no input, no colour; kept, never raised."""
    # `output` takes no -input.
    flags = ["-no-color"] if args[0] == "output" else ["-no-color", "-input=false"]
    return subprocess.run(
        ["terraform", *args, *flags],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def read_state(stack: Path) -> dict:
    return json.loads((stack / "terraform.tfstate").read_text(encoding="utf-8"))


class Driver:
    """The adapter running `plan` + `apply` in its own process (and process group)."""

    def __init__(self, stacks: list[tuple[Path, Path]], env: dict[str, str], var_file: Path):
        argv = [sys.executable, str(DRIVER), "apply", "--var-file", str(var_file)]
        for working_dir, data_dir in stacks:
            argv += ["--stack", str(working_dir), str(data_dir)]
        self.proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            start_new_session=True,  # a process group of its own, like a shell job
        )
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, needle: str) -> None:
        """Block until the driver prints a line containing `needle`."""
        while True:
            try:
                line = self._queue.get(timeout=HANG_GUARD_SECONDS)
            except queue.Empty:
                line = None
            if line is None:
                self.kill()
                pytest.fail(f"the driver never printed {needle!r}:\n" + "\n".join(self.lines))
            self.lines.append(line)
            if needle in line:
                return

    def finish(self) -> tuple[int, list[dict]]:
        """Wait for the driver to exit: its exit code and its RESULT (one entry per stack)."""
        try:
            returncode = self.proc.wait(timeout=HANG_GUARD_SECONDS)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail("the driver did not exit:\n" + "\n".join(self.lines))
        while (line := self._queue.get(timeout=HANG_GUARD_SECONDS)) is not None:
            self.lines.append(line)
        results = [line for line in self.lines if line.startswith("RESULT ")]
        assert results, "\n".join(self.lines)
        return returncode, json.loads(results[-1][len("RESULT ") :])

    def output(self) -> str:
        return "\n".join(self.lines)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)


def start_sleeping_apply(stack, tmp_path, env) -> Driver:
    Terraform(stack, data_dir=tmp_path / "tfdata", env=env, stream=None).init()
    driver = Driver([(stack, tmp_path / "tfdata")], env, var_file(tmp_path, sleep_seconds=60))
    driver.wait_for("Executing:")  # the apply holds the lock and sleeps
    return driver
