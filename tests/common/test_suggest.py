"""did_you_mean / closest: the one did-you-mean rule (deployer.common.suggest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.function_projects import simple_function, write_project

from deployer.common import UserInputError, closest, did_you_mean
from deployer.config import find_project
from deployer.invoke import invoke
from deployer.packaging import build


def test_a_typo_gets_the_one_closest_choice_in_double_quotes() -> None:
    assert did_you_mean("memroy", ["handler", "memory", "timeout"]) == ' (did you mean "memory"?)'
    assert did_you_mean("helth", ("health", "items")) == ' (did you mean "health"?)'


def test_nothing_close_gives_no_hint() -> None:
    assert did_you_mean("zzz_unrelated", ["region", "owner"]) == ""
    assert did_you_mean("anything", []) == ""
    assert closest("zzz_unrelated", ["region", "owner"]) is None


def test_the_same_letters_in_another_case_count_as_close() -> None:
    # difflib's ratio alone misses these: "A" and "a" share no character.
    assert closest("A", ["a", "b"]) == "a"
    assert did_you_mean("READ", ["read", "read-write"]) == ' (did you mean "read"?)'


def test_any_iterable_of_names_will_do() -> None:
    assert closest("writter", {"writer": 1, "reader": 2}) == "writer"  # a dict's keys
    assert closest("regoin", (n for n in ["region", "owner"])) == "region"


def test_the_cutoff_is_the_callers() -> None:
    assert closest("functon.toml", ["function.toml"], cutoff=0.8) == "function.toml"
    assert closest("notes.txt", ["function.toml"], cutoff=0.8) is None


def test_package_and_invoke_word_the_hint_alike(tmp_path: Path) -> None:
    """`deployer package --function` and `deployer invoke` name a missing function the same
    way (the invoke message used single quotes before)."""
    root = write_project(tmp_path, {"health": simple_function(), "items": simple_function()})
    (root / "envs" / "dev.backend.hcl").write_text(
        'bucket = "b"\nkey = "dev/terraform.tfstate"\nregion = "eu-west-1"\n', encoding="utf-8"
    )
    project = find_project(root)
    with pytest.raises(UserInputError) as built:
        build(project, only="helth", progress=False)
    with pytest.raises(UserInputError) as invoked:
        invoke(project, "dev", "helth")
    hint = "No function named 'helth' under lambda_src/ (did you mean \"health\"?); functions:"
    assert built.value.message.startswith(hint)
    assert invoked.value.message.startswith(hint)
