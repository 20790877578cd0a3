"""The environment's database migrations, run inside its VPC (docs/database.md).

Invoked by the deployer (`deployer db migrate|status ENV`) with the Lambda Invoke API:

    {"action": "status"}
    {"action": "migrate", "dry_run": false}

It answers JSON: `applied` (version, name, checksum, applied_at, in_package), `pending`
and `files` (version, name, checksum), `ran` (what this run applied, with `ms`), and on
an expected failure `error`: {"kind", "message", "version", "name"}, kind one of
bad_request, invalid_migrations, config, secret, connection, locked, checksum_mismatch,
out_of_order, sql_error, timeout, app_role. Anything else raises: Lambda's own error answer.

After the files, when the stack sets DB_APP_USER and DB_APP_SECRET_ARN, the run keeps the
application role the other functions log in as (app_role.py); the answer's `app_role`
says what it did (name, created, password_generated; never the password).

The SQL files are the project's migrations folder, copied into this package under
`migrations/` by `deployer package` (MIGRATIONS_DIR overrides where they are read from).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import psycopg
from botocore.exceptions import BotoCoreError, ClientError

from app_role import RoleError, ensure_app_role
from connection import DbSettings, SettingsError, connect
from migrator import Refused, migrate, read_migrations, status

ACTIONS = ("status", "migrate")
PACKAGED_MIGRATIONS = Path(__file__).resolve().parent / "migrations"

logging.getLogger().setLevel(os.environ.get("LOG_LEVEL", "INFO"))
logger = logging.getLogger("db_migrate")


def _request(event: Any) -> tuple[str, bool]:
    if not isinstance(event, dict):
        raise Refused("bad_request", 'the event must be a JSON object: {"action": "status"}.')
    action = event.get("action", "status")
    dry_run = event.get("dry_run", False)
    if action not in ACTIONS:
        raise Refused(
            "bad_request", f"action {action!r} is not known; use one of: {', '.join(ACTIONS)}."
        )
    if not isinstance(dry_run, bool):
        raise Refused("bad_request", "dry_run must be true or false.")
    return action, dry_run


def _remaining(context: Any):
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining if callable(remaining) else (lambda: None)


def _run(action: str, dry_run: bool, context: Any) -> dict:
    folder = Path(os.environ.get("MIGRATIONS_DIR") or PACKAGED_MIGRATIONS)
    migrations = read_migrations(folder)
    try:
        conn = _connect()
        with conn:
            if action == "status":
                return status(conn, migrations)
            return migrate(
                conn,
                migrations,
                dry_run=dry_run,
                remaining_ms=_remaining(context),
                then=_app_role(),
            )
    except Refused as refused:
        if refused.answer is None:  # refused before anything ran: what the package holds
            refused.answer = {"files": [m.as_dict() for m in migrations]}
        raise


def _app_role():
    """What keeps the application role after the files, when the stack names one."""
    username = os.environ.get("DB_APP_USER")
    secret_arn = os.environ.get("DB_APP_SECRET_ARN")
    if not (username and secret_arn):
        return None

    def keep(conn: psycopg.Connection) -> dict:
        try:
            return ensure_app_role(conn, username, secret_arn)
        except (RoleError, ClientError, BotoCoreError) as exc:
            raise Refused("app_role", str(exc)) from None

    return keep


def _connect() -> psycopg.Connection:
    try:
        settings = DbSettings.from_env(os.environ)
    except SettingsError as exc:
        raise Refused("config", str(exc)) from None
    try:
        return connect(settings)
    except SettingsError as exc:
        raise Refused("secret", str(exc)) from None
    except (ClientError, BotoCoreError) as exc:
        raise Refused("secret", f"the database secret could not be read: {exc}.") from None
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).split())
        raise Refused(
            "connection",
            f"could not connect to {settings.host}:{settings.port}/{settings.dbname}: {reason}",
        ) from None


def handler(event: Any, context: Any) -> dict:
    """Lambda entry point: the answer, or an answer with `error` for an expected failure."""
    action, dry_run = "status", False
    try:
        action, dry_run = _request(event)
        return _run(action, dry_run, context)
    except Refused as refused:
        logger.warning("%s: %s", refused.kind, refused.message)
        answer = {
            "action": action,
            "dry_run": dry_run,
            "applied": [],
            "pending": [],
            "ran": [],
            "files": [],
            **(refused.answer or {}),
        }
        answer["error"] = refused.as_dict()
        return answer
