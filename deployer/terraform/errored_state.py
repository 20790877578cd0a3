"""A run that could not finish as Terraform meant: the state it could not save, and why the
deployer stopped it.

When Terraform cannot save state to the backend (the emulator died, the bucket is gone) it
writes `errored.tfstate` into its working directory: the source tree, where a commit could
pick it up. It is moved next to the environment's data folder instead, and the error names
it with the exact command that pushes it back.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ERRORED_STATE = "errored.tfstate"
# A file written this long before the run started is not the run's (clock granularity).
_SLACK_SECONDS = 1.0


def keep_errored_state(working_dir: Path, keep_dir: Path, started_monotonic: float) -> Path | None:
    """Move an errored.tfstate this run wrote into `keep_dir`; its new path, or None."""
    written = working_dir / ERRORED_STATE
    started_at = time.time() - (time.monotonic() - started_monotonic) - _SLACK_SECONDS
    try:
        if written.stat().st_mtime < started_at:
            return None
    except FileNotFoundError:
        return None
    keep_dir.mkdir(parents=True, exist_ok=True)
    kept = keep_dir / ERRORED_STATE
    os.replace(written, kept)
    return kept


def stopped_summary(
    command: str,
    stopped_because: str | None,
    errored_state: Path | None,
    *,
    data_dir: Path,
    working_dir: Path,
) -> str:
    """The first sentence of the error: why it was stopped, and where the state is."""
    parts = []
    if stopped_because is not None:
        parts.append(f"{stopped_because}, so `{command}` was interrupted")
    if errored_state is not None:
        push = f"TF_DATA_DIR={data_dir} terraform -chdir={working_dir} state push {errored_state}"
        parts.append(
            "Terraform could not save its state to the backend and left it in "
            f"{errored_state}: once the backend answers again, push it with `{push}` before "
            "anything else runs"
        )
    return "; ".join(parts)
