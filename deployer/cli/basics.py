"""`deployer envs` and `deployer doctor`."""

from __future__ import annotations

import typer
from rich.table import Table

from deployer.cli.options import JsonOption
from deployer.cli.output import console, print_json


def envs(json_out: JsonOption = False) -> None:
    """List the environments found in envs/*.tfvars and whether each is protected."""
    from deployer.config import find_project, list_environments

    found = list_environments(find_project())
    if json_out:
        print_json([env.as_dict() for env in found])
        return
    table = Table("environment", "protected", "tfvars", "backend")
    for env in found:
        table.add_row(
            env.name, "yes" if env.protected else "no", env.tfvars, env.backend or "(missing)"
        )
    console.print(table)


def doctor(json_out: JsonOption = False) -> None:
    """Check terraform, provider mirror, Python, AWS credentials; exit 1 if one is missing."""
    from deployer.common import DeployerError
    from deployer.config import find_project
    from deployer.stack import run_checks

    try:
        project = find_project()
    except DeployerError:
        project = None  # doctor also runs outside a project
    checks = run_checks(project)
    failed = [c for c in checks if c.required and not c.ok]
    if json_out:
        print_json({"ok": not failed, "checks": [c.as_dict() for c in checks]})
    else:
        table = Table("check", "status", "detail")
        for c in checks:
            status = "[green]ok[/]" if c.ok else "[red]missing[/]"
            detail = c.detail + (f"\n[yellow]fix:[/] {c.fix}" if c.fix and not c.ok else "")
            table.add_row(c.name, status, detail)
        console.print(table)
    if failed:
        raise typer.Exit(1)
