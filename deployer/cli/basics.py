"""`deployer envs` and `deployer doctor`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from deployer.cli.options import JsonOption
from deployer.cli.output import console, err_console, print_json


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


DoctorEnvArgument = Annotated[
    str | None,
    typer.Argument(
        metavar="[ENV]",
        help="Also check what this environment would reach: the emulator, or its AWS region "
        "and credentials (STS GetCallerIdentity: account and ARN).",
    ),
]


def doctor(env: DoctorEnvArgument = None, json_out: JsonOption = False) -> None:
    """Check terraform, the provider mirror and Python, and with ENV the AWS credentials (or
    the emulator) that environment would use; exit 1 if one is missing."""
    import os

    from deployer.common import DeployerError
    from deployer.config import find_project
    from deployer.stack import run_checks

    try:
        project = find_project()
    except DeployerError:
        if env is not None:
            raise
        project = None  # doctor also runs outside a project
    checks = list(run_checks(project))  # credentials: per environment, with STS, below
    if env is not None and project is not None:
        from deployer.aws import aws_checks

        checks += aws_checks(project, env, dict(os.environ))
    failed = [c for c in checks if c.required and not c.ok]
    if json_out:
        print_json({"ok": not failed, "environment": env, "checks": [c.as_dict() for c in checks]})
    else:
        table = Table("check", "status", "detail")
        for c in checks:
            status = "[green]ok[/]" if c.ok else "[red]failed[/]"
            detail = escape(c.detail)
            if c.fix and not c.ok:
                detail += f"\n[yellow]fix:[/] {escape(c.fix)}"
            table.add_row(c.name, status, detail)
        console.print(table, emoji=False)
        if env is None:
            err_console.print(
                "AWS credentials are checked per environment: deployer doctor ENV (e.g. dev).",
                emoji=False,
                highlight=False,
            )
    if failed:
        raise typer.Exit(1)
