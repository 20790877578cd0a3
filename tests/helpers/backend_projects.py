"""A minimal project with one environment and its backend file, for backend and bucket tests."""

from __future__ import annotations

from pathlib import Path

from deployer.config.project import Project, find_project

REGION = "eu-west-1"
BUCKET = "demo-dev-tfstate"


def write_project(root: Path, backend: str | None = None) -> Project:
    (root / "envs").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.deployer]\napp = "demo"\nemulated = ["local"]\n', encoding="utf-8"
    )
    (root / "envs" / "dev.tfvars").write_text("", encoding="utf-8")
    if backend is None:
        backend = (
            f'bucket = "{BUCKET}"\nkey = "dev/terraform.tfstate"\nregion = "{REGION}"\n'
            "use_lockfile = true\nencrypt = true\n"
        )
    (root / "envs" / "dev.backend.hcl").write_text(backend, encoding="utf-8")
    return find_project(root)
