"""Plan summaries from real plans: Terraform applies the fixture stack, then plans changes."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from deployer.common.errors import DeployerError
from deployer.review.summary import (
    COUNTED_ACTIONS,
    PlanSummary,
    ResourceChange,
    sensitive_values,
    summarize_plan,
)

FIXTURE = Path(__file__).parent / "fixtures" / "plan_stack"
# Sensitive values: applied first (OLD), then changed by the plan (NEW).
SENTINEL_OLD = "SENTINEL-old-3f9c1e77"
SENTINEL_NEW = "SENTINEL-new-8a2d4710"


@dataclass(frozen=True)
class RealPlan:
    """A saved plan as the deployer sees it: `show -json` and `show -no-color`."""

    show_json: dict
    text: str


class PlanStack:
    """The fixture stack in a temporary folder, applied once with stage = "base"."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.dir = workdir
        self.env = env
        shutil.copy(FIXTURE / "main.tf", workdir / "main.tf")
        self.terraform("init", "-input=false")
        self.terraform("apply", "-auto-approve", "-input=false", *self._vars(SENTINEL_OLD, {}))

    @staticmethod
    def _vars(secret: str, variables: dict[str, object]) -> list[str]:
        pairs = {"secret": secret, **variables}
        return [f"-var={name}={value}" for name, value in pairs.items()]

    def terraform(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["terraform", *args],
            cwd=self.dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check and result.returncode != 0:
            pytest.fail(f"terraform {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def plan(self, secret: str = SENTINEL_OLD, **variables: object) -> RealPlan:
        """Plan to a file, then read it back the two ways the deployer does."""
        self.terraform("plan", "-input=false", "-out=test.tfplan", *self._vars(secret, variables))
        show_json = json.loads(self.terraform("show", "-json", "test.tfplan").stdout)
        text = self.terraform("show", "-no-color", "test.tfplan").stdout
        return RealPlan(show_json=show_json, text=text)

    def failed_plan(self, **variables: object) -> str:
        """Terraform's error output for a plan that fails."""
        result = self.terraform(
            "plan", "-input=false", "-no-color", *self._vars(SENTINEL_OLD, variables), check=False
        )
        assert result.returncode == 1, result.stdout
        return result.stderr


@pytest.fixture
def plan_stack(terraform_env: dict[str, str], tmp_path: Path) -> PlanStack:
    return PlanStack(tmp_path, terraform_env)


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


IMPORT_AND_MOVE = """
resource "terraform_data" "imported" {}

import {
  to = terraform_data.imported
  id = "imported-id"
}

moved {
  from = terraform_data.kept
  to   = terraform_data.kept_renamed
}
"""


def add_import_and_move(stack: PlanStack) -> None:
    """Change the applied stack's configuration: one import, one `moved` rename."""
    main = stack.dir / "main.tf"
    text = main.read_text(encoding="utf-8")
    main.write_text(text.replace('"terraform_data" "kept"', '"terraform_data" "kept_renamed"'))
    (stack.dir / "state_only.tf").write_text(IMPORT_AND_MOVE, encoding="utf-8")


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
