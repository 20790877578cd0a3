"""Offline provider mirrors: finding one and writing a Terraform CLI config that uses it.

The deployer adds to the user's own CLI configuration, it does not replace it: the
generated file starts with the user's config (TF_CLI_CONFIG_FILE or ~/.terraformrc)
and only adds a `provider_installation` block when a mirror is configured and the
user's file has none of its own.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from deployer.common import UserInputError, atomic_write
from deployer.config import Project

MIRROR_ENV = "DEPLOYER_PROVIDER_MIRROR"
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"

# Directories Terraform itself searches as implicit local mirrors on Unix.
IMPLICIT_MIRROR_DIRS = (
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)


@dataclass(frozen=True)
class ProviderMirror:
    path: Path
    aws_versions: tuple[str, ...]
    source: str  # where the setting came from: the env var, pyproject, or implicit

    def as_dict(self) -> dict:
        return {
            "path": str(self.path),
            "aws_versions": list(self.aws_versions),
            "source": self.source,
        }


def aws_versions_in(mirror: Path) -> tuple[str, ...]:
    """AWS provider versions held by a filesystem mirror (packed or unpacked layout)."""
    provider_dir = mirror / AWS_PROVIDER
    if not provider_dir.is_dir():
        return ()
    versions = set()
    for entry in provider_dir.iterdir():
        if entry.is_dir() and re.fullmatch(r"\d+\.\d+\.\d+.*", entry.name):
            versions.add(entry.name)  # unpacked: <version>/<os_arch>/terraform-provider-aws_*
        match = re.fullmatch(r"terraform-provider-aws_(\d+\.\d+\.\d+[^_]*)_.*\.zip", entry.name)
        if match:
            versions.add(match.group(1))  # packed: terraform-provider-aws_<v>_<os>_<arch>.zip
    return tuple(sorted(versions, key=lambda v: [int(x) for x in re.findall(r"\d+", v)[:3]]))


def configured_mirror(project: Project) -> ProviderMirror | None:
    """The mirror set by $DEPLOYER_PROVIDER_MIRROR or `[tool.deployer] provider_mirror`."""
    value, source = os.environ.get(MIRROR_ENV, ""), MIRROR_ENV
    if not value:
        value, source = project.settings.provider_mirror, "pyproject.toml [tool.deployer]"
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = project.root / path
    versions = aws_versions_in(path)
    if not versions:
        raise UserInputError(
            f"The provider mirror {path} (from {source}) holds no {AWS_PROVIDER}: point it at "
            f"the folder that contains registry.terraform.io/, or unset it to use the registry."
        )
    return ProviderMirror(path=path, aws_versions=versions, source=source)


def implicit_mirrors() -> list[ProviderMirror]:
    """Terraform's own implicit mirror folders that hold the AWS provider."""
    found = []
    for raw in IMPLICIT_MIRROR_DIRS:
        path = Path(raw).expanduser()
        versions = aws_versions_in(path)
        if versions:
            found.append(ProviderMirror(path=path, aws_versions=versions, source="implicit"))
    return found


def user_cli_config() -> Path | None:
    """The user's own Terraform CLI config file, if one exists."""
    explicit = os.environ.get("TF_CLI_CONFIG_FILE")
    if explicit:
        path = Path(explicit).expanduser()
        return path if path.is_file() else None
    default = Path("~/.terraformrc").expanduser()
    return default if default.is_file() else None


def render_cli_config(mirror: ProviderMirror | None, user_config: Path | None) -> str:
    """The CLI config text for the deployer's Terraform children."""
    parts = []
    user_text = user_config.read_text(encoding="utf-8") if user_config else ""
    if user_text:
        parts.append(f"# From the user's CLI config {user_config}\n{user_text.rstrip()}\n")
    if mirror is not None and "provider_installation" not in user_text:
        path = str(mirror.path).replace("\\", "/")
        parts.append(
            "# Added by deployer: install hashicorp/aws from the offline mirror.\n"
            "provider_installation {\n"
            "  filesystem_mirror {\n"
            f'    path    = "{path}"\n'
            f'    include = ["{AWS_PROVIDER}"]\n'
            "  }\n"
            "  direct {\n"
            f'    exclude = ["{AWS_PROVIDER}"]\n'
            "  }\n"
            "}\n"
        )
    return "\n".join(parts)


def write_cli_config(project: Project) -> Path | None:
    """Write `.deployer/terraformrc` for child processes; None when there is nothing to add."""
    mirror = configured_mirror(project)
    if mirror is None:
        return None
    target = project.work_dir / "terraformrc"
    atomic_write(target, render_cli_config(mirror, user_cli_config()), only_if_changed=True)
    return target
