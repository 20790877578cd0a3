"""A plan as GitHub markdown: the body of the sticky pull-request comment and step summary.

What goes in: the counts from a `PlanSummary` (addresses and actions, never values) and
the human-readable plan from `terraform show -no-color <planfile>`, in which Terraform
masks what it knows is sensitive; the strings passed as `mask` (see
`deployer.terraform.sensitive_values`) are masked too, for what it misses. The plan JSON never
reaches this module.

The body stays under GitHub's comment limit (65,536 characters) with room left for the
hidden marker `deployer github comment` puts in front of it: the list of destroyed
resources takes at most half (shortened only for thousands of them, its warning header
always kept), and the plan text is cut to the rest, with a visible note. Code blocks use
a fence longer than any run of backticks in the text, so no value can close them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from deployer.review.summary import COUNTED_ACTIONS, PlanSummary, ResourceChange
from deployer.terraform import mask_text

GITHUB_COMMENT_LIMIT = 65536
# Room kept free for the marker line `<!-- deployer:<key> -->` added in front of the body.
MARKER_ROOM = 100
# The destroy list may take at most this share of the body before it is shortened.
DESTROY_LIST_SHARE = 0.5

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def _clean(text: str, masks: frozenset[str]) -> str:
    """Colour codes out, sensitive strings masked, line ends normalised, blank tail dropped.

    Every mask the caller names is masked, however short (`sensitive_values` already leaves
    out the short ones it finds; a short TF_VAR_ secret is still a secret).
    """
    text = mask_text(_ANSI.sub("", text).replace("\r\n", "\n"), masks, min_length=1)
    return text.strip("\n").rstrip()


def _code_span(text: str) -> str:
    """`text` as inline code that no backtick inside it can close early."""
    text = " ".join(text.split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _fence_for(text: str) -> str:
    """A backtick fence longer than any backtick run in `text`, so the text cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _code_block(text: str, fence: str) -> str:
    return f"{fence}\n{text}\n{fence}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _counts_line(summary: PlanSummary) -> str:
    counts = summary.counts
    return ", ".join(f"{counts[action]} to {action}" for action in COUNTED_ACTIONS)


def _destroy_items(changes: tuple[ResourceChange, ...]) -> list[str]:
    return [f"> - {_code_span(c.address)} ({c.action})" for c in changes]


def _destroy_section(summary: PlanSummary, budget: int) -> str:
    """The warning with every destroyed or replaced resource, shortened only past `budget`."""
    destructive = summary.destructive
    if not destructive:
        return ""
    header = (
        "> [!CAUTION]\n"
        f"> **{_plural(len(destructive), 'resource')} will be destroyed or replaced:**\n>"
    )
    items = _destroy_items(destructive)
    kept: list[str] = []
    used = len(header)
    for index, item in enumerate(items):
        rest = len(items) - index
        more = f"> - ... and {rest} more: see the plan below"
        if used + len(item) + 1 + len(more) + 1 > budget and rest > 1:
            kept.append(more)
            break
        kept.append(item)
        used += len(item) + 1
    return header + "\n" + "\n".join(kept)


def _names(changes: list[ResourceChange], limit: int = 20) -> str:
    names = ", ".join(_code_span(c.address) for c in changes[:limit])
    return names + (f" and {len(changes) - limit} more" if len(changes) > limit else "")


def _other_lines(summary: PlanSummary) -> list[str]:
    """Reads, imports, moves, forgotten resources, outputs: worth a line, not a warning."""
    by_action: dict[str, list[ResourceChange]] = {}
    for change in summary.changes:
        by_action.setdefault(change.action, []).append(change)
    lines = [f"This plan {note}." for note in summary.notes]
    if reads := by_action.get("read"):
        lines.append(f"{_plural(len(reads), 'data source')} read during apply.")
    if imports := by_action.get("import"):
        lines.append(f"{_plural(len(imports), 'resource')} imported: {_names(imports)}.")
    if moves := by_action.get("move"):
        lines.append(f"{_plural(len(moves), 'resource')} moved to a new address: {_names(moves)}.")
    if forgets := by_action.get("forget"):
        lines.append(
            f"{_plural(len(forgets), 'resource')} removed from state but not destroyed: "
            f"{_names(forgets)}."
        )
    if outputs := list(summary.output_changes):
        names = ", ".join(
            f"{_code_span(c.address.removeprefix('output.'))} ({c.action})" for c in outputs[:20]
        )
        more = f" and {len(outputs) - 20} more" if len(outputs) > 20 else ""
        lines.append(f"Outputs changing: {names}{more}.")
    return lines


def _details(summary_line: str, text: str, fence: str, *, open_: bool = False) -> str:
    tag = "<details open>" if open_ else "<details>"
    return f"{tag}<summary>{summary_line}</summary>\n\n{_code_block(text, fence)}\n\n</details>"


def _cut_lines(text: str, room: int) -> str:
    """The longest prefix of whole lines of `text` that fits in `room` characters."""
    kept, used = [], 0
    for line in text.split("\n"):
        if used + len(line) + 1 > room:
            break
        kept.append(line)
        used += len(line) + 1
    if not kept:
        return text[: max(room, 0)]  # one very long first line: cut inside it
    return "\n".join(kept)


def _fit(parts: list[str], text: str, title: str, limit: int, *, open_: bool) -> str:
    """The parts and a collapsible block holding `text`, `text` cut to keep within `limit`."""
    fence = _fence_for(text)

    def assemble(block_text: str, *extra: str) -> str:
        block = _details(title, block_text, fence, open_=open_)
        return "\n\n".join([*parts, *extra, block]) + "\n"

    full = assemble(text)
    if len(full) <= limit:
        return full
    total = text.count("\n") + 1
    note = (
        "> [!NOTE]\n"
        f"> Cut to fit GitHub's {GITHUB_COMMENT_LIMIT:,}-character limit for comments: "
        "the full text is in the workflow log (or run `deployer plan` locally)."
    )
    widest_marker = f"... (truncated: showing {total:,} of {total:,} lines)"
    room = limit - len(assemble("", note)) - len(widest_marker) - 1
    kept = _cut_lines(text, room)
    shown = kept.count("\n") + 1 if kept else 0
    marker = f"... (truncated: showing {shown:,} of {total:,} lines)"
    return assemble(f"{kept}\n{marker}" if kept else marker, note)


def render_plan_markdown(
    environment: str,
    summary: PlanSummary | None,
    plan_text: str,
    *,
    error: str | None = None,
    max_chars: int = GITHUB_COMMENT_LIMIT,
    mask: Iterable[str] = (),
) -> str:
    """The markdown body for one environment's plan; a failed plan when `summary` is None.

    `plan_text` is the output of `terraform show -no-color <planfile>` (never the JSON).
    `mask`: strings replaced by "(sensitive value)" in the plan and error text; pass
    `deployer.terraform.sensitive_values(show_json)`. The result is at most
    `max_chars - MARKER_ROOM` characters long.
    """
    masks = frozenset(mask)
    limit = max_chars - MARKER_ROOM
    if limit < 1000:
        raise ValueError(f"max_chars={max_chars} leaves no room for a plan summary")
    env = _code_span(environment)
    plan_text = _clean(plan_text, masks)

    if summary is None:
        parts = [
            f"### :x: Plan failed for {env}",
            "No plan could be made, so nothing can be applied until this is fixed.",
        ]
        error_text = _clean(error or "", masks) or "(no error message was given)"
        if plan_text:
            parts.append(_details("Terraform output", plan_text, _fence_for(plan_text)))
        return _fit(parts, error_text, "Error", limit, open_=True)

    if not summary.has_changes:
        parts = [
            f"### :white_check_mark: Plan for {env}: no changes",
            f"**No changes.** The infrastructure of {env} matches the configuration.",
        ]
        if not plan_text:
            return "\n\n".join(parts) + "\n"
        return _fit(parts, plan_text, "Plan details", limit, open_=False)

    parts = [f"### Plan for {env}", f"**{_counts_line(summary)}.**"]
    destroy = _destroy_section(summary, int(limit * DESTROY_LIST_SHARE))
    if destroy:
        parts.append(destroy)
    other = _other_lines(summary)
    if other:
        parts.append("\n".join(f"- {line}" for line in other))
    return _fit(parts, plan_text or "(no plan text)", "Plan details", limit, open_=False)
