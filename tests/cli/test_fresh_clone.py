"""A fresh clone stays clean: the first `deployer validate dev` leaves no untracked file.

Terraform's first init writes terraform/.terraform.lock.hcl; the project ignores it
(README, "Terraform's dependency lock file"), and everything the deployer generates lives
under the ignored .deployer/.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from helpers.paths import REPO_ROOT
from typer.testing import CliRunner

from deployer.cli import app


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout


def test_validate_in_a_fresh_clone_leaves_no_untracked_file(
    project_copy: Path, provider_mirror: Path, monkeypatch
) -> None:
    shutil.copy2(REPO_ROOT / ".gitignore", project_copy / ".gitignore")
    git(project_copy, "init", "--quiet")
    git(project_copy, "add", "--all")
    assert git(project_copy, "status", "--porcelain", "--untracked-files=all").startswith("A ")
    monkeypatch.setenv("DEPLOYER_PROJECT_DIR", str(project_copy))

    result = CliRunner().invoke(app, ["validate", "dev"])
    assert result.exit_code == 0, result.output

    lock = project_copy / "terraform" / ".terraform.lock.hcl"
    assert lock.is_file()  # Terraform wrote it...
    status = git(project_copy, "status", "--porcelain", "--untracked-files=all")
    untracked = [line for line in status.splitlines() if not line.startswith("A ")]
    assert untracked == []  # ...and git does not offer it (nor anything else) for a commit
    assert git(project_copy, "check-ignore", str(lock)).strip() == str(lock)
