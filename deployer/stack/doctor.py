"""`deployer doctor`: is this machine ready to run the deployer?"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass

from deployer.common import DeployerError
from deployer.config import Project
from deployer.terraform import configured_mirror, find_terraform, implicit_mirrors


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "ok": self.ok,
            "required": self.required,
            "detail": self.detail,
            "fix": self.fix,
        }


def _terraform_check() -> Check:
    try:
        tf = find_terraform()
    except DeployerError as exc:
        return Check("terraform", False, str(exc), "install Terraform >= 1.10 and put it on PATH")
    return Check("terraform", True, f"{tf.path} (v{tf.version_text})")


def _mirror_check(project: Project | None) -> Check:
    try:
        mirror = configured_mirror(project) if project else None
    except DeployerError as exc:
        return Check("provider mirror", False, str(exc), "fix DEPLOYER_PROVIDER_MIRROR")
    mirrors = [mirror] if mirror else implicit_mirrors()
    if not mirrors:
        return Check(
            "provider mirror",
            True,
            "none: init needs registry access",
            "offline? set DEPLOYER_PROVIDER_MIRROR to a folder holding "
            "registry.terraform.io/hashicorp/aws",
            required=False,
        )
    found = mirrors[0]
    return Check(
        "provider mirror",
        True,
        f"{found.path} ({found.source}): hashicorp/aws {', '.join(found.aws_versions)}",
        required=False,
    )


def _python_check() -> Check:
    ok = sys.version_info >= (3, 11)
    return Check(
        "python",
        ok,
        f"{platform.python_version()} ({sys.executable})",
        "" if ok else "use Python 3.11 or newer",
    )


def run_checks(project: Project | None) -> list[Check]:
    """Every check, in the order a user would fix them."""
    # AWS credentials are per environment: `deployer doctor ENV` checks them with STS.
    return [_terraform_check(), _mirror_check(project), _python_check()]
