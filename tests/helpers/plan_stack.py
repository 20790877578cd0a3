"""tests/fixtures/plan_stack applied once in a temporary folder, then planned with changes:
real plans for the plan summary and the plan comment (tests/review/)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.paths import FIXTURES

FIXTURE = FIXTURES / "plan_stack"
# Sensitive values: applied first (OLD), then changed by the plan (NEW).
SENTINEL_OLD = "SENTINEL-old-3f9c1e77"
SENTINEL_NEW = "SENTINEL-new-8a2d4710"


@dataclass(frozen=True)
class RealPlan:
    """A saved plan as the deployer sees it: `show -json` and `show -no-color`."""

    show_json: dict
    text: str


class PlanStack:
    """The fixture stack in a temporary folder, applied once with stage = "base"."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.dir = workdir
        self.env = env
        shutil.copy(FIXTURE / "main.tf", workdir / "main.tf")
        self.terraform("init", "-input=false")
        self.terraform("apply", "-auto-approve", "-input=false", *self._vars(SENTINEL_OLD, {}))

    @staticmethod
    def _vars(secret: str, variables: dict[str, object]) -> list[str]:
        pairs = {"secret": secret, **variables}
        return [f"-var={name}={value}" for name, value in pairs.items()]

    def terraform(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["terraform", *args],
            cwd=self.dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and result.returncode != 0:
            pytest.fail(f"terraform {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def plan(self, secret: str = SENTINEL_OLD, **variables: object) -> RealPlan:
        """Plan to a file, then read it back the two ways the deployer does."""
        self.terraform("plan", "-input=false", "-out=test.tfplan", *self._vars(secret, variables))
        show_json = json.loads(self.terraform("show", "-json", "test.tfplan").stdout)
        text = self.terraform("show", "-no-color", "test.tfplan").stdout
        return RealPlan(show_json=show_json, text=text)

    def failed_plan(self, **variables: object) -> str:
        """Terraform's error output for a plan that fails."""
        result = self.terraform(
            "plan", "-input=false", "-no-color", *self._vars(SENTINEL_OLD, variables), check=False
        )
        assert result.returncode == 1, result.stdout
        return result.stderr


IMPORT_AND_MOVE = """
resource "terraform_data" "imported" {}

import {
  to = terraform_data.imported
  id = "imported-id"
}

moved {
  from = terraform_data.kept
  to   = terraform_data.kept_renamed
}
"""


def add_import_and_move(stack: PlanStack) -> None:
    """Change the applied stack's configuration: one import, one `moved` rename."""
    main = stack.dir / "main.tf"
    text = main.read_text(encoding="utf-8")
    main.write_text(text.replace('"terraform_data" "kept"', '"terraform_data" "kept_renamed"'))
    (stack.dir / "state_only.tf").write_text(IMPORT_AND_MOVE, encoding="utf-8")
