"""Fixtures of the emulator tests: one running emulator per test file."""

from __future__ import annotations

import pytest
from helpers.emulator import make_project

from deployer.emulator.control import ensure_running, stop


@pytest.fixture(scope="module")
def emulator_project(tmp_path_factory):
    """The small emulated project whose emulator `server` is."""
    return make_project(tmp_path_factory.mktemp("emu") / "proj")


@pytest.fixture(scope="module")
def server(emulator_project):
    """One running emulator shared by the tests of our moto additions."""
    running = ensure_running(emulator_project)
    yield running
    stop(emulator_project)
