"""How the stack commands show a plan and an environment's outputs (rich for people)."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.text import Text

from deployer.cli.output import console, print_json

if TYPE_CHECKING:
    from deployer.review import PlanSummary
    from deployer.stack import PlannedChange

_SYMBOLS = {
    "create": "+",
    "update": "~",
    "replace": "-/+",
    "delete": "-",
    "read": "<=",
    "forget": ".",
    "import": "<-",
    "move": "->",
}
_STYLES = {"create": "green", "update": "yellow", "replace": "bold red", "delete": "bold red"}


def _counts_text(summary: PlanSummary) -> str:
    counts = summary.counts
    parts = []
    for action in ("create", "update", "replace", "delete"):
        style = _STYLES[action] if counts[action] else "dim"
        parts.append(f"[{style}]{counts[action]} to {action}[/]")
    return ", ".join(parts)


def render_plan(
    planned: PlannedChange, root: Path | None = None, *, out=console, show_file: bool = True
) -> None:
    """The plan summary: counts, then destroyed/replaced resources first and highlighted."""
    summary = planned.summary
    env = escape(planned.environment)
    if not summary.has_changes:
        out.print(
            f"[green]{env}: no changes.[/] The infrastructure matches the configuration.",
            emoji=False,
        )
        return
    out.print(f"[bold]Plan for {env}:[/] {_counts_text(summary)}", emoji=False)
    destructive = summary.destructive
    if destructive:
        out.print(
            f"[bold red]{len(destructive)} resource(s) will be destroyed or replaced:[/]",
            emoji=False,
        )
    ordered = list(destructive) + [c for c in summary.changes if c not in destructive]
    for change in ordered:
        style = _STYLES.get(change.action, "")
        symbol = _SYMBOLS.get(change.action, "?")
        line = f"  {symbol:>3} {change.action:<8} {escape(change.address)}"
        out.print(f"[{style}]{line}[/]" if style else line, emoji=False)
    for note in summary.notes:
        out.print(f"  [yellow]note:[/] this plan {escape(note)}", emoji=False, soft_wrap=True)
    for change in summary.output_changes:
        out.print(
            f"  [dim]{_SYMBOLS.get(change.action, '?'):>3} {escape(change.address)}[/]", emoji=False
        )
    if not show_file:
        return
    shown = planned.plan_file
    if root is not None:
        with contextlib.suppress(ValueError):
            shown = planned.plan_file.resolve().relative_to(root.resolve())
    out.print(f"Saved plan: {escape(str(shown))}", emoji=False)


def print_outputs(outputs: dict, json_out: bool, *, env: str) -> None:
    if json_out:
        print_json(outputs)
        return
    if not outputs:
        console.print(f"{escape(env)} has no outputs yet (nothing applied?).", emoji=False)
        return
    console.print(f"[bold]Outputs of {escape(env)}:[/]", emoji=False)
    for name, value in outputs.items():
        text = value if isinstance(value, str) else json.dumps(value, indent=2, sort_keys=True)
        line = Text.assemble((name, "bold"), " = ", text)  # Text: no markup, no :emoji: codes
        # Never wrapped or cut: ARNs and URLs are copied from here.
        console.print(line, soft_wrap=True, emoji=False)
