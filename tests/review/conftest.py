"""Fixtures of the plan review tests: a real, applied plan stack."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.plan_stack import PlanStack


@pytest.fixture
def plan_stack(terraform_env: dict[str, str], tmp_path: Path) -> PlanStack:
    return PlanStack(tmp_path, terraform_env)
