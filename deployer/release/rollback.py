"""`deployer rollback ENV FUNCTION [--to VERSION]`: move a function's `live` alias back to
an earlier published version, without Terraform.

Terraform points `live` at the newest published version, so the next plan moves it
forward again (the plan summary says so): a rollback holds until the next apply, which is
the time to fix the code (or to deploy the old code with deploy-code).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from deployer.aws import client
from deployer.common import DeployerError, UserInputError
from deployer.config import Project
from deployer.release.lambda_errors import aws_calls
from deployer.release.versions import ALIAS, FunctionVersions, known_function, read_versions


@dataclass(frozen=True)
class Rollback:
    """Where `live` of one function goes: from the version it is at to an earlier one."""

    versions: FunctionVersions
    to_version: str
    code_sha256: str
    moved: bool = False

    @property
    def from_version(self) -> str:
        return self.versions.live

    @property
    def next_plan(self) -> str:
        """What the next plan/apply does about this rollback, in words."""
        latest = self.versions.latest
        if latest is None or latest.version == self.to_version:
            return f"the next apply leaves {ALIAS} at version {self.to_version}"
        return (
            f"the next plan/apply moves {ALIAS} back to version {latest.version}, the latest, "
            "unless deploy-code ships other code first"
        )

    def as_dict(self) -> dict:
        return {
            "environment": self.versions.environment,
            "function": self.versions.function,
            "deployed_name": self.versions.deployed_name,
            "alias": ALIAS,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "code_sha256": self.code_sha256,
            "moved": self.moved,
            "next_plan": self.next_plan,
        }


def plan_rollback(
    project: Project,
    env_name: str,
    environ: Mapping[str, str],
    function: str,
    *,
    to: str | None = None,
) -> Rollback:
    """Which version `live` would move to: `to`, or the one before the version it is at."""
    name = known_function(project, env_name, function)
    versions = read_versions(client(dict(environ), "lambda"), env_name, function, name)
    listed = ", ".join(v.version for v in versions.versions) or "none"
    if to is not None:
        target = versions.find(to.strip())
        if target is None:
            raise UserInputError(
                f"{function} has no published version {to!r} in {env_name} (versions: "
                f"{listed}); pick one from deployer versions {env_name} {function}."
            )
    else:
        earlier = [v for v in versions.versions if int(v.version) < int(versions.live)]
        if not earlier:
            raise DeployerError(
                f"{ALIAS} of {function} in {env_name} is at version {versions.live}, and no "
                f"earlier version is published (versions: {listed}): nothing to roll back to."
            )
        target = earlier[-1]
    return Rollback(versions=versions, to_version=target.version, code_sha256=target.code_sha256)


def apply_rollback(environ: Mapping[str, str], planned: Rollback) -> Rollback:
    """Move `live` as planned (nothing to do when it is there already)."""
    if planned.to_version == planned.from_version:
        return planned
    name = planned.versions.deployed_name
    with aws_calls(
        f"moving {ALIAS} of {name} to version {planned.to_version}", planned.versions.environment
    ):
        client(dict(environ), "lambda").update_alias(
            FunctionName=name, Name=ALIAS, FunctionVersion=planned.to_version
        )
    return Rollback(
        versions=planned.versions,
        to_version=planned.to_version,
        code_sha256=planned.code_sha256,
        moved=True,
    )
