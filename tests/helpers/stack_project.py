"""tests/fixtures/stack_project: a project whose terraform/ uses only Terraform built-ins
(terraform_data) and a local backend, so init/plan/apply are real without AWS."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpers.paths import FIXTURES

FIXTURE = FIXTURES / "stack_project"


def copy_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the fixture project, found by the deployer as the current project."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    monkeypatch.setenv("DEPLOYER_PROJECT_DIR", str(root))
    return root


def quiet(lines: list) -> object:
    """A stream callback that keeps Terraform's lines in `lines` instead of printing them."""
    return lambda line, channel: lines.append((line, channel))


def state_resources(root: Path, env: str) -> list[str]:
    """The resources in the fixture's local state of `env` (none before the first apply)."""
    path = root / ".deployer" / "state" / f"{env}.tfstate"
    if not path.is_file():
        return []
    state = json.loads(path.read_text(encoding="utf-8"))
    return sorted(f"{r['type']}.{r['name']}" for r in state["resources"])


def emulated_copy(stack_project: Path) -> Path:
    """The fixture as an emulated project: `local`, with its state in the emulator's S3."""
    root = stack_project
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace("emulated = []", 'emulated = ["local"]'),
        encoding="utf-8",
    )
    main = root / "terraform" / "main.tf"
    main.write_text(
        main.read_text(encoding="utf-8").replace('backend "local" {}', 'backend "s3" {}'),
        encoding="utf-8",
    )
    (root / "envs" / "local.tfvars").write_text('greeting = "hello local"\n', encoding="utf-8")
    (root / "envs" / "local.backend.hcl").write_text(
        'bucket = "fixture-local-tfstate"\nkey = "local/terraform.tfstate"\n'
        'region = "eu-west-1"\nuse_lockfile = true\nencrypt = true\nuse_path_style = true\n'
        # Fewer retries than the backend's 5: a dead emulator ends a run in seconds. With
        # one try, the backend's STS check of the fake credentials is a call a loaded
        # emulator could drop for nothing: skipped, as the local environment's own is.
        "max_retries = 1\nskip_credentials_validation = true\nskip_requesting_account_id = true\n",
        encoding="utf-8",
    )
    return root
