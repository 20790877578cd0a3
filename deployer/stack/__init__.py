"""One environment's root stack (checks, init, plan, apply, destroy, outputs), several
environments side by side, and the checks of the machine (`doctor`)."""

from __future__ import annotations

from deployer.stack.doctor import run_checks
from deployer.stack.recover import recover_plan
from deployer.stack.root_stack import PlannedChange, Stack
from deployer.stack.safety import check_apply_allowed, check_destroy_allowed
from deployer.stack.side_by_side import plan_many, plannable_environments

__all__ = [
    "PlannedChange",
    "Stack",
    "check_apply_allowed",
    "check_destroy_allowed",
    "plan_many",
    "plannable_environments",
    "recover_plan",
    "run_checks",
]
