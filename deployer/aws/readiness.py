"""`deployer doctor ENV`: can this machine reach the AWS that environment would use?

On AWS: the region its commands use, and the credentials, confirmed by STS (account and
ARN). On an emulated environment: the embedded emulator, asked the same STS question.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from deployer.aws.identity import CredentialsError, caller_identity
from deployer.aws.process_env import (
    emulated_environment,
    is_emulated,
    refuse_emulator_endpoint,
    region,
    state_credentials_environ,
)
from deployer.common import DeployerError
from deployer.config import Project, get_environment
from deployer.emulator import status


@dataclass(frozen=True)
class AwsCheck:
    """One line of `doctor ENV`, with what it found (account, ARN, region) for --json."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True
    found: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "ok": self.ok,
            "required": self.required,
            "detail": self.detail,
            "fix": self.fix,
            **self.found,
        }


def _emulator_check(project: Project, env_name: str) -> AwsCheck:
    current = status(project)
    if not current.running:
        return AwsCheck(
            "emulator",
            True,
            f"not running; any command on {env_name} starts it (or `deployer local start`)",
        )
    backend_region, _ = region(project, env_name, {})
    environ = emulated_environment(current.endpoint or "", backend_region or "us-east-1")
    try:
        identity = caller_identity(environ, env_name)
    except CredentialsError as exc:
        return AwsCheck(
            "emulator",
            False,
            f"{current.endpoint} (pid {current.pid}) does not answer: {exc.problem}",
            "run `deployer local stop`, then retry",
        )
    return AwsCheck(
        "emulator",
        True,
        f"{current.endpoint} (pid {current.pid}) answers as account {identity.account}",
        found={"endpoint": current.endpoint, "account": identity.account},
    )


def _aws_checks(project: Project, env_name: str, environ: dict[str, str]) -> list[AwsCheck]:
    name, source = region(project, env_name, environ)
    if name:
        region_check = AwsCheck("aws region", True, f"{name} ({source})", found={"region": name})
        environ = {**environ, "AWS_REGION": name}
    else:
        region_check = AwsCheck(
            "aws region",
            False,
            f"none: neither AWS_REGION nor envs/{env_name}.backend.hcl sets one",
            f'add region = "..." (the state bucket\'s region) to envs/{env_name}.backend.hcl, '
            "or export AWS_REGION",
        )
    # The credentials Terraform's S3 backend would use: the backend file may name a profile.
    environ = state_credentials_environ(project, env_name, environ) or environ
    try:
        identity = caller_identity(environ, env_name)
    except CredentialsError as exc:
        return [region_check, AwsCheck("aws credentials", False, exc.problem, exc.fix)]
    found = AwsCheck("aws credentials", True, identity.described, found=identity.as_dict())
    return [region_check, found]


def aws_checks(project: Project, env_name: str, environ: dict[str, str]) -> list[AwsCheck]:
    """The checks of what `env_name` would reach with the process environment `environ`:
    the emulator for an emulated environment, else region and credentials (via STS)."""
    get_environment(project, env_name)
    if is_emulated(project, env_name):
        return [_emulator_check(project, env_name)]
    try:
        refuse_emulator_endpoint(project, env_name)
    except DeployerError as exc:
        return [AwsCheck("aws endpoint", False, exc.message)]
    return _aws_checks(project, env_name, environ)
