"""Fixtures of the emulator tests: one running emulator per test file."""

from __future__ import annotations

import pytest
from helpers.emulator import make_project

from deployer.emulator.control import ensure_running, stop


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One running emulator shared by the tests of our moto additions."""
    proj = make_project(tmp_path_factory.mktemp("emu") / "proj")
    running = ensure_running(proj)
    yield running
    stop(proj)
