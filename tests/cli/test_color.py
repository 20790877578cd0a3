"""Colour only on a terminal, and never with NO_COLOR (https://no-color.org): the
deployer's own lines and Terraform's streamed output alike.

`deployer` runs as a real process on a pseudo-terminal, as in a user's shell; each test
also runs it without NO_COLOR and sees colour there, so it can fail.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

ESC = "\x1b["


def on_a_terminal(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run `python -m deployer ARGS` with stdout and stderr on a pseudo-terminal; its
    exit code and everything it wrote there."""
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "deployer", *args],
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=child,
        env=env,
        cwd=cwd,
    )
    os.close(child)
    chunks = []
    try:
        while True:
            try:
                data = os.read(main, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(main)
    return proc.wait(timeout=300), b"".join(chunks).decode(errors="replace")


@pytest.fixture
def shell_env(stack_project: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(DEPLOYER_PROJECT_DIR=str(stack_project), TERM="xterm-256color", COLUMNS="120")
    return env


def test_the_error_line_has_no_colour_with_no_color(stack_project, shell_env) -> None:
    code, coloured = on_a_terminal(["plan", "staging"], shell_env, stack_project)
    assert code == 2 and "Unknown environment 'staging'" in coloured
    assert ESC in coloured  # red on a terminal...

    code, plain = on_a_terminal(["plan", "staging"], {**shell_env, "NO_COLOR": "1"}, stack_project)
    assert code == 2 and "error: Unknown environment 'staging'" in plain
    assert ESC not in plain  # ...and plain with NO_COLOR


def test_terraform_output_has_no_colour_with_no_color(stack_project, shell_env) -> None:
    code, coloured = on_a_terminal(["validate", "dev"], shell_env, stack_project)
    assert code == 0, coloured
    initialised = next(line for line in coloured.splitlines() if "successfully initialized" in line)
    assert ESC in initialised  # Terraform's own colours, on a terminal

    # Terraform's own validate runs again only when the configuration changed: forget it.
    (stack_project / ".deployer" / "dev" / "validated.sha256").unlink()
    code, plain = on_a_terminal(["validate", "dev"], {**shell_env, "NO_COLOR": "1"}, stack_project)
    assert code == 0, plain
    assert "Terraform has been successfully initialized!" in plain
    assert "envs/dev.tfvars and terraform/ are valid." in plain
    assert ESC not in plain  # neither Terraform (-no-color) nor the deployer styled anything


def test_an_empty_no_color_changes_nothing(stack_project, shell_env) -> None:
    code, output = on_a_terminal(["plan", "staging"], {**shell_env, "NO_COLOR": ""}, stack_project)
    assert code == 2 and ESC in output  # the spec: set *and not empty*
