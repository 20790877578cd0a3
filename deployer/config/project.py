"""Where the project is on disk and what its `[tool.deployer]` settings say."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from deployer.common import UserInputError
from deployer.config.frontend import FrontendSettings, load_frontend
from deployer.config.smoke import SmokeSettings, load_smoke

PROJECT_DIR_ENV = "DEPLOYER_PROJECT_DIR"


@dataclass(frozen=True)
class Settings:
    """The `[tool.deployer]` table of pyproject.toml, with defaults filled in."""

    app: str = "deployer"
    protected: tuple[str, ...] = ("preprod", "prod")
    provider_mirror: str = ""
    branches: dict[str, str] = field(default_factory=dict)
    # Environments served by the embedded AWS emulator (a moto server on loopback).
    emulated: tuple[str, ...] = ("local",)
    # SQL migrations (docs/database.md): their folder, and the function that runs them.
    migrations: str = "migrations"
    migrate_function: str = "db_migrate"
    # The frontend `deployer publish` ships (docs/frontend.md); None: the project has none.
    frontend: FrontendSettings | None = None
    # What `deployer smoke` checks (docs/operating.md).
    smoke: SmokeSettings = field(default_factory=SmokeSettings)


@dataclass(frozen=True)
class Project:
    """A deployer project: a folder with pyproject.toml, `envs/`, `terraform/` and `lambda_src/`."""

    root: Path
    settings: Settings

    @property
    def lambda_src(self) -> Path:
        return self.root / "lambda_src"

    @property
    def envs_dir(self) -> Path:
        return self.root / "envs"

    @property
    def terraform_dir(self) -> Path:
        return self.root / "terraform"

    @property
    def modules_dir(self) -> Path:
        return self.root / "modules"

    @property
    def work_dir(self) -> Path:
        """`.deployer/`: everything the deployer generates lives here, never in `terraform/`."""
        return self.root / ".deployer"

    @property
    def build_dir(self) -> Path:
        return self.work_dir / "build"

    @property
    def migrations_dir(self) -> Path:
        """The SQL migrations (`[tool.deployer] migrations`, default `migrations/`)."""
        return self.root / self.settings.migrations

    def env_dir(self, env: str) -> Path:
        """`.deployer/<env>/`: generated var-files, TF_DATA_DIR and plans of one environment."""
        return self.work_dir / env


def _pyproject_settings(pyproject: Path) -> dict | None:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserInputError(f"{pyproject}: not valid TOML ({exc}); fix the syntax.") from None
    tool = data.get("tool", {})
    return tool.get("deployer") if isinstance(tool, dict) else None


def load_settings(pyproject: Path, raw: dict) -> Settings:
    """Validate `[tool.deployer]`; every error names the key and the fix."""
    where = f"{pyproject} [tool.deployer]"
    app = raw.get("app", "deployer")
    if not isinstance(app, str) or not re.fullmatch(r"[a-z][a-z0-9-]{1,24}", app):
        raise UserInputError(
            f"{where}: app = {app!r} is not valid; use 2-25 lowercase letters, digits or "
            "hyphens starting with a letter (it prefixes every resource name)."
        )
    protected = raw.get("protected", ["preprod", "prod"])
    if not isinstance(protected, list) or not all(isinstance(p, str) for p in protected):
        raise UserInputError(f"{where}: protected must be a list of environment names.")
    mirror = raw.get("provider_mirror", "")
    if not isinstance(mirror, str):
        raise UserInputError(f"{where}: provider_mirror must be a path string (or empty).")
    branches = raw.get("branches", {})
    if not isinstance(branches, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in branches.items()
    ):
        raise UserInputError(
            f'{where}.branches must map branch names to environment names, e.g. main = "prod".'
        )
    emulated = raw.get("emulated", ["local"])
    if not isinstance(emulated, list) or not all(isinstance(e, str) for e in emulated):
        raise UserInputError(f"{where}: emulated must be a list of environment names.")
    migrations = raw.get("migrations", "migrations")
    if (
        not isinstance(migrations, str)
        or not migrations.strip()
        or PurePath(migrations).is_absolute()
        or ".." in PurePath(migrations).parts
    ):
        raise UserInputError(
            f"{where}: migrations = {migrations!r} must be a folder inside the project, "
            'relative to pyproject.toml, e.g. migrations = "migrations".'
        )
    migrate_function = raw.get("migrate_function", "db_migrate")
    if not isinstance(migrate_function, str) or not re.fullmatch(
        r"[A-Za-z0-9_-]+", migrate_function
    ):
        raise UserInputError(
            f"{where}: migrate_function = {migrate_function!r} must name a function of "
            'lambda_src/ (letters, digits, - and _), e.g. migrate_function = "db_migrate".'
        )
    return Settings(
        app=app,
        protected=tuple(protected),
        provider_mirror=mirror,
        branches=dict(branches),
        emulated=tuple(emulated),
        migrations=migrations,
        migrate_function=migrate_function,
        frontend=load_frontend(where, raw.get("frontend")),
        smoke=load_smoke(where, raw.get("smoke")),
    )


def find_project(start: Path | None = None) -> Project:
    """The nearest folder with `[tool.deployer]`, from `start`, $DEPLOYER_PROJECT_DIR or cwd."""
    if start is None:
        start = Path(os.environ.get(PROJECT_DIR_ENV) or Path.cwd())
    start = start.resolve()
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            raw = _pyproject_settings(pyproject)
            if raw is not None:
                return Project(root=folder, settings=load_settings(pyproject, raw))
    raise UserInputError(
        f"No deployer project found at or above {start}: run deployer inside a project "
        "(a folder whose pyproject.toml has a [tool.deployer] table), or set "
        f"{PROJECT_DIR_ENV}."
    )
