"""The environment's database: SQL migrations run by its migrate function (docs/database.md)."""

from __future__ import annotations

from deployer.database.migrations import (
    MigrationError,
    MigrationResult,
    migrate,
    migrate_after_apply,
    status,
)

__all__ = [
    "MigrationError",
    "MigrationResult",
    "migrate",
    "migrate_after_apply",
    "status",
]
