"""`deployer validate | plan | apply | destroy | output | force-unlock <env>`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from deployer.cli.exit_codes import (
    DETAILED_EXITCODE_FLAG,
    DETAILED_EXITCODE_HELP,
    EXIT_CHANGES,
    combined_exit_code,
)
from deployer.cli.options import EnvArgument, JsonOption, LockTimeoutOption
from deployer.cli.output import console, err_console, print_json
from deployer.cli.render import print_outputs, render_plan
from deployer.cli.stacks import open_stack as _stack

EnvironmentsArgument = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[ENV]...", help="The environment(s) to plan; several plan side by side."
    ),
]
AllOption = Annotated[
    bool,
    typer.Option("--all", help="Plan every environment except the emulated ones, side by side."),
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out", metavar="FILE", help="Save the plan here (default .deployer/<env>/plan.tfplan)."
    ),
]
SummaryMdOption = Annotated[
    Path | None,
    typer.Option(
        "--summary-md",
        metavar="FILE",
        help="Also write the plan as GitHub markdown (written on failure too).",
    ),
]
DetailedExitcodeOption = Annotated[
    bool, typer.Option(DETAILED_EXITCODE_FLAG, help=DETAILED_EXITCODE_HELP)
]
PlanFileOption = Annotated[
    Path | None,
    typer.Option(
        "--plan-file", metavar="FILE", help="Apply exactly this saved plan (deployer plan --out)."
    ),
]
AutoApproveOption = Annotated[
    bool,
    typer.Option(
        "--auto-approve",
        help="Plan and apply without asking (refused for protected environments).",
    ),
]
NoMigrateOption = Annotated[
    bool,
    typer.Option(
        "--no-migrate", help="Do not run the pending database migrations after the apply."
    ),
]
NoPublishOption = Annotated[
    bool,
    typer.Option("--no-publish", help="Do not publish the frontend after the apply."),
]
YesOption = Annotated[
    bool, typer.Option("--yes", help="Confirm the saved plan without asking (CI).")
]
AllowProtectedOption = Annotated[
    bool, typer.Option("--allow-protected", help="Allow destroying a protected environment.")
]
ConfirmOption = Annotated[
    str | None,
    typer.Option("--confirm", metavar="ENV", help="The environment's name, instead of typing it."),
]
LockIdArgument = Annotated[str, typer.Argument(help="The lock ID from the lock error.")]
UnlockYesOption = Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")]


def validate(
    env: EnvArgument,
    json_out: JsonOption = False,
) -> None:
    """Check envs/<env>.tfvars and the functions against terraform/, then terraform validate."""
    stack = _stack(env, json_out=json_out)
    stack.validate()
    if json_out:
        print_json({"environment": stack.name, "valid": True})
    else:
        console.print(
            f"[green]{escape(stack.env.tfvars)} and terraform/ are valid.[/]", emoji=False
        )


def plan(
    environments: EnvironmentsArgument = None,
    all_envs: AllOption = False,
    out: OutOption = None,
    summary_md: SummaryMdOption = None,
    detailed_exitcode: DetailedExitcodeOption = False,
    lock_timeout: LockTimeoutOption = None,
    json_out: JsonOption = False,
) -> None:
    """Package, check the tfvars, init and plan; print what would change.

    Exit codes: 0 ok, 1 error, 2 bad input. With --detailed-exitcode (also with --all,
    over every environment): 0 no changes, 1 error, 2 changes present, 3 bad input.
    """
    from deployer.common import DeployerError, UserInputError, atomic_write

    names = list(environments or [])
    if all_envs and names:
        raise UserInputError("Pass either environment names or --all, not both.")
    if all_envs or len(names) > 1:
        if out or summary_md:
            raise UserInputError(
                "--out and --summary-md take one environment: plan each one on its own."
            )
        _plan_many(names, json_out=json_out, lock_timeout=lock_timeout, detailed=detailed_exitcode)
        return
    if not names:
        raise UserInputError("Name the environment to plan (deployer plan dev), or pass --all.")
    stack = None
    try:
        # Inside the try: an unknown environment or a missing backend file must still
        # leave a failure summary for the pull-request comment.
        stack = _stack(names[0], json_out=json_out, lock_timeout=lock_timeout)
        stack.prepare(progress=False if json_out else None)
        planned = stack.plan(out=out)
    except DeployerError as exc:
        if summary_md:
            atomic_write(summary_md, _failure_markdown(names[0], stack, exc.message))
        raise
    if summary_md:
        atomic_write(summary_md, stack.plan_markdown(planned))
    if json_out:
        print_json(planned.as_dict())
    else:
        render_plan(planned, stack.project.root)
    if detailed_exitcode and planned.has_changes:
        raise typer.Exit(EXIT_CHANGES)


def _failure_markdown(env: str, stack, message: str) -> str:
    if stack is not None:
        return stack.plan_markdown(None, error=message)
    from deployer.review import render_plan_markdown

    return render_plan_markdown(env, None, "", error=message)


def _plan_many(
    names: list[str], *, json_out: bool, lock_timeout: str | None, detailed: bool
) -> None:
    from deployer.common import UserInputError
    from deployer.config import find_project
    from deployer.stack import plan_many, plannable_environments

    project = find_project()
    names = names or plannable_environments(project)
    if not names:
        raise UserInputError(
            "No environment to plan: every environment in envs/ is emulated "
            "([tool.deployer] emulated); name them explicitly to plan them."
        )
    out = err_console if json_out else console

    def show(result) -> None:
        # Called as each environment finishes: its whole output at once, never interleaved.
        out.rule(f"[bold]{escape(result.environment)}[/]")
        for line, channel in result.lines:
            target = sys.stderr if (json_out or channel == "stderr") else sys.stdout
            print(line, file=target, flush=True)
        if result.planned is not None:
            render_plan(result.planned, project.root, out=out)
        else:
            out.print(f"[red]error:[/] {escape(result.error or '')}", emoji=False)

    results = plan_many(
        project,
        names,
        lock_timeout=lock_timeout,
        progress=False if json_out else None,
        on_done=show,
    )
    if json_out:
        print_json([r.as_dict() for r in results])
    else:
        table = Table("environment", "result", "create", "update", "replace", "delete", "time")
        for r in results:
            if r.planned is None:
                table.add_row(r.environment, "[red]failed[/]", "", "", "", "", f"{r.seconds:.1f} s")
                continue
            counts = r.planned.summary.counts
            result = "[yellow]changes[/]" if r.planned.has_changes else "[green]no changes[/]"
            table.add_row(
                r.environment,
                result,
                *(str(counts[a]) for a in ("create", "update", "replace", "delete")),
                f"{r.seconds:.1f} s",
            )
        console.print(table, emoji=False)
    code = combined_exit_code(
        [r.exit_code for r in results],
        changes=any(r.planned is not None and r.planned.has_changes for r in results),
        detailed=detailed,
    )
    if code:
        raise typer.Exit(code)


def apply(
    env: EnvArgument,
    plan_file: PlanFileOption = None,
    auto_approve: AutoApproveOption = False,
    yes: YesOption = False,
    lock_timeout: LockTimeoutOption = None,
    no_migrate: NoMigrateOption = False,
    no_publish: NoPublishOption = False,
    json_out: JsonOption = False,
) -> None:
    """Apply a saved plan, or plan and apply after confirmation; then print the outputs, run
    the pending database migrations (--no-migrate: not) and publish the frontend when the
    environment has one (--no-publish: not)."""
    from deployer.stack import check_apply_allowed

    stack = _stack(env, json_out=json_out, lock_timeout=lock_timeout)
    check_apply_allowed(stack.env, plan_file=plan_file, auto_approve=auto_approve, yes=yes)
    out = err_console if json_out else console
    if plan_file is not None:
        stack.init()
        planned = stack.read_plan(plan_file)
    else:
        stack.prepare(progress=False if json_out else None)
        planned = stack.plan(out=stack.dir / "apply.tfplan")
    try:
        render_plan(planned, stack.project.root, out=out, show_file=plan_file is not None)
        if planned.has_changes:
            if not (auto_approve or yes) and not typer.confirm(
                f"Apply this plan to {stack.name}?", default=False, err=True
            ):
                out.print("Nothing was applied.", emoji=False)
                raise typer.Exit(1)
            stack.apply_plan(planned.plan_file)
    finally:
        if plan_file is None:
            planned.plan_file.unlink(missing_ok=True)
    outputs = stack.outputs()
    print_outputs(outputs, json_out, env=stack.name)
    _emulator_notices(stack)
    if not no_migrate:
        from deployer.cli.db import migrate_after_apply

        migrate_after_apply(stack.project, stack.name, json_out=json_out)
    if not no_publish:
        from deployer.cli.publish import publish_after_apply

        publish_after_apply(stack, outputs, json_out=json_out)


def _emulator_notices(stack) -> None:
    """What the emulator could not do as asked (e.g. no PostgreSQL server), once each."""
    from deployer.aws import is_emulated
    from deployer.emulator import take_notices

    if is_emulated(stack.project, stack.name):
        for line in take_notices(stack.project):
            err_console.print(f"[yellow]note:[/] {escape(line)}", emoji=False, soft_wrap=True)


def destroy(
    env: EnvArgument,
    allow_protected: AllowProtectedOption = False,
    confirm: ConfirmOption = None,
    lock_timeout: LockTimeoutOption = None,
    json_out: JsonOption = False,
) -> None:
    """Destroy every resource of an environment, after you type its name."""
    from deployer.common import UserInputError
    from deployer.stack import check_destroy_allowed

    stack = _stack(env, json_out=json_out, lock_timeout=lock_timeout)
    check_destroy_allowed(stack.env, allow_protected=allow_protected)
    if confirm is not None and confirm != stack.name:
        raise UserInputError(
            f"--confirm {confirm} does not match the environment {stack.name}: "
            "nothing was destroyed."
        )
    out = err_console if json_out else console
    stack.prepare(progress=False if json_out else None)
    planned = stack.plan(out=stack.dir / "destroy.tfplan", destroy=True)
    try:
        render_plan(planned, stack.project.root, out=out, show_file=False)
        if planned.has_changes:
            if confirm is None:
                typed = typer.prompt(
                    f"Type the environment's name ({stack.name}) to destroy all of it",
                    default="",
                    show_default=False,
                    err=True,
                )
                if typed.strip() != stack.name:
                    raise UserInputError(
                        f"You typed {typed.strip()!r}, not {stack.name!r}: nothing was destroyed."
                    )
            stack.apply_plan(planned.plan_file)
    finally:
        planned.plan_file.unlink(missing_ok=True)
    if json_out:
        print_json({"environment": stack.name, "destroyed": planned.summary.counts["delete"]})
    else:
        console.print(f"[green]{escape(stack.name)} destroyed.[/]", emoji=False)


OutputNameArgument = Annotated[
    str | None,
    typer.Argument(
        metavar="[NAME]", help="Print only this output's value, raw (for $(...) in a shell)."
    ),
]


def output(
    env: EnvArgument,
    name: OutputNameArgument = None,
    json_out: JsonOption = False,
) -> None:
    """Print the environment's outputs (sensitive ones masked), or one output's value."""
    import json

    from deployer.common import UserInputError, did_you_mean

    stack = _stack(env, json_out=json_out)
    outputs = stack.outputs()
    if name is None:
        print_outputs(outputs, json_out, env=stack.name)
        return
    if name not in outputs:
        raise UserInputError(
            f"{stack.name} has no output {name!r}{did_you_mean(name, outputs)}; outputs: "
            f"{', '.join(outputs) or 'none (nothing applied?)'}."
        )
    value = outputs[name]
    if json_out:
        print_json(value)
    else:
        typer.echo(value if isinstance(value, str) else json.dumps(value, sort_keys=True))


def force_unlock(
    env: EnvArgument,
    lock_id: LockIdArgument,
    yes: UnlockYesOption = False,
    json_out: JsonOption = False,
) -> None:
    """Release a state lock whose holder is dead (never one a running apply holds)."""
    stack = _stack(env, json_out=json_out)
    if not yes and not typer.confirm(
        f"Release lock {lock_id} of {stack.name}? Only do this if no run holds it.",
        default=False,
        err=True,
    ):
        raise typer.Exit(1)
    stack.force_unlock(lock_id)
    if json_out:
        print_json({"environment": stack.name, "lock_id": lock_id, "released": True})
    else:
        console.print(f"Lock {escape(lock_id)} of {escape(stack.name)} released.", emoji=False)
