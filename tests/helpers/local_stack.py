"""The deployer CLI as a user runs it, in a project copy (tests/e2e/)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

# An upper bound so that a hang fails the test instead of blocking CI; not a performance limit.
COMMAND_TIMEOUT = 1200


def run_deployer(project: Path, *args: str, timeout: int = COMMAND_TIMEOUT, **kwargs):
    """Run `deployer ARGS` in `project`; stdout and stderr kept apart."""
    return subprocess.run(
        [sys.executable, "-m", "deployer", *args],
        cwd=project,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )


def explain(result) -> str:
    out, err = result.stdout[-4000:], result.stderr[-6000:]
    return f"exit {result.returncode}\n--- stdout\n{out}\n--- stderr\n{err}"


def without_database(project: Path) -> None:
    """Switch the copy's `local` database off, and remove the functions that use it (the
    deployer refuses database access without a database): for end-to-end tests the
    database plays no part in, the apply then skips the provider's RDS waits (about 80 s)."""
    tfvars = project / "envs" / "local.tfvars"
    text = tfvars.read_text(encoding="utf-8")
    on = "database = {\n  enabled                      = true\n"
    assert on in text, "envs/local.tfvars no longer switches the database on as expected"
    tfvars.write_text(text.replace(on, on.replace("true", "false"), 1), encoding="utf-8")
    for manifest in (project / "lambda_src").glob("*/function.toml"):
        access = tomllib.loads(manifest.read_text(encoding="utf-8")).get("access", {})
        if access.get("database"):
            shutil.rmtree(manifest.parent)
