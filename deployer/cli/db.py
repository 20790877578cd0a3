"""`deployer db migrate | status ENV`: the SQL migrations of an environment's database.

The work is done by the environment's migrate function (docs/database.md), which
`deployer.database` invokes; this module prints what it answered.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from deployer.cli.options import EnvArgument, JsonOption
from deployer.cli.output import console, err_console, print_json

db_app = typer.Typer(
    help="SQL migrations of an environment's database (docs/database.md).",
    no_args_is_help=True,
)

DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="List the migrations that would run; change nothing.")
]


def _count(n: int, what: str = "migration") -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _when(applied_at: str) -> str:
    """`2025-01-31 09:15:02 UTC` from the ISO timestamp the function answers."""
    try:
        moment = datetime.fromisoformat(applied_at)
    except (TypeError, ValueError):
        return str(applied_at)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _print_notes(result, out: Console) -> None:  # a MigrationResult
    for note in result.notes:
        out.print(f"[yellow]note:[/] {escape(note)}", emoji=False, highlight=False, soft_wrap=True)


def print_migration(result, out: Console) -> None:
    """One line per file run (or, for a dry run, per file that would run), then a summary."""
    _print_notes(result, err_console)
    env = escape(result.environment)
    if result.dry_run:
        for entry in result.pending:
            out.print(f"would apply {escape(entry['name'])}", emoji=False, highlight=False)
        out.print(
            f"{env}: dry run, nothing was changed: {_count(len(result.pending))} would run.",
            emoji=False,
        )
        return
    for entry in result.ran:
        out.print(
            f"[green]applied[/] {escape(entry['name'])} ({entry.get('ms', 0)} ms)",
            emoji=False,
            highlight=False,
        )
    if result.error is not None:
        return
    role = result.app_role
    if role and (role.get("created") or role.get("password_generated")):
        what = "created" if role.get("created") else "given a new password"
        out.print(
            f"application role {escape(str(role.get('name')))} {what} "
            "(its login is in its own secret)",
            emoji=False,
            highlight=False,
        )
    if result.ran:
        out.print(
            f"{env}: {_count(len(result.ran))} applied; {len(result.pending)} pending.",
            emoji=False,
        )
    else:
        out.print(
            f"{env}: the database is up to date ({_count(len(result.applied))} applied).",
            emoji=False,
        )


def _failed(exc, json_out: bool, out: Console):  # a MigrationError
    """Show what ran before the failure; the error itself is the CLI's one line."""
    if json_out:
        print_json(exc.result.as_dict())
    else:
        print_migration(exc.result, out)
    return exc


@db_app.command()
def migrate(env: EnvArgument, dry_run: DryRunOption = False, json_out: JsonOption = False) -> None:
    """Apply the pending migrations, in order, each in its own transaction.

    Exit code 1: a migration failed (it was rolled back, the ones before it
    stay applied), or another run holds the lock. Exit code 2: bad input (an
    applied file was changed, a misnamed file, no database or no migrate
    function deployed).
    """
    from deployer.config import find_project
    from deployer.database import MigrationError
    from deployer.database import migrate as run_migrate

    try:
        result = run_migrate(find_project(), env, dry_run=dry_run)
    except MigrationError as exc:
        raise _failed(exc, json_out, console) from None
    if json_out:
        print_json(result.as_dict())
    else:
        print_migration(result, console)


@db_app.command()
def status(env: EnvArgument, json_out: JsonOption = False) -> None:
    """Print the applied and the pending migrations of the environment's database."""
    from deployer.config import find_project
    from deployer.database import MigrationError
    from deployer.database import status as migration_status

    try:
        result = migration_status(find_project(), env)
    except MigrationError as exc:
        raise _failed(exc, json_out, console) from None
    if json_out:
        print_json(result.as_dict())
        return
    _print_notes(result, err_console)
    table = Table("version", "migration", "state", "applied at", "checksum")
    for row in result.applied:
        state = "applied" if row.get("in_package", True) else "applied (not deployed)"
        table.add_row(
            row["version"],
            row["name"],
            f"[green]{state}[/]",
            _when(row["applied_at"]),
            row["checksum"][:12],
        )
    for row in result.pending:
        table.add_row(row["version"], row["name"], "[yellow]pending[/]", "", row["checksum"][:12])
    console.print(table, emoji=False)
    console.print(
        f"{escape(result.environment)}: {len(result.applied)} applied, "
        f"{len(result.pending)} pending ({escape(result.function_name)}).",
        emoji=False,
    )


def migrate_after_apply(project, env: str, *, json_out: bool = False) -> None:
    """`deployer apply`'s last step: the pending migrations, when the environment has them."""
    from deployer.database import MigrationError
    from deployer.database import migrate_after_apply as run_after_apply

    out = err_console if json_out else console  # stdout holds apply's JSON outputs
    try:
        result = run_after_apply(project, env)
    except MigrationError as exc:
        print_migration(exc.result, out)
        exc.message = f"{env} was applied, but a migration did not: {exc.message}"
        raise exc from None
    if result is not None:
        print_migration(result, out)
