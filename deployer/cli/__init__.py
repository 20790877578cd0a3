"""The `deployer` command line: thin Typer wiring over the core modules.

Every command's logic lives in a core module that never imports typer; those raise
`DeployerError`, which `DeployerGroup` turns into one line on stderr and the error's
exit code. Exit codes: 0 ok, 1 failure, 2 bad input or usage, 130 interrupted.
"""

from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup

from deployer import __version__
from deployer.cli import (
    basics,
    branches,
    db,
    dev,
    docs,
    github,
    local,
    observe,
    package,
    publish,
    recover,
    release,
    stack,
    token,
)
from deployer.common import EXIT_INTERRUPTED, DeployerError


class DeployerGroup(TyperGroup):
    """Runs a command; a `DeployerError` becomes one line and an exit code, never a traceback."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except DeployerError as exc:
            typer.secho(f"error: {exc.message}", err=True, fg="red")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            typer.secho("interrupted", err=True, fg="yellow")
            raise typer.Exit(EXIT_INTERRUPTED) from None


app = typer.Typer(
    cls=DeployerGroup,
    help="Ship a serverless web app to AWS with Terraform, one isolated environment at a time.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion, --show-completion (bash, zsh, fish, PowerShell)
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"deployer {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_version, is_eager=True
    ),
) -> None:
    """Ship a serverless web app to AWS with Terraform, one isolated environment at a time."""


# Every command, by name. The command modules import only typer and rich at import time
# (the layers below are imported inside each command), so `deployer --help` stays fast.
COMMANDS = {
    "envs": basics.envs,
    "doctor": basics.doctor,
    "package": package.package,
    "docs": docs.docs,
    "validate": stack.validate,
    "plan": stack.plan,
    "apply": stack.apply,
    "destroy": stack.destroy,
    "output": stack.output,
    "force-unlock": stack.force_unlock,
    "recover": recover.recover,
    "bootstrap": local.bootstrap,
    "invoke": local.invoke,
    "token": token.token,
    "dev": dev.dev,
    "publish": publish.publish,
    "deploy-code": release.deploy_code,
    "rollback": release.rollback,
    "versions": release.versions,
    "smoke": observe.smoke,
    "logs": observe.logs,
    "env-for-branch": branches.env_for_branch,
}
GROUPS = {"local": local.local_app, "github": github.github_app, "db": db.db_app}
for _name, _command in COMMANDS.items():
    app.command(_name)(_command)
for _name, _group in GROUPS.items():
    app.add_typer(_group, name=_name)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # raised outside a command (e.g. while parsing)
        sys.exit(EXIT_INTERRUPTED)
