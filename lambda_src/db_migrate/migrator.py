"""Migrations: the packaged `migrations/NNNN_description.sql` files against `schema_migrations`.

- Files run in version order, each in its own transaction together with its row in
  `public.schema_migrations` (version, name, checksum, applied_at): a file is applied
  entirely, recorded, or neither.
- A run holds a PostgreSQL advisory lock (`pg_try_advisory_lock(LOCK_KEY)`) for its whole
  length, so two runs never interleave; a second run at the same time is refused at once.
- A file applied earlier whose checksum (SHA-256 of its bytes) is no longer the recorded
  one, or a pending file older than the newest applied one, refuses the whole run before
  anything runs: applied history is never rewritten or filled in out of order.
- A failing file is rolled back alone (the files before it stay applied) and the run stops.

Expected failures are `Refused`, which the handler turns into an answer with an `error`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

FILE_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")
TABLE = "public.schema_migrations"
LOCK_KEY = int.from_bytes(b"deployer", "big")  # one advisory lock per database
# The time a statement leaves the run to record a failure and answer, before Lambda's own
# timeout would stop the function without an answer.
ANSWER_MARGIN_MS = 5_000

CREATE_TABLE = f"""
    CREATE TABLE IF NOT EXISTS {TABLE} (
        version    text PRIMARY KEY,
        name       text NOT NULL,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
    )
"""

logger = logging.getLogger("db_migrate")


@dataclass(frozen=True)
class Migration:
    """One packaged file."""

    version: str
    name: str  # the file name, e.g. 0001_customers.sql
    sql: str
    checksum: str

    def as_dict(self) -> dict:
        return {"version": self.version, "name": self.name, "checksum": self.checksum}


class Refused(Exception):
    """An expected failure: what kind, one sentence, and the file it concerns."""

    def __init__(self, kind: str, message: str, migration: Migration | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.migration = migration
        self.answer: dict | None = None  # what had happened when the run stopped

    def as_dict(self) -> dict:
        error = {"kind": self.kind, "message": self.message}
        if self.migration is not None:
            error.update(version=self.migration.version, name=self.migration.name)
        return error


def read_migrations(folder: Path) -> list[Migration]:
    """The `*.sql` files of `folder` (none when it is absent), checked, in version order."""
    if not folder.is_dir():
        return []
    found: dict[str, Migration] = {}
    for path in sorted(folder.glob("*.sql")):
        match = FILE_NAME.fullmatch(path.name)
        if not match:
            raise Refused(
                "invalid_migrations",
                f"{path.name} is not named NNNN_description.sql (four digits, an underscore, "
                "lowercase letters, digits and underscores).",
            )
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused("invalid_migrations", f"{path.name} is not UTF-8 text.") from None
        migration = Migration(match.group(1), path.name, text, hashlib.sha256(data).hexdigest())
        other = found.setdefault(migration.version, migration)
        if other is not migration:
            raise Refused(
                "invalid_migrations",
                f"{other.name} and {path.name} share version {migration.version}.",
                migration,
            )
    return sorted(found.values(), key=lambda m: m.version)


# --- what is applied -------------------------------------------------------------------------


def applied_rows(conn: psycopg.Connection) -> list[dict]:
    """The rows of schema_migrations in version order (none before the first run)."""
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (TABLE,)).fetchone()[0]
    if not exists:
        return []
    rows = conn.execute(
        f"SELECT version, name, checksum, applied_at FROM {TABLE} ORDER BY version"  # noqa: S608
    ).fetchall()
    return [
        {"version": v, "name": n, "checksum": c, "applied_at": at.isoformat()}
        for v, n, c, at in rows
    ]


def pending(migrations: list[Migration], applied: list[dict]) -> list[Migration]:
    """The files still to run; Refused when the applied history and the files disagree."""
    recorded = {row["version"]: row for row in applied}
    for migration in migrations:
        row = recorded.get(migration.version)
        if row is not None and row["checksum"] != migration.checksum:
            raise Refused(
                "checksum_mismatch",
                f"{migration.name} was changed after it was applied on "
                f"{row['applied_at']} (checksum {row['checksum'][:12]} recorded, "
                f"{migration.checksum[:12]} now).",
                migration,
            )
    todo = [m for m in migrations if m.version not in recorded]
    newest = max(recorded, default=None)
    if todo and newest is not None and todo[0].version < newest:
        raise Refused(
            "out_of_order",
            f"{todo[0].name} is older than {recorded[newest]['name']}, which is already "
            "applied: migrations run in version order only.",
            todo[0],
        )
    return todo


# --- a run -----------------------------------------------------------------------------------


def _sql_error(migration: Migration, exc: psycopg.Error) -> Refused:
    diag = exc.diag
    where = ""
    if diag.statement_position and diag.statement_position.isdigit():
        line = migration.sql[: int(diag.statement_position) - 1].count("\n") + 1
        where = f" at line {line}"
    reason = (diag.message_primary or str(exc)).strip()
    state = f" (SQLSTATE {diag.sqlstate})" if diag.sqlstate else ""
    return Refused(
        "sql_error",
        f"{migration.name} failed{where}: {reason}{state}; it was rolled back.",
        migration,
    )


def _apply(
    conn: psycopg.Connection, migration: Migration, remaining_ms: Callable[[], int | None]
) -> dict:
    left = remaining_ms()
    if left is not None and left <= ANSWER_MARGIN_MS:
        raise Refused(
            "timeout",
            f"{migration.name} was not started: the function's time was nearly up.",
            migration,
        )
    started = time.monotonic()
    try:
        with conn.transaction():
            if left is not None:
                # Cancelled by the server before Lambda would stop the function unanswered.
                conn.execute(
                    "SELECT set_config('statement_timeout', %s, true)",
                    (str(left - ANSWER_MARGIN_MS),),
                )
            if migration.sql.strip():
                conn.execute(migration.sql)
            conn.execute(
                f"INSERT INTO {TABLE} (version, name, checksum) VALUES (%s, %s, %s)",  # noqa: S608
                (migration.version, migration.name, migration.checksum),
            )
    except psycopg.Error as exc:
        if conn.closed or conn.broken:
            raise Refused(
                "connection",
                f"the connection to the database was lost during {migration.name}: "
                f"{str(exc).strip()}; it was rolled back.",
                migration,
            ) from None
        raise _sql_error(migration, exc) from None
    ms = int((time.monotonic() - started) * 1000)
    logger.info("applied %s in %d ms", migration.name, ms)
    return {**migration.as_dict(), "ms": ms}


def status(conn: psycopg.Connection, migrations: list[Migration]) -> dict:
    """What is applied and what is pending; reads only."""
    applied = applied_rows(conn)
    return _answer("status", migrations, applied, pending(migrations, applied), [])


def migrate(
    conn: psycopg.Connection,
    migrations: list[Migration],
    *,
    dry_run: bool = False,
    remaining_ms: Callable[[], int | None] = lambda: None,
    then: Callable[[psycopg.Connection], dict] | None = None,
) -> dict:
    """Apply the pending files in order (or, `dry_run`, only say which would run); then,
    still under the lock and only when every file applied, `then` (the application role),
    whose answer is the answer's `app_role`.

    A Refused raised once the run has begun carries the answer so far in `answer`.
    """
    if dry_run:
        applied = applied_rows(conn)
        todo = pending(migrations, applied)
        return _answer("migrate", migrations, applied, todo, [], dry_run=True)
    locked = conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]
    if not locked:
        raise Refused(
            "locked", "another migration holds the lock (pg_try_advisory_lock); nothing ran."
        )
    ran: list[dict] = []
    try:
        conn.execute(CREATE_TABLE)
        todo = pending(migrations, applied_rows(conn))
        for index, migration in enumerate(todo):
            try:
                ran.append(_apply(conn, migration, remaining_ms))
            except Refused as refused:
                usable = not (conn.closed or conn.broken)
                applied = applied_rows(conn) if usable else []
                refused.answer = _answer("migrate", migrations, applied, todo[index:], ran)
                raise
        extra = {}
        if then is not None:
            try:
                extra["app_role"] = then(conn)
            except Refused as refused:  # every file applied; the role step failed
                refused.answer = _answer("migrate", migrations, applied_rows(conn), [], ran)
                raise
    finally:
        if not (conn.closed or conn.broken):
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    applied = applied_rows(conn)
    return {**_answer("migrate", migrations, applied, pending(migrations, applied), ran), **extra}


def _answer(
    action: str,
    migrations: list[Migration],
    applied: list[dict],
    todo: list[Migration],
    ran: list[dict],
    *,
    dry_run: bool = False,
) -> dict:
    packaged = {m.version for m in migrations}
    return {
        "action": action,
        "dry_run": dry_run,
        "applied": [{**row, "in_package": row["version"] in packaged} for row in applied],
        "pending": [m.as_dict() for m in todo],
        "ran": ran,
        "files": [m.as_dict() for m in migrations],
    }
