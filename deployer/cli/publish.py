"""`deployer publish ENV`: the frontend built, zipped with the environment's config.json
and deployed to its Amplify branch (docs/frontend.md). `apply` calls it after applying."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from deployer.cli.options import EnvArgument, JsonOption
from deployer.cli.output import console, err_console, print_json

ForceOption = Annotated[
    bool, typer.Option("--force", help="Upload even when the content is unchanged.")
]


def publish_after_apply(stack, outputs: dict, *, json_out: bool = False) -> None:
    """`deployer apply`'s step after the outputs: the frontend, when the stack has one."""
    from deployer.frontend import target_from_outputs

    if target_from_outputs(outputs, stack.name) is None:
        return
    _publish(stack.project, stack.name, outputs, json_out=json_out, force=False, after_apply=True)


def _publish(project, env: str, outputs: dict, *, json_out: bool, force: bool, after_apply: bool):
    from deployer.aws import environment
    from deployer.frontend import publish_frontend

    out = err_console if json_out else console  # with --json, stdout holds the JSON

    def progress(line: str) -> None:
        out.print(f"publish {env}: {escape(line)}", emoji=False, highlight=False)

    def stream(_channel: str, line: str) -> None:
        out.print(escape(line), emoji=False, highlight=False)

    published = publish_frontend(
        project,
        env,
        outputs,
        environment(project, env),
        force=force,
        progress=progress,
        stream=stream,
    )
    if published is None:
        return None
    if json_out and not after_apply:
        print_json(published.as_json())
    else:
        what = "published" if published.uploaded else "unchanged"
        out.print(
            f"[green]frontend {what}[/] ({published.seconds:.1f} s): "
            f"{escape(published.url or published.app_id)}",
            emoji=False,
            highlight=False,
            soft_wrap=True,  # the URL stays one piece, to copy
        )
    return published


def publish(
    env: EnvArgument,
    force: ForceOption = False,
    json_out: JsonOption = False,
) -> None:
    """Build the frontend and deploy it to the environment's Amplify branch; print its URL."""
    from deployer.cli.stacks import open_stack

    stack = open_stack(env, json_out=json_out)
    outputs = stack.outputs()
    published = _publish(
        stack.project, stack.name, outputs, json_out=json_out, force=force, after_apply=False
    )
    if published is None:
        message = (
            f"{stack.name} has no frontend (frontend.enabled is false in envs/{stack.name}"
            ".tfvars, or the stack is not applied yet)"
        )
        if json_out:
            print_json({"environment": stack.name, "published": False, "reason": "no frontend"})
        else:
            console.print(f"no frontend: {escape(message)}", emoji=False, highlight=False)
