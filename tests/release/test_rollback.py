"""`versions` and `rollback` against a real emulator: the list of published versions with
`live` marked, live moved back one version or to a named one, and one line with the fix
for a function or a version that does not exist."""

from __future__ import annotations

import pytest

from deployer.common import DeployerError, UserInputError
from deployer.release import (
    apply_rollback,
    deploy_code,
    list_versions,
    plan_rollback,
)


def _three_versions(deployed) -> None:
    for text in ("two", "three"):
        deployed.edit("items", text)
        deploy_code(deployed.project, "local", deployed.environ(), deployed.outputs(), ["items"])


def test_versions_lists_every_published_version_and_marks_live(deployed):
    _three_versions(deployed)
    listed = list_versions(deployed.project, "local", deployed.environ(), "items")
    assert [v.version for v in listed.versions] == ["1", "2", "3"]
    assert listed.live == "3" and listed.latest.version == "3"
    shown = listed.as_dict()
    assert [v["live"] for v in shown["versions"]] == [False, False, True]
    assert all(v["code_sha256"] and v["last_modified"] for v in shown["versions"])
    assert len({v["code_sha256"] for v in shown["versions"]}) == 3


def test_rollback_moves_live_to_the_version_before_it_then_further(deployed):
    _three_versions(deployed)
    env = deployed.environ()
    first = apply_rollback(env, plan_rollback(deployed.project, "local", env, "items"))
    assert (first.from_version, first.to_version, first.moved) == ("3", "2", True)
    live = deployed.live("items")
    assert live["Version"] == "2" and live["CodeSha256"] == first.code_sha256
    assert "moves live back to version 3" in first.next_plan
    second = apply_rollback(env, plan_rollback(deployed.project, "local", env, "items"))
    assert (second.from_version, second.to_version) == ("2", "1")
    with pytest.raises(DeployerError, match=r"at version 1, and no earlier version"):
        plan_rollback(deployed.project, "local", env, "items")


def test_rollback_to_a_named_version(deployed):
    _three_versions(deployed)
    env = deployed.environ()
    done = apply_rollback(env, plan_rollback(deployed.project, "local", env, "items", to="1"))
    assert deployed.live("items")["Version"] == "1" and done.as_dict()["to_version"] == "1"
    again = apply_rollback(env, plan_rollback(deployed.project, "local", env, "items", to="1"))
    assert again.moved is False


def test_a_missing_version_or_function_is_one_line_with_the_fix(deployed):
    env = deployed.environ()
    with pytest.raises(UserInputError, match=r"no published version '7' in local \(versions: 1\)"):
        plan_rollback(deployed.project, "local", env, "items", to="7")
    with pytest.raises(UserInputError, match=r"No function named 'nope'"):
        list_versions(deployed.project, "local", env, "nope")
    from helpers.function_projects import simple_function, write_files

    write_files(deployed.project.root / "lambda_src" / "orders", simple_function())
    with pytest.raises(DeployerError, match=r"orders is not deployed in local .*deployer apply"):
        list_versions(deployed.project, "local", env, "orders")
