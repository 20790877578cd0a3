"""`deployer deploy-code ENV [FUNCTION...]`, `deployer rollback ENV FUNCTION`, `deployer
versions ENV FUNCTION`: releases without Terraform (docs/releases.md).

A protected environment asks before anything moves, as `deployer apply` does
(`--auto-approve` in CI); the others go ahead: both are undone by the next apply.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from deployer.cli.options import EnvArgument, JsonOption
from deployer.cli.output import console, err_console, print_json

FunctionsArgument = Annotated[
    list[str] | None,
    typer.Argument(metavar="[FUNCTION]...", help="Only these functions (default: all)."),
]
FunctionArgument = Annotated[str, typer.Argument(help="The function (its lambda_src/ name).")]
ToOption = Annotated[
    str | None,
    typer.Option("--to", metavar="VERSION", help="Move live to this published version."),
]
AutoApproveOption = Annotated[
    bool,
    typer.Option("--auto-approve", help="Do not ask in a protected environment (CI)."),
]


def _say(json_out: bool):
    out = err_console if json_out else console  # with --json, stdout holds the JSON

    def say(text: str) -> None:
        out.print(text, emoji=False, highlight=False, soft_wrap=True)

    return say


def _confirm(env, question: str, auto_approve: bool, say) -> None:
    """A protected environment asks before anything moves, as apply does."""
    if env.protected and not auto_approve and not typer.confirm(question, default=False, err=True):
        say("Nothing was changed.")
        raise typer.Exit(1)


def deploy_code(
    env: EnvArgument,
    functions: FunctionsArgument = None,
    auto_approve: AutoApproveOption = False,
    json_out: JsonOption = False,
) -> None:
    """Deploy only the code of functions whose zip changed: upload, UpdateFunctionCode,
    PublishVersion, move live. Anything but code is refused (deployer apply ENV)."""
    from deployer.aws import environment
    from deployer.cli.stacks import open_stack
    from deployer.release import apply_code_deploy, plan_code_deploy

    say = _say(json_out)
    stack = open_stack(env, json_out=json_out)
    outputs = stack.outputs()
    environ = environment(stack.project, stack.name)
    plan = plan_code_deploy(
        stack.project,
        stack.name,
        environ,
        outputs,
        functions,
        progress=False if json_out else None,
    )
    todo = plan.to_deploy
    if todo:
        for change in todo:
            say(
                f"{escape(change.function)}: code {escape(change.live_sha256[:12])}… -> "
                f"{escape(change.code_sha256[:12])}… (live at version {change.live_version})"
            )
        _confirm(stack.env, f"Deploy this code to {stack.name}?", auto_approve, say)
    result = apply_code_deploy(environ, plan)
    if json_out:
        print_json(result.as_dict())
        return
    for done in result.deployed:
        c = done.change
        say(
            f"[green]{escape(c.function)}[/]: version {c.live_version} -> {done.version}, "
            f"live moved ({done.seconds:.2f} s)"
        )
    if result.unchanged:
        say(f"unchanged: {escape(', '.join(result.unchanged))}")
    what = (
        f"{len(result.deployed)} function(s) deployed" if result.deployed else "nothing to deploy"
    )
    say(f"{escape(stack.name)}: {what} in {result.seconds:.1f} s")


def rollback(
    env: EnvArgument,
    function: FunctionArgument,
    to: ToOption = None,
    auto_approve: AutoApproveOption = False,
    json_out: JsonOption = False,
) -> None:
    """Move a function's live alias back to the version before the one it points at (or
    --to VERSION). The next plan/apply moves it to the latest version again."""
    from deployer.aws import environment
    from deployer.config import find_project, get_environment
    from deployer.release import apply_rollback, plan_rollback

    say = _say(json_out)
    project = find_project()
    env_info = get_environment(project, env)
    environ = environment(project, env_info.name)
    planned = plan_rollback(project, env_info.name, environ, function, to=to)
    if planned.to_version != planned.from_version:
        _confirm(
            env_info,
            f"Move live of {function} in {env_info.name} from version {planned.from_version} "
            f"to {planned.to_version}?",
            auto_approve,
            say,
        )
    done = apply_rollback(environ, planned)
    if json_out:
        print_json(done.as_dict())
        return
    if done.moved:
        say(f"live of {escape(function)}: version {done.from_version} -> {done.to_version}")
    else:
        say(f"live of {escape(function)} is at version {done.to_version} already")
    say(f"code sha256 live now: {escape(done.code_sha256)}")
    say(f"note: {escape(done.next_plan)}.")


def versions(
    env: EnvArgument,
    function: FunctionArgument,
    json_out: JsonOption = False,
) -> None:
    """List a function's published versions with code hash and date; mark the live one."""
    from deployer.aws import environment
    from deployer.config import find_project, get_environment
    from deployer.release import list_versions

    project = find_project()
    env_info = get_environment(project, env)
    listed = list_versions(project, env_info.name, environment(project, env_info.name), function)
    if json_out:
        print_json(listed.as_dict())
        return
    # The mark and the version always show whole; on a narrow terminal the hash and the date
    # fold onto a second line rather than being cut (they are copied from here).
    table = Table()
    table.add_column("", min_width=4, no_wrap=True)
    table.add_column("version", min_width=7, no_wrap=True)
    table.add_column("code sha256", overflow="fold")
    table.add_column("last modified", overflow="fold")
    for v in listed.versions:
        live = "[green]live[/]" if v.version == listed.live else ""
        table.add_row(live, v.version, v.code_sha256, v.last_modified)
    console.print(
        f"[bold]{escape(listed.deployed_name)}[/] in {escape(listed.environment)}: "
        f"live -> version {listed.live}",
        emoji=False,
    )
    console.print(table, emoji=False)
