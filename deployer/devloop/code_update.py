"""A code-only deploy of one function on a saved edit: `deployer deploy-code`'s own path
(deployer.release) for that one function, so what `deployer dev` ships is what
deploy-code ships, and the next plan shows no change to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deployer.config import Project
from deployer.release import deploy_code, list_versions


@dataclass(frozen=True)
class CodeUpdate:
    function: str
    version: str
    rebuilt: bool
    seconds: float


def update_code(
    project: Project,
    env_name: str,
    environ: Mapping[str, str],
    function: str,
    outputs: Mapping[str, Any],
) -> CodeUpdate:
    """Repackage `function` and deploy only its code to `env_name` (`outputs`: the stack's)."""
    result = deploy_code(project, env_name, environ, outputs, [function], progress=False)
    if result.deployed:
        done = result.deployed[0]
        return CodeUpdate(function, done.version, done.change.needs_upload, result.seconds)
    # The zip is what runs already (a save that changed nothing packaged).
    live = list_versions(project, env_name, environ, function).live
    return CodeUpdate(function, live, False, result.seconds)
