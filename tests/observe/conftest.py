"""Fixtures of the observe tests: one running emulator per test file (as tests/emulator/
has), whose CloudWatch Logs the `deployer logs` tests write to with boto3."""

from __future__ import annotations

import pytest
from helpers.emulator import make_project

from deployer.emulator import ensure_running, stop


@pytest.fixture(scope="module")
def emulator_project(tmp_path_factory):
    """The small emulated project whose emulator `server` is."""
    return make_project(tmp_path_factory.mktemp("observe") / "proj")


@pytest.fixture(scope="module")
def server(emulator_project):
    """One running emulator for the tests of one file."""
    running = ensure_running(emulator_project)
    yield running
    stop(emulator_project)
