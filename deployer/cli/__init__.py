"""The `deployer` command line: thin Typer wiring over the core modules.

Every command's logic lives in a core module that never imports typer; those raise
`DeployerError`, which `DeployerGroup` turns into one line on stderr and the error's
exit code. Exit codes: 0 ok, 1 failure, 2 bad input or usage, 130 interrupted; under
`plan --detailed-exitcode`, 2 means changes present and bad input or usage is 3
(deployer.cli.exit_codes).
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
from deployer.cli.exit_codes import DETAILED_EXITCODE_FLAG, detailed_exit_code
from deployer.cli.output import print_error
from deployer.common import EXIT_INTERRUPTED, DeployerError


class DeployerGroup(TyperGroup):
    """Runs a command; a `DeployerError` becomes one line and an exit code, never a traceback."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        # Seen before the command's own parsing, so that a usage error (a mistyped option)
        # under --detailed-exitcode exits 3, not 2 ("changes present").
        ctx.meta[DETAILED_EXITCODE_FLAG] = DETAILED_EXITCODE_FLAG in args
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context):
        detailed = ctx.meta.get(DETAILED_EXITCODE_FLAG, False)
        try:
            return super().invoke(ctx)
        except DeployerError as exc:
            print_error(exc.message)
            code = detailed_exit_code(exc.exit_code) if detailed else exc.exit_code
            raise typer.Exit(code) from None
        except KeyboardInterrupt:
            print_error("", label="interrupted", style="yellow")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except typer.Exit:
            raise  # the command's own exit code (2: changes present)
        except Exception as exc:
            # Click's usage errors (missing argument, unknown option) carry their exit code.
            if detailed and isinstance(getattr(exc, "exit_code", None), int):
                exc.exit_code = detailed_exit_code(exc.exit_code)
            raise


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
