"""The project's SQL migrations: `migrations/NNNN_description.sql` (docs/database.md).

The `*.sql` files directly in the folder (`[tool.deployer] migrations`) are the migrations;
other files (a README) and subfolders are not. Every `.sql` name is checked before
anything is packaged or run, and all problems are reported at once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from deployer.common import UserInputError
from deployer.config.project import Project

MIGRATION_NAME_RE = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")


@dataclass(frozen=True)
class MigrationFile:
    """One migration file: its version (the four digits) and where it is."""

    version: str
    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def checksum(self) -> str:
        """SHA-256 of the bytes, hex: what `schema_migrations.checksum` records."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def _shown(project: Project, path: Path) -> str:
    return path.relative_to(project.root).as_posix()


def migration_problems(project: Project) -> list[str]:
    """Every problem of the migrations folder's file names, one sentence each."""
    _, problems = _scan(project)
    return problems


def list_migrations(project: Project) -> list[MigrationFile]:
    """The migrations in version order (none without the folder); a UserInputError if bad."""
    found, problems = _scan(project)
    if len(problems) == 1:
        raise UserInputError(problems[0])
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise UserInputError(f"{len(problems)} problems in migration files:\n{listing}")
    return found


def _scan(project: Project) -> tuple[list[MigrationFile], list[str]]:
    folder = project.migrations_dir
    if not folder.is_dir():
        return [], []
    found: dict[str, MigrationFile] = {}
    problems = []
    for path in sorted(folder.iterdir()):
        if not path.name.lower().endswith(".sql") or path.name.startswith("."):
            continue
        if not path.is_file():
            problems.append(f"{_shown(project, path)}: is not a file; remove it.")
            continue
        match = MIGRATION_NAME_RE.fullmatch(path.name)
        if not match:
            problems.append(
                f"{_shown(project, path)}: a migration is named NNNN_description.sql (four "
                "digits, an underscore, then lowercase letters, digits and underscores, e.g. "
                "0003_add_orders.sql); rename the file."
            )
            continue
        migration = MigrationFile(match.group(1), path)
        other = found.setdefault(migration.version, migration)
        if other is not migration:
            problems.append(
                f"{_shown(project, path)}: version {migration.version} is already used by "
                f"{other.name}; each migration needs its own number, so renumber one of them."
            )
    return sorted(found.values(), key=lambda m: m.version), problems
