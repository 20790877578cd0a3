"""Finding the `terraform` binary and checking its version."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass

from deployer.common import DeployerError, ProcessError, run_captured

# 1.10: the S3 backend's native lock file (`use_lockfile`), which every environment uses.
MIN_TERRAFORM = (1, 10, 0)
# `terraform version` answers at once; a binary that hangs must not hang every command.
VERSION_TIMEOUT = 60.0
INSTALL_HINT = (
    "install Terraform >= 1.10 (https://developer.hashicorp.com/terraform/install) "
    "and put it on PATH"
)


@dataclass(frozen=True)
class TerraformBinary:
    path: str
    version: tuple[int, int, int]

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))


def _parse_version(text: str) -> tuple[int, int, int]:
    core = text.lstrip("v").split("-")[0]
    parts = [int(p) for p in core.split(".")[:3]]
    major, minor, patch = [*parts, 0, 0, 0][:3]
    return (major, minor, patch)


def find_terraform() -> TerraformBinary:
    """The `terraform` on PATH and its version; a clear error if missing or older than 1.10."""
    path = shutil.which("terraform")
    if path is None:
        raise DeployerError(f"terraform was not found on PATH: {INSTALL_HINT}.")
    try:
        out = run_captured([path, "version", "-json"], timeout=VERSION_TIMEOUT).check().stdout
        version = _parse_version(json.loads(out)["terraform_version"])
    except ProcessError as exc:
        raise exc.with_summary(f"{path} did not report its version: {INSTALL_HINT}") from None
    except (ValueError, KeyError) as exc:
        raise DeployerError(f"{path} did not report its version ({exc}): {INSTALL_HINT}.") from None
    binary = TerraformBinary(path=path, version=version)
    if version < MIN_TERRAFORM:
        raise DeployerError(
            f"{path} is Terraform {binary.version_text}, older than 1.10: {INSTALL_HINT}."
        )
    return binary
