"""`deployer package`: build every function's zip and the build manifest."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from deployer.cli.options import JsonOption
from deployer.cli.output import console, print_json

FunctionOption = Annotated[
    str | None,
    typer.Option("--function", "-f", metavar="NAME", help="Build only this function."),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Rebuild even when nothing changed.")]


def package(
    function: FunctionOption = None,
    force: ForceOption = False,
    json_out: JsonOption = False,
) -> None:
    """Package lambda_src/ into reproducible zips and .deployer/build/manifest.json."""
    from deployer.config import find_project
    from deployer.packaging import build

    project = find_project()
    # With --json, stdout carries only the JSON; progress goes to stderr as plain lines.
    result = build(project, only=function, force=force, progress=False if json_out else None)
    if json_out:
        print_json(result.as_dict(project.root))
        return
    table = Table("function", "status", "size", "runtime", "hash")
    for name, entry in result.manifest["functions"].items():
        if name in result.built:
            status = "[green]built[/]"
        elif name in result.skipped:
            status = "up to date"
        else:
            status = "[dim]not selected[/]"
        table.add_row(
            name,
            status,
            f"{entry['size'] / 1024:,.0f} KB",
            f"{entry['runtime']} {entry['architecture']}",
            entry["source_code_hash"][:12] + "…",
        )
    console.print(table)
    console.print(
        f"{len(result.built)} built, {len(result.skipped)} up to date in "
        f"{result.seconds:.2f} s; zips and manifest in "
        f"{result.manifest_path.parent.relative_to(project.root).as_posix()}/"
    )
