"""An environment's S3 backend settings, read from `envs/<env>.backend.hcl`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deployer.common import UserInputError
from deployer.config.hcl import parse_hcl
from deployer.config.project import Project


@dataclass(frozen=True)
class BackendConfig:
    """What bootstrap needs from `envs/<env>.backend.hcl`."""

    path: Path
    bucket: str
    region: str
    key: str = ""
    use_path_style: bool = False


def read_backend_config(project: Project, env_name: str) -> BackendConfig:
    """Bucket, region and key of an environment's S3 backend; names the file on any error."""
    path = project.envs_dir / f"{env_name}.backend.hcl"
    rel = path.relative_to(project.root) if path.is_relative_to(project.root) else path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserInputError(
            f"{rel} is missing: every environment needs its S3 backend settings (bucket, key, "
            "region); copy another environment's file and change the key."
        ) from None
    raw = parse_hcl(text, shown=str(rel)).values
    for name in ("bucket", "region"):
        value = raw.get(name)
        if not isinstance(value, str) or not value:
            raise UserInputError(
                f'{rel}: {name} is missing; add e.g. {name} = "..." (the state bucket\'s '
                f"{'name' if name == 'bucket' else 'AWS region'})."
            )
    return BackendConfig(
        path=path,
        bucket=raw["bucket"],
        region=raw["region"],
        key=str(raw.get("key") or ""),
        use_path_style=raw.get("use_path_style") is True,
    )
