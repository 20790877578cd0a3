"""The environments of a project: one `envs/<env>.tfvars` (+ `.backend.hcl`) each."""

from __future__ import annotations

from dataclasses import dataclass

from deployer.common import UserInputError
from deployer.config.project import ENV_NAME_RE, Project


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


def list_environments(project: Project) -> list[Environment]:
    """Every `envs/*.tfvars`, sorted by name."""
    if not project.envs_dir.is_dir():
        return []
    found = []
    for tfvars in sorted(project.envs_dir.glob("*.tfvars")):
        name = tfvars.stem
        if not ENV_NAME_RE.fullmatch(name):
            continue
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
