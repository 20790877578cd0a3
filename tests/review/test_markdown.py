"""The plan comment body, rendered from real plans of the fixture stack."""

from __future__ import annotations

import re

import pytest
from helpers.plan_stack import SENTINEL_NEW, SENTINEL_OLD, PlanStack, add_import_and_move

from deployer.review.markdown import GITHUB_COMMENT_LIMIT, MARKER_ROOM, render_plan_markdown
from deployer.review.summary import PlanSummary, ResourceChange, sensitive_values, summarize_plan

LIMIT = GITHUB_COMMENT_LIMIT - MARKER_ROOM


def _code_blocks(markdown: str) -> tuple[list[str], list[str]]:
    """(text inside fenced code blocks, text outside), following CommonMark fence rules;
    fails when a fence is left open."""
    inside, outside, fence = [], [], None
    for line in markdown.split("\n"):
        match = re.fullmatch(r"(`{3,})[^`]*", line)
        if fence is None and match:
            fence = match.group(1)
        elif fence is not None and re.fullmatch(rf"`{{{len(fence)},}}\s*", line):
            fence = None
        else:
            (inside if fence else outside).append(line)
    assert fence is None, "a code fence is left open"
    return inside, outside


def _render(stack: PlanStack, secret: str = SENTINEL_OLD, **variables: object) -> str:
    plan = stack.plan(secret, **variables)
    summary = summarize_plan(plan.show_json)
    return render_plan_markdown("dev", summary, plan.text, mask=sensitive_values(plan.show_json))


def test_a_plan_with_every_change(plan_stack: PlanStack) -> None:
    body = _render(plan_stack, SENTINEL_NEW, stage="changed")
    inside, outside = _code_blocks(body)
    visible = "\n".join(outside)
    assert visible.startswith("### Plan for `dev`")
    assert "**2 to create, 2 to update, 2 to replace, 1 to delete.**" in visible
    # The destroy warning comes before the plan, naming every destroyed resource.
    warning = visible.index("> [!CAUTION]")
    assert warning < visible.index("<details>")
    assert "3 resources will be destroyed or replaced" in visible
    for line in (
        "> - `terraform_data.removed[0]` (delete)",
        "> - `terraform_data.replaced` (replace)",
        "> - `terraform_data.replaced_first` (replace)",
    ):
        assert line in visible
    assert "`terraform_data.added[0]`" not in visible  # creations are not warned about
    assert "Outputs changing: `secret` (update), `stage` (update)." in visible
    # The human-readable plan is inside the collapsible block, in a code block.
    plan_text = "\n".join(inside)
    assert "# terraform_data.updated will be updated in-place" in plan_text
    assert 'input  = "before" -> "after"' in plan_text
    assert "Plan: 4 to add, 2 to change, 3 to destroy." in plan_text
    assert "Truncated" not in body and "truncated" not in body


def test_sensitive_values_never_reach_the_comment(plan_stack: PlanStack) -> None:
    plan = plan_stack.plan(SENTINEL_NEW, stage="changed")
    body = render_plan_markdown(
        "dev",
        summarize_plan(plan.show_json),
        plan.text,
        mask=sensitive_values(plan.show_json),
    )
    assert "SENTINEL" not in body
    assert "(sensitive value)" in body
    # The comment is made from the plan text, never from the JSON's values.
    assert "after_sensitive" not in body and "resource_changes" not in body


def test_backticks_in_the_plan_cannot_close_the_code_block(plan_stack: PlanStack) -> None:
    body = _render(plan_stack, SENTINEL_NEW, stage="changed")
    inside, outside = _code_blocks(body)
    # The value holding ``` and </details> is shown in the code block, not rendered.
    assert any("</details>" in line for line in inside)
    assert any("```" in line for line in inside)
    assert outside[-1] == "</details>" or outside[-2:] == ["</details>", ""]
    assert sum(line.startswith("<details") for line in outside) == 1


def test_no_changes_is_said_plainly(plan_stack: PlanStack) -> None:
    body = _render(plan_stack)
    _, outside = _code_blocks(body)
    visible = "\n".join(outside)
    assert "### :white_check_mark: Plan for `dev`: no changes" in visible
    assert "**No changes.** The infrastructure of `dev` matches the configuration." in visible
    assert "[!CAUTION]" not in body
    assert "to create" not in visible


def test_imports_and_moves_are_not_called_no_changes(plan_stack: PlanStack) -> None:
    add_import_and_move(plan_stack)
    body = _render(plan_stack)
    _, outside = _code_blocks(body)
    visible = "\n".join(outside)
    assert "No changes" not in visible
    assert "**0 to create, 0 to update, 0 to replace, 0 to delete.**" in visible
    assert "- 1 resource imported: `terraform_data.imported`." in visible
    assert "- 1 resource moved to a new address: `terraform_data.kept_renamed`." in visible
    assert "[!CAUTION]" not in body


def test_a_failed_plan_shows_terraforms_error(plan_stack: PlanStack) -> None:
    error = plan_stack.failed_plan(stage="broken")
    body = render_plan_markdown("qa", None, "", error=error)
    inside, outside = _code_blocks(body)
    visible = "\n".join(outside)
    assert visible.startswith("### :x: Plan failed for `qa`")
    assert "No plan could be made, so nothing can be applied until this is fixed." in visible
    assert "<details open><summary>Error</summary>" in visible
    error_text = "\n".join(inside)
    assert "Error: Invalid value for variable" in error_text
    assert "The stage must be base or changed." in error_text
    assert "No changes" not in body


def test_an_oversized_plan_is_cut_to_fit_with_a_visible_note(plan_stack: PlanStack) -> None:
    plan = plan_stack.plan(SENTINEL_NEW, stage="changed", many=700)
    assert len(plan.text) > 2 * GITHUB_COMMENT_LIMIT  # really oversized
    summary = summarize_plan(plan.show_json)
    body = render_plan_markdown("dev", summary, plan.text, mask=sensitive_values(plan.show_json))
    assert len(body) <= LIMIT
    inside, outside = _code_blocks(body)
    visible = "\n".join(outside)
    assert "> [!NOTE]" in visible and "Cut to fit GitHub's 65,536-character limit" in visible
    # The counts and the destroy warning are whole; only the plan text was cut.
    assert "**702 to create, 2 to update, 2 to replace, 1 to delete.**" in visible
    assert "> - `terraform_data.replaced_first` (replace)" in visible
    assert re.search(r"\.\.\. \(truncated: showing [\d,]+ of [\d,]+ lines\)", inside[-1])
    shown = "\n".join(inside[:-1])
    assert plan.text.replace("\r\n", "\n").strip("\n").startswith(shown)
    assert "SENTINEL" not in body


def test_a_huge_destroy_list_keeps_its_header_and_is_shortened() -> None:
    doomed = tuple(ResourceChange(f"module.app.aws_thing.item[{i}]", "delete") for i in range(4000))
    summary = PlanSummary(changes=doomed)
    body = render_plan_markdown("prod", summary, "plan text\n" * 5000, max_chars=30_000)
    assert len(body) <= 30_000 - MARKER_ROOM
    assert "> **4000 resources will be destroyed or replaced:**" in body
    assert "> - `module.app.aws_thing.item[0]` (delete)" in body
    match = re.search(r"> - \.\.\. and (\d+) more: see the plan below", body)
    assert match
    listed = body.count("(delete)")
    assert listed + int(match.group(1)) == 4000
    _code_blocks(body)  # fences balanced


def test_masks_replace_every_form_and_colour_codes_go() -> None:
    summary = PlanSummary(changes=(ResourceChange("a.b", "update"),))
    text = '\x1b[1m  ~ password = "hunter2-long" -> "hunter3-long"\x1b[0m\n'
    body = render_plan_markdown("dev", summary, text, mask=["hunter2-long", "hunter3-long"])
    assert "hunter" not in body
    assert '~ password = "(sensitive value)" -> "(sensitive value)"' in body
    assert "\x1b" not in body


def test_a_huge_error_is_cut_too() -> None:
    error = "Error: something\n" + "detail line\n" * 20_000
    body = render_plan_markdown("dev", None, "", error=error)
    assert len(body) <= LIMIT
    assert "Error: something" in body and "truncated: showing" in body
    _code_blocks(body)


def test_inline_code_survives_backticks_in_addresses() -> None:
    summary = PlanSummary(changes=(ResourceChange('a.b["x`y"]', "delete"),))
    body = render_plan_markdown("dev", summary, "text")
    assert '> - ``a.b["x`y"]`` (delete)' in body


def test_a_limit_too_small_for_any_summary_is_refused() -> None:
    with pytest.raises(ValueError, match="max_chars=500"):
        render_plan_markdown("dev", PlanSummary(changes=()), "", max_chars=500)
