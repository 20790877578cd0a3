"""`deployer recover ENV`: bring resources a killed Terraform left outside the state back
under management (docs/operating.md, "After a crash")."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from deployer.cli.options import EnvArgument, JsonOption, LockTimeoutOption
from deployer.cli.output import console, err_console, print_json
from deployer.cli.render import render_plan
from deployer.cli.stacks import open_stack

AutoApproveOption = Annotated[
    bool, typer.Option("--auto-approve", help="Apply the recovery plan without asking.")
]
RecoverOutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Save the recovery plan here instead of applying it (a protected environment "
        "then applies it with `deployer apply ENV --plan-file FILE`).",
        dir_okay=False,
    ),
]


def recover(
    env: EnvArgument,
    auto_approve: AutoApproveOption = False,
    out_file: RecoverOutOption = None,
    lock_timeout: LockTimeoutOption = None,
    json_out: JsonOption = False,
) -> None:
    """Import the resources the apply would create that already exist (a killed Terraform
    made them), then apply: the next plan converges."""
    from deployer.common import UserInputError
    from deployer.stack import recover_plan

    stack = open_stack(env, json_out=json_out, lock_timeout=lock_timeout)
    if stack.env.protected and out_file is None:
        raise UserInputError(
            f"{stack.name} is protected: save the recovery plan with `deployer recover "
            f"{stack.name} --out recover.tfplan`, review it, then apply it with `deployer "
            f"apply {stack.name} --plan-file recover.tfplan`."
        )
    if stack.env.protected and auto_approve:
        raise UserInputError(f"{stack.name} is protected: --auto-approve is refused there.")
    out = err_console if json_out else console
    stack.prepare(progress=False if json_out else None)
    plan_file = (out_file or stack.dir / "recover.tfplan").resolve()
    recovery = recover_plan(stack, plan_file)
    report = {
        "environment": stack.name,
        "imported": recovery.imported,
        "not_found": recovery.not_found,
        "plan_file": str(plan_file) if out_file else None,
        "applied": False,
    }
    try:
        render_plan(recovery.planned, stack.project.root, out=out, show_file=False)
        for address, import_id in sorted(recovery.imported.items()):
            out.print(
                f"[cyan]import[/] {escape(address)} ({escape(import_id)})",
                emoji=False,
                highlight=False,
            )
        if out_file is not None:
            out.print(
                f"Saved to {escape(str(plan_file))}: apply it with `deployer apply "
                f"{escape(stack.name)} --plan-file {escape(str(out_file))}`.",
                emoji=False,
            )
        else:
            if not auto_approve and not typer.confirm(
                f"Import {len(recovery.imported)} resource(s) and apply to {stack.name}?",
                default=False,
                err=True,
            ):
                out.print("Nothing was imported.", emoji=False)
                raise typer.Exit(1)
            stack.apply_plan(plan_file)
            report["applied"] = True
            out.print(
                f"{escape(stack.name)}: {len(recovery.imported)} resource(s) imported; "
                "the state now holds everything the stack made.",
                emoji=False,
            )
    finally:
        if out_file is None:
            plan_file.unlink(missing_ok=True)
    if json_out:
        print_json(report)
