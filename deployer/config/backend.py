"""An environment's S3 backend settings, read from `envs/<env>.backend.hcl`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deployer.common import UserInputError
from deployer.config.project import Project


@dataclass(frozen=True)
class BackendConfig:
    """What bootstrap needs from `envs/<env>.backend.hcl`."""

    path: Path
    bucket: str
    region: str
    key: str = ""
    use_path_style: bool = False


def _unquote(value: Any) -> Any:
    # python-hcl2 >= 7 keeps the quotes of string values.
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def read_backend_config(project: Project, env_name: str) -> BackendConfig:
    """Bucket, region and key of an environment's S3 backend; names the file on any error."""
    import hcl2

    path = project.envs_dir / f"{env_name}.backend.hcl"
    rel = path.relative_to(project.root) if path.is_relative_to(project.root) else path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserInputError(
            f"{rel} is missing: every environment needs its S3 backend settings (bucket, key, "
            "region); copy another environment's file and change the key."
        ) from None
    try:
        raw = {k: _unquote(v) for k, v in hcl2.loads(text).items()}
    except Exception as exc:  # python-hcl2 raises lark errors of many kinds
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserInputError(f"{rel} is not valid HCL ({first}); fix the syntax.") from None
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
