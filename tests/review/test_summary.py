"""Plan summaries from real plans: Terraform applies the fixture stack, then plans changes."""

from __future__ import annotations

import json

import pytest
from helpers.plan_stack import SENTINEL_NEW, SENTINEL_OLD, PlanStack, add_import_and_move

from deployer.common.errors import DeployerError
from deployer.review.summary import (
    COUNTED_ACTIONS,
    PlanSummary,
    ResourceChange,
    sensitive_values,
    summarize_plan,
)


def _actions(summary: PlanSummary) -> dict[str, str]:
    return {change.address: change.action for change in summary.changes}


def test_every_kind_of_change_from_a_real_plan(plan_stack: PlanStack) -> None:
    plan = plan_stack.plan(SENTINEL_NEW, stage="changed")
    summary = summarize_plan(plan.show_json)
    assert _actions(summary) == {
        "terraform_data.added[0]": "create",
        "terraform_data.fenced[0]": "create",
        "terraform_data.removed[0]": "delete",
        "terraform_data.replaced": "replace",
        "terraform_data.replaced_first": "replace",  # create_before_destroy: create, delete
        "terraform_data.secret": "update",
        "terraform_data.updated": "update",
    }
    assert summary.counts == {"create": 2, "update": 2, "replace": 2, "delete": 1}
    assert summary.has_changes
    assert [c.address for c in summary.destructive] == [
        "terraform_data.removed[0]",
        "terraform_data.replaced",
        "terraform_data.replaced_first",
    ]
    assert summary.output_changes == (
        ResourceChange("output.secret", "update"),
        ResourceChange("output.stage", "update"),
    )


def test_an_unchanged_state_has_no_changes(plan_stack: PlanStack) -> None:
    summary = summarize_plan(plan_stack.plan().show_json)
    assert summary.changes == ()
    assert summary.output_changes == ()
    assert summary.has_changes is False
    assert summary.counts == {"create": 0, "update": 0, "replace": 0, "delete": 0}
    assert summary.destructive == ()


def test_imports_and_moves_are_changes_with_nothing_to_count(plan_stack: PlanStack) -> None:
    add_import_and_move(plan_stack)
    summary = summarize_plan(plan_stack.plan().show_json)
    assert _actions(summary) == {
        "terraform_data.imported": "import",
        "terraform_data.kept_renamed": "move",
    }
    assert summary.has_changes  # applying it changes the state
    assert summary.counts == {"create": 0, "update": 0, "replace": 0, "delete": 0}
    assert summary.destructive == ()


def test_a_summary_carries_addresses_and_actions_never_values(plan_stack: PlanStack) -> None:
    plan = plan_stack.plan(SENTINEL_NEW, stage="changed")
    raw = json.dumps(plan.show_json)
    assert SENTINEL_OLD in raw and SENTINEL_NEW in raw  # the plan JSON holds them in clear
    summary_json = json.dumps(summarize_plan(plan.show_json).as_dict())
    for value in (SENTINEL_OLD, SENTINEL_NEW, "going away", "before", "after", "```"):
        assert value not in summary_json
    assert json.loads(summary_json)["destructive"] == [
        "terraform_data.removed[0]",
        "terraform_data.replaced",
        "terraform_data.replaced_first",
    ]


def test_sensitive_values_are_found_everywhere_terraform_keeps_them(plan_stack: PlanStack) -> None:
    plan = plan_stack.plan(SENTINEL_NEW, stage="changed")
    masks = sensitive_values(plan.show_json)
    assert {SENTINEL_OLD, SENTINEL_NEW} <= masks
    # Plain values are not masked: the plan text must stay readable.
    assert not masks & {"before", "after", "going away", "changed", "base"}


def test_sensitive_values_cover_nested_marks_and_text_forms() -> None:
    show = {
        "resource_changes": [
            {
                "address": "x.y",
                "change": {
                    "actions": ["update"],
                    "before": {"tags": {"k": 'quote"d-secret'}, "list": ["a", "list-secret"]},
                    "before_sensitive": {"tags": {"k": True}, "list": [False, True]},
                    "after": {"pem": "-----BEGIN KEY-----\nline-one-secret\n-----END KEY-----"},
                    "after_sensitive": {"pem": True},
                },
            }
        ],
        "variables": {"token": {"value": "var-secret"}, "plain": {"value": "plain-value"}},
        "configuration": {"root_module": {"variables": {"token": {"sensitive": True}}}},
        "prior_state": {
            "values": {
                "outputs": {"o": {"sensitive": True, "value": "output-secret"}},
                "root_module": {
                    "child_modules": [
                        {
                            "resources": [
                                {"values": {"p": "module-secret"}, "sensitive_values": {"p": True}}
                            ]
                        }
                    ]
                },
            }
        },
    }
    masks = sensitive_values(show)
    assert {
        'quote"d-secret',
        'quote\\"d-secret',  # as it appears quoted in the plan text
        "list-secret",
        "line-one-secret",  # one line of a multi-line value: plan text shows it in a heredoc
        "var-secret",
        "output-secret",
        "module-secret",
    } <= masks
    assert "a" not in masks and "plain-value" not in masks
    assert sensitive_values({}) == frozenset()


@pytest.mark.parametrize(
    ("actions", "expected"),
    [
        (["create"], "create"),
        (["update"], "update"),
        (["delete"], "delete"),
        (["delete", "create"], "replace"),
        (["create", "delete"], "replace"),
        (["read"], "read"),
        (["forget"], "forget"),
    ],
)
def test_each_terraform_action_maps_to_one_word(actions: list[str], expected: str) -> None:
    show = {"resource_changes": [{"address": "a.b", "change": {"actions": actions}}]}
    summary = summarize_plan(show)
    assert summary.changes == (ResourceChange("a.b", expected),)
    counted = 1 if expected in COUNTED_ACTIONS else 0  # reads and forgets are not counted
    assert sum(summary.counts.values()) == counted
    assert summary.has_changes


def test_no_op_and_deposed_objects() -> None:
    show = {
        "resource_changes": [
            {"address": "a.kept", "change": {"actions": ["no-op"]}},
            {"address": "a.old", "deposed": "00abcdef", "change": {"actions": ["delete"]}},
        ]
    }
    summary = summarize_plan(show)
    assert summary.changes == (ResourceChange("a.old (deposed object 00abcdef)", "delete"),)


@pytest.mark.parametrize(
    ("show", "message"),
    [
        ({"resource_changes": [{"address": "a.b", "change": {}}]}, "no valid change.actions"),
        (
            {"resource_changes": [{"address": "a.b", "change": {"actions": ["teleport"]}}]},
            "unknown action ['teleport'] for a.b",
        ),
        ([], "not an object"),
    ],
)
def test_malformed_plan_json_is_a_clear_error(show: object, message: str) -> None:
    with pytest.raises(DeployerError) as caught:
        summarize_plan(show)  # type: ignore[arg-type]
    assert message in caught.value.message
