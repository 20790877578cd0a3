"""The rules that keep environments safe: what a protected environment refuses.

They live here, not in the CLI: a protected environment applies only a saved plan and
never with --auto-approve, and refuses destroy unless explicitly allowed.
"""

from __future__ import annotations

from pathlib import Path

from deployer.common import UserInputError
from deployer.config import Environment


def check_apply_allowed(
    env: Environment, *, plan_file: Path | None, auto_approve: bool, yes: bool
) -> None:
    """Refuse an apply a protected environment must not take; `--yes` needs a saved plan."""
    if env.protected and auto_approve:
        raise UserInputError(
            f"{env.name} is protected: --auto-approve is refused there; make a saved plan "
            f"(deployer plan {env.name} --out {env.name}.tfplan), review it, then run "
            f"deployer apply {env.name} --plan-file {env.name}.tfplan (--yes in CI)."
        )
    if env.protected and plan_file is None:
        raise UserInputError(
            f"{env.name} is protected: it applies only a saved plan; run deployer plan "
            f"{env.name} --out {env.name}.tfplan, review it, then deployer apply {env.name} "
            f"--plan-file {env.name}.tfplan."
        )
    if yes and plan_file is None:
        raise UserInputError(
            "--yes confirms a saved plan: pass --plan-file FILE with it (or use "
            "--auto-approve to plan and apply at once outside protected environments)."
        )


def check_destroy_allowed(env: Environment, *, allow_protected: bool) -> None:
    """Refuse to destroy a protected environment unless explicitly allowed."""
    if env.protected and not allow_protected:
        raise UserInputError(
            f"{env.name} is protected: destroy is refused; pass --allow-protected if you "
            "really mean to remove every resource of it."
        )
