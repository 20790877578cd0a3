"""Minimal projects: `[tool.deployer]` settings, and a tfvars and backend file per environment."""

from __future__ import annotations

from pathlib import Path

from deployer.config.project import Project, find_project

REGION = "eu-west-1"
BUCKET = "demo-dev-tfstate"


def write_env_project(root: Path, settings: str, backends: dict[str, str]) -> Project:
    """A project whose `[tool.deployer]` table is `settings`, with an empty tfvars and the
    given backend file text for each environment."""
    (root / "envs").mkdir(parents=True)
    (root / "pyproject.toml").write_text(f"[tool.deployer]\n{settings}", encoding="utf-8")
    for env, backend in backends.items():
        (root / "envs" / f"{env}.tfvars").write_text("", encoding="utf-8")
        (root / "envs" / f"{env}.backend.hcl").write_text(backend, encoding="utf-8")
    return find_project(root)


def write_project(root: Path, backend: str | None = None) -> Project:
    """One environment, dev, whose backend file is `backend` (default: a valid one)."""
    if backend is None:
        backend = (
            f'bucket = "{BUCKET}"\nkey = "dev/terraform.tfstate"\nregion = "{REGION}"\n'
            "use_lockfile = true\nencrypt = true\n"
        )
    return write_env_project(root, 'app = "demo"\nemulated = ["local"]\n', {"dev": backend})
