"""The plan summary says in words when a plan moves a Lambda alias between two known
versions (what the next plan does after a rollback or a code-only deploy), in the JSON, the
pull-request markdown and the terminal; an alias whose version is only known after apply
(new code published by this apply) is no such move. (The real plan is in
tests/e2e/test_local_served.py; these are the shapes of `terraform show -json`.)"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from deployer.cli.render import render_plan
from deployer.review import render_plan_markdown, summarize_plan
from deployer.stack import PlannedChange

ADDRESS = 'module.function["health"].aws_lambda_alias.this'


def _alias_change(before: str, after: str | None, *, sensitive: dict | None = None) -> dict:
    alias = {"name": "live", "function_name": "app-dev-health"}
    return {
        "resource_changes": [
            {
                "address": ADDRESS,
                "type": "aws_lambda_alias",
                "change": {
                    "actions": ["update"],
                    "before": {**alias, "function_version": before},
                    "after": {**alias, "function_version": after},
                    "after_unknown": {"function_version": after is None},
                    "before_sensitive": {},
                    "after_sensitive": sensitive or {},
                },
            }
        ]
    }


NOTE = "moves live of app-dev-health from version 3 to 4 (undoes a rollback or a code-only deploy)"


def test_an_alias_moved_between_known_versions_is_named():
    summary = summarize_plan(_alias_change("3", "4"))
    assert summary.notes == (NOTE,)
    assert summary.as_dict()["notes"] == [NOTE]


def test_an_alias_following_new_code_is_not_a_move_worth_naming():
    assert summarize_plan(_alias_change("3", None)).notes == ()
    assert summarize_plan(_alias_change("3", "3")).notes == ()
    assert summarize_plan(_alias_change("3", "4", sensitive={"function_version": True})).notes == ()


def test_markdown_and_terminal_say_it():
    summary = summarize_plan(_alias_change("3", "4"))
    markdown = render_plan_markdown("dev", summary, "plan text")
    assert f"- This plan {NOTE}." in markdown
    console = Console(record=True, width=300)
    planned = PlannedChange("dev", Path("plan.tfplan"), True, summary)
    render_plan(planned, out=console, show_file=False)
    assert f"note: this plan {NOTE}" in console.export_text()
