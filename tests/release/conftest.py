"""Fixtures of the release tests: one running emulator per file, and a small project whose
functions are "applied" there with boto3 as the root stack would leave them (tagged with
their settings digest, a published version, a `live` alias)."""

from __future__ import annotations

import pytest
from helpers.emulator import make_project
from helpers.release_stack import Deployed

from deployer.emulator import ensure_running, stop


@pytest.fixture(scope="module")
def emulated(tmp_path_factory):
    """The small emulated project and its running emulator."""
    project = make_project(tmp_path_factory.mktemp("release") / "proj")
    running = ensure_running(project)
    yield project, running
    stop(project)


@pytest.fixture
def deployed(emulated, tmp_path):
    """A fresh project copy whose functions are deployed in the module's emulator."""
    project, server = emulated
    return Deployed.create(project, server, tmp_path)
