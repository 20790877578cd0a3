"""Fixtures of the Terraform tests: checkov, installed once per session if it is missing."""

from __future__ import annotations

import os
import shutil

import pytest
from helpers.checkov import checkov_from_venv


@pytest.fixture(scope="session")
def checkov_bin() -> str:
    """$CHECKOV_BIN, else `checkov` on PATH, else one installed under .deployer/tools/."""
    return os.environ.get("CHECKOV_BIN") or shutil.which("checkov") or str(checkov_from_venv())
