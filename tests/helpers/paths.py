"""Where things are, for tests at any depth under tests/ (never `Path(__file__).parents[n]`)."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TESTS = REPO_ROOT / "tests"
# Projects, stacks and scripts the tests copy or run (never collected: no test_*.py there).
FIXTURES = TESTS / "fixtures"
LAMBDA_SRC = REPO_ROOT / "lambda_src"

# What a copy of the project needs; generated and local-only folders stay behind.
PROJECT_PARTS = (
    "pyproject.toml",
    "envs",
    "terraform",
    "modules",
    "lambda_src",
    "migrations",
    "frontend",
)
COPY_IGNORE = shutil.ignore_patterns(
    ".deployer", ".terraform", "__pycache__", "*.pyc", ".terraform.lock.hcl", "*.tfstate*"
)


def copy_project(dest: Path) -> Path:
    """A copy of this repository's project files at `dest`, as a user's clone would be."""
    dest.mkdir(parents=True)
    for part in PROJECT_PARTS:
        src = REPO_ROOT / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=COPY_IGNORE)
        elif src.is_file():
            shutil.copy2(src, dest / part)
    return dest
