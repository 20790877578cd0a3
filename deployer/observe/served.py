"""An emulated environment exists only while its emulator runs: its API is served, and
its logs kept, by that process. Observing one that is not running says so, instead of
starting an empty emulator that would answer nothing."""

from __future__ import annotations

from deployer.aws import is_emulated
from deployer.common import DeployerError
from deployer.config import Project, get_environment
from deployer.emulator import status as emulator_status


def require_served(project: Project, env_name: str) -> None:
    """An emulated environment's API is served only while its emulator runs (its state
    lives in it): say so, with the fix, instead of starting an empty one."""
    get_environment(project, env_name)
    if is_emulated(project, env_name) and not emulator_status(project).running:
        raise DeployerError(
            f"The local emulator is not running, so nothing serves {env_name}'s API (nor "
            f"keeps its logs): apply it first with `deployer apply {env_name}` (or keep "
            f"`deployer dev {env_name}` running)."
        )
