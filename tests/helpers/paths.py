"""Where things are, for tests at any depth under tests/ (never `Path(__file__).parents[n]`)."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
TESTS = REPO_ROOT / "tests"
# Projects, stacks and scripts the tests copy or run (never collected: no test_*.py there).
FIXTURES = TESTS / "fixtures"
LAMBDA_SRC = REPO_ROOT / "lambda_src"
