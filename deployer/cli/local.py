"""`deployer local start|stop|status`, `deployer bootstrap <env>`, `deployer invoke <env> <fn>`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from deployer.cli.options import JsonOption
from deployer.cli.output import console, err_console, print_json

local_app = typer.Typer(
    help="The embedded AWS emulator (a moto server on loopback) behind emulated environments.",
    no_args_is_help=True,
)


def _print_status(status, json_out: bool) -> None:  # an EmulatorStatus
    if json_out:
        print_json(status.as_dict())
        return
    if status.note and status.note != "stopped":
        err_console.print(f"[yellow]note:[/] {status.note}")
    if status.running:
        verb = "started" if status.started else "running"
        console.print(
            f"local emulator [green]{verb}[/]: {status.endpoint} (pid {status.pid}); "
            f"log: {status.log}"
        )
    elif status.note == "stopped":
        console.print(f"local emulator [yellow]stopped[/] (pid {status.pid}).")
    else:
        console.print("local emulator [dim]stopped[/].")


@local_app.command()
def start(
    port: Annotated[
        int | None,
        typer.Option("--port", min=1, max=65535, help="Listen on this port (default: a free one)."),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Start the emulator (no-op when it runs); it keeps running until `local stop`."""
    from deployer.config import find_project
    from deployer.emulator import ensure_running

    _print_status(ensure_running(find_project(), port=port), json_out)


@local_app.command()
def stop(json_out: JsonOption = False) -> None:
    """Stop the emulator: every resource and state it holds is gone."""
    from deployer.config import find_project
    from deployer.emulator import stop as stop_emulator

    _print_status(stop_emulator(find_project()), json_out)


@local_app.command()
def status(json_out: JsonOption = False) -> None:
    """Whether the emulator runs: pid, port, endpoint, log."""
    from deployer.config import find_project
    from deployer.emulator import status as emulator_status

    _print_status(emulator_status(find_project()), json_out)


def bootstrap(
    env: Annotated[str, typer.Argument(help="The environment whose state bucket to set up.")],
    json_out: JsonOption = False,
) -> None:
    """Create the environment's state bucket (versioned, encrypted, private, TLS only)."""
    from deployer.aws import bootstrap as run_bootstrap
    from deployer.aws import environment
    from deployer.config import find_project, get_environment

    project = find_project()
    get_environment(project, env)
    result = run_bootstrap(project, env, environment(project, env))
    if json_out:
        print_json(result.as_dict())
    else:
        console.print(result.summary)


def invoke(
    env: Annotated[str, typer.Argument(help="The environment whose deployed settings to use.")],
    function: Annotated[str, typer.Argument(help="The function (its lambda_src/ folder name).")],
    event: Annotated[
        str | None,
        typer.Option(
            "--event",
            "-e",
            metavar="FILE|-",
            help="The event as a JSON file, or - for stdin (default: a sample HTTP API "
            "event for the function's first route).",
        ),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Run a function's handler here, with its deployed environment; print its response.

    Exit code 1 when the handler raises (its traceback is printed as the function's error).
    """
    from deployer.config import find_project
    from deployer.invoke import invoke as run_invoke
    from deployer.invoke import load_event

    project = find_project()
    payload = load_event(event) if event is not None else None
    result = run_invoke(project, env, function, payload)
    if json_out:
        print_json(result.as_dict())
    elif result.ok:
        err_console.print(
            f"[green]{result.function}[/] ({result.function_name}) returned in "
            f"{result.duration_ms} ms:"
        )
        typer.echo(json.dumps(result.response, indent=2, default=str))
    else:
        error = result.error or {}
        err_console.print(
            f"[red]{result.function} failed[/] ({result.function_name}): "
            f"{error.get('errorType')}: {error.get('errorMessage')}",
            highlight=False,
        )
        if error.get("stackTrace"):
            err_console.print("Traceback of the function's code (most recent call last):")
            err_console.print("".join(error["stackTrace"]).rstrip(), highlight=False, markup=False)
    if not result.ok:
        raise typer.Exit(1)
