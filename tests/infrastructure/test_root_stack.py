"""The root stack itself (terraform/, envs/): valid, its own `terraform test`, formatted,
and checkov-clean, on a copy of the repository's project files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from helpers.checkov import assert_checkov_clean
from helpers.paths import REPO_ROOT
from helpers.stack_project import quiet

from deployer.config.project import find_project
from deployer.stack.root_stack import Stack


def test_root_stack_validates(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEPLOYER_PROJECT_DIR", str(project_copy))
    lines: list = []
    Stack(find_project(project_copy), "dev", stream=quiet(lines)).validate()
    assert any("The configuration is valid" in line for line, _ in lines)


def test_root_stack_terraform_test(project_copy: Path, terraform_env: dict, tmp_path: Path) -> None:
    env = {**terraform_env, "TF_DATA_DIR": str(tmp_path / "tfdata")}
    cwd = project_copy / "terraform"
    init = subprocess.run(
        ["terraform", "init", "-backend=false", "-input=false", "-no-color"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    test = subprocess.run(
        ["terraform", "test", "-no-color"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert test.returncode == 0, test.stdout + test.stderr
    assert "0 failed" in test.stdout
    assert 'run "two_functions_two_lambdas_their_routes_and_scoped_policies"... pass' in test.stdout


def test_root_stack_is_formatted(terraform_env: dict) -> None:
    root = REPO_ROOT
    fmt = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-no-color", "terraform", "envs"],
        cwd=root,
        env=terraform_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fmt.returncode == 0, f"not terraform fmt clean: {fmt.stdout}{fmt.stderr}"


def test_root_stack_checkov_has_no_failed_checks(tmp_path: Path, checkov_bin: str) -> None:
    """The root stack as the platform team deploys it, its local modules included."""
    for part in ("terraform", "modules"):
        shutil.copytree(
            REPO_ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns(".terraform*")
        )
    assert_checkov_clean(tmp_path / "terraform", checkov_bin)
