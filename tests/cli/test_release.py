"""`deployer versions` and `deployer rollback` as a user calls them (CliRunner) on an
emulated project with a real running emulator; a protected environment asks first, as
apply does. (`deploy-code` runs Terraform for the stack's outputs: tests/e2e/.)"""

from __future__ import annotations

import json

import pytest
from helpers.emulator import make_project
from helpers.release_stack import Deployed
from typer.testing import CliRunner

from deployer.cli import app
from deployer.emulator import ensure_running, stop
from deployer.release import deploy_code

runner = CliRunner()


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """items at versions 1 and 2 (live on 2), health at 1, on the project's own emulator."""
    project = make_project(tmp_path_factory.mktemp("cli-release") / "proj")
    server = ensure_running(project)
    try:
        stack = Deployed.in_place(project, server)
        stack.edit("items", "two")
        deploy_code(stack.project, "local", stack.environ(), stack.outputs(), ["items"])
        yield stack
    finally:
        stop(project)


@pytest.fixture
def in_project(deployed, monkeypatch):
    monkeypatch.chdir(deployed.project.root)
    return deployed


def _protect(deployed, on: bool) -> None:
    pyproject = deployed.project.root / "pyproject.toml"
    text = pyproject.read_text().replace('protected = ["local"]\n', "")
    if on:
        text = text.replace("[tool.deployer]\n", '[tool.deployer]\nprotected = ["local"]\n')
    pyproject.write_text(text, encoding="utf-8")


def test_versions_json_and_table_mark_live(in_project):
    listed = runner.invoke(app, ["versions", "local", "items", "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.stdout)
    assert data["live"] == "2" and [v["live"] for v in data["versions"]] == [False, True]
    shown = runner.invoke(app, ["versions", "local", "items"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and "live -> version 2" in shown.output
    # The table's rows: the live mark is on version 2's row, whatever the terminal's width.
    rows = [line for line in shown.output.splitlines() if "live" in line and "->" not in line]
    assert len(rows) == 1 and "│ 2 " in rows[0], shown.output


def test_rollback_in_a_protected_environment_asks_first(in_project):
    _protect(in_project, True)
    try:
        refused = runner.invoke(app, ["rollback", "local", "items"], input="n\n")
        assert refused.exit_code == 1 and "Nothing was changed." in refused.output
        assert "Move live of items in local from version 2 to 1?" in refused.output
        assert in_project.live("items")["Version"] == "2"
        moved = runner.invoke(app, ["rollback", "local", "items"], input="y\n")
        assert moved.exit_code == 0, moved.output
        assert "live of items: version 2 -> 1" in moved.output
        assert "moves live back to version 2" in moved.output
        assert in_project.live("items")["Version"] == "1"
    finally:
        _protect(in_project, False)
    forward = runner.invoke(app, ["rollback", "local", "items", "--to", "2", "--json"])
    assert forward.exit_code == 0, forward.output  # not protected: no question
    assert json.loads(forward.stdout)["to_version"] == "2"


def test_auto_approve_answers_for_ci(in_project):
    _protect(in_project, True)
    try:
        moved = runner.invoke(app, ["rollback", "local", "items", "--auto-approve", "--json"])
        assert moved.exit_code == 0, moved.output
        assert json.loads(moved.stdout)["moved"] is True
    finally:
        _protect(in_project, False)
        runner.invoke(app, ["rollback", "local", "items", "--to", "2"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rollback", "local", "itemz"], "No function named 'itemz'"),
        (["rollback", "local", "items", "--to", "9"], "no published version '9'"),
        (["versions", "local", "nope"], "No function named 'nope'"),
    ],
)
def test_bad_names_are_one_line_and_exit_2(in_project, args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert result.output.count("\n") == 1


def test_nothing_earlier_to_roll_back_to_is_exit_1(in_project):
    result = runner.invoke(app, ["rollback", "local", "health"])
    assert result.exit_code == 1 and "nothing to roll back to" in result.output
