"""`deployer env-for-branch`: which environment a branch deploys (for CI)."""

from __future__ import annotations

from typing import Annotated

import typer

from deployer.cli.options import JsonOption
from deployer.cli.output import print_json


def env_for_branch(
    branch: Annotated[str, typer.Argument(help="A branch name (refs/heads/ is accepted).")],
    json_out: JsonOption = False,
) -> None:
    """Print the environment BRANCH deploys, from \\[tool.deployer.branches]; exit 2 if none."""
    from deployer.config import environment_for_branch, find_project

    project = find_project()
    env = environment_for_branch(project, branch)
    if json_out:
        print_json(
            {
                "branch": branch.removeprefix("refs/heads/"),
                "environment": env,
                "protected": env in project.settings.protected,
            }
        )
    else:
        typer.echo(env)
