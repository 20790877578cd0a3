"""The environments of a project: one `envs/<env>.tfvars` (+ `.backend.hcl`) each."""

from __future__ import annotations

import re
from dataclasses import dataclass

from deployer.common import UserInputError
from deployer.config.project import Project

# An environment's name goes into AWS names: `<app>-<env>` is the RDS identifier, the API's
# and the Amplify app's name and the packages bucket's prefix, `<app>-<env>-<fn>` each
# function's. RDS identifiers and S3 bucket names take lowercase letters, digits and
# hyphens only, never two hyphens in a row nor one at the end: so does an environment.
ENV_NAME_MAX = 20
ENV_NAME_RE = re.compile(rf"(?=.{{1,{ENV_NAME_MAX}}}\Z)[a-z][a-z0-9]*(?:-[a-z0-9]+)*\Z")
ENV_NAME_RULE = (
    f"1-{ENV_NAME_MAX} lowercase letters, digits and single hyphens, starting with a letter "
    "and not ending with a hyphen"
)


@dataclass(frozen=True)
class Environment:
    name: str
    protected: bool
    tfvars: str
    backend: str | None

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "protected": self.protected,
            "tfvars": self.tfvars,
            "backend": self.backend,
        }


def _suggested_name(name: str) -> str | None:
    """`my_env` -> `my-env`: the valid name closest to what the user wrote, if there is one."""
    guess = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:ENV_NAME_MAX].rstrip("-")
    return guess if ENV_NAME_RE.match(guess) else None


def _misnamed(project: Project, name: str) -> UserInputError:
    folder = project.envs_dir.relative_to(project.root).as_posix()
    guess = _suggested_name(name)
    if guess is None:
        fix = "rename it (and its backend file)"
    else:
        fix = f"rename it to {folder}/{guess}.tfvars"
        if (project.envs_dir / f"{name}.backend.hcl").is_file():
            fix += f" and {name}.backend.hcl to {guess}.backend.hcl"
    return UserInputError(
        f"{folder}/{name}.tfvars: {name!r} is not a valid environment name: use "
        f"{ENV_NAME_RULE} (it becomes part of AWS names such as "
        f"{project.settings.app}-{name}-<function>, and RDS identifiers and S3 bucket names "
        f"allow nothing else); {fix}."
    )


def list_environments(project: Project) -> list[Environment]:
    """Every `envs/*.tfvars`, sorted by name; a file whose name is not a valid environment
    name is an error that names it (never silently left out)."""
    if not project.envs_dir.is_dir():
        return []
    found = []
    for tfvars in sorted(project.envs_dir.glob("*.tfvars")):
        name = tfvars.stem
        if name.startswith("."):
            continue  # an editor's lock or backup file (.#dev.tfvars), not an environment
        if not ENV_NAME_RE.match(name):
            raise _misnamed(project, name)
        backend = project.envs_dir / f"{name}.backend.hcl"
        found.append(
            Environment(
                name=name,
                protected=name in project.settings.protected,
                tfvars=str(tfvars.relative_to(project.root)),
                backend=str(backend.relative_to(project.root)) if backend.is_file() else None,
            )
        )
    return found


def get_environment(project: Project, name: str) -> Environment:
    """The environment called `name`, or a clear error listing the ones that exist."""
    envs = {env.name: env for env in list_environments(project)}
    if name not in envs:
        known = ", ".join(sorted(envs)) or "none"
        raise UserInputError(
            f"Unknown environment {name!r}: there is no envs/{name}.tfvars "
            f"(environments: {known}); create the file or pick one of those."
        )
    env = envs[name]
    if env.backend is None:
        raise UserInputError(
            f"envs/{name}.backend.hcl is missing: every environment needs its own S3 backend "
            "configuration; copy another environment's file and change the key."
        )
    return env


def environment_for_branch(project: Project, branch: str) -> str:
    """The environment a branch deploys, from `[tool.deployer.branches]`."""
    branch = branch.removeprefix("refs/heads/")
    env = project.settings.branches.get(branch)
    if env is None:
        known = ", ".join(f"{b} -> {e}" for b, e in sorted(project.settings.branches.items()))
        raise UserInputError(
            f"Branch {branch!r} deploys no environment ([tool.deployer.branches]: "
            f"{known or 'empty'}); add it there if it should."
        )
    return env
