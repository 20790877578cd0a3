"""The emulator's notices (deployer/emulator/state.py): what it could not do as asked,
shown once by the next command that applies (`take_notices`)."""

from __future__ import annotations

from helpers.emulator import make_project

from deployer.emulator import state_dir, take_notices
from deployer.emulator.state import NOTICES


def test_notices_are_taken_once_each_in_order(tmp_path):
    project = make_project(tmp_path / "proj")
    assert take_notices(project) == []
    path = state_dir(project) / NOTICES
    path.parent.mkdir(parents=True)
    path.write_text("no PostgreSQL: install it\nother\nno PostgreSQL: install it\n\n")
    assert take_notices(project) == ["no PostgreSQL: install it", "other"]
    assert not path.exists()
    assert take_notices(project) == []
