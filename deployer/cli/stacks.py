"""The environment's stack, as every command that needs Terraform opens it."""

from __future__ import annotations

import sys


def _to_stderr(line: str, channel: str) -> None:
    print(line, file=sys.stderr, flush=True)


def open_stack(env: str, *, json_out: bool = False, lock_timeout: str | None = None):
    """The `Stack` of `env` in the current project; with --json, Terraform's output goes to
    stderr so that stdout holds only the JSON."""
    from deployer.config import find_project
    from deployer.stack import Stack

    return Stack(
        find_project(), env, stream=_to_stderr if json_out else None, lock_timeout=lock_timeout
    )
