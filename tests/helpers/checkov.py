"""checkov on a Terraform folder, for the module and root-stack tests (tests/infrastructure/)."""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from pathlib import Path

from helpers.paths import REPO_ROOT

CHECKOV_VENV = REPO_ROOT / ".deployer" / "tools" / "checkov-venv"
# A safety net against a wedged child, not a performance assertion.
CHECKOV_TIMEOUT = 900


def checkov_from_venv() -> Path:
    """checkov in its own venv: its bc-python-hcl2 clashes with python-hcl2 in ours."""
    binary = CHECKOV_VENV / "bin" / "checkov"
    CHECKOV_VENV.parent.mkdir(parents=True, exist_ok=True)
    with open(CHECKOV_VENV.parent / "checkov-venv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # xdist workers install it once, one at a time
        if not binary.is_file():
            subprocess.run([sys.executable, "-m", "venv", str(CHECKOV_VENV)], check=True)
            subprocess.run(
                [str(CHECKOV_VENV / "bin" / "pip"), "install", "--quiet", "checkov"], check=True
            )
    return binary


def _checkov_summary(stdout: str) -> tuple[dict, list[str]]:
    data = json.loads(stdout)
    reports = data if isinstance(data, list) else [data]
    summary = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}
    failed_ids = []
    for report in reports:
        counts = report.get("summary", report)  # an empty scan prints only the summary
        for key in summary:
            summary[key] += counts.get(key, 0)
        for check in report.get("results", {}).get("failed_checks", []):
            failed_ids.append(f"{check['check_id']} {check['resource']} ({check['file_path']})")
    return summary, failed_ids


def assert_checkov_clean(folder: Path, checkov_bin: str) -> None:
    proc = subprocess.run(
        [
            checkov_bin,
            "-d",
            str(folder),
            "--framework",
            "terraform",
            "--skip-download",
            "--quiet",
            "--compact",
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=CHECKOV_TIMEOUT,
    )
    assert proc.stdout.strip(), f"checkov printed nothing (exit {proc.returncode}):\n{proc.stderr}"
    summary, failed = _checkov_summary(proc.stdout)
    assert summary["parsing_errors"] == 0, f"checkov could not parse a file in {folder.name}"
    assert summary["passed"] + summary["failed"] > 0, f"checkov found nothing to check: {summary}"
    assert summary["failed"] == 0, f"checkov failed checks in {folder.name}:\n" + "\n".join(failed)
