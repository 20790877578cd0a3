"""The database connection of one run, as the master user of the RDS-managed secret.

The root stack sets DB_HOST, DB_PORT, DB_NAME and DB_SECRET_ARN for a function with
`[access] database = true`; function.toml adds the TLS and timeout settings. Each run opens
one connection and closes it: migrations are rare, and a connection kept open by a warm
container would only hold a server slot (and, were it frozen mid-run, its locks).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass

import boto3
import psycopg
from botocore.config import Config

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# A session left idle inside a transaction (a container frozen mid-run) is ended by the
# server after this long, which releases its locks.
IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000


class SettingsError(RuntimeError):
    """A DB_* environment variable is missing or invalid, or the secret is not usable."""


@dataclass(frozen=True)
class DbSettings:
    """Where the database is and how to reach it."""

    host: str
    port: int
    dbname: str
    secret_arn: str
    sslmode: str = "require"
    sslrootcert: str | None = None
    connect_timeout_seconds: int = 10
    lock_timeout_ms: int = 10_000

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DbSettings:
        """Read the DB_* variables; a SettingsError names what is missing or wrong."""
        missing = [n for n in ("DB_HOST", "DB_NAME", "DB_SECRET_ARN") if not env.get(n)]
        if missing:
            raise SettingsError(
                f"{', '.join(missing)} not set: the environment has no database, or the "
                "function lacks [access] database = true."
            )
        sslmode = env.get("DB_SSLMODE") or "require"
        if sslmode not in SSL_MODES:
            raise SettingsError(f"DB_SSLMODE must be one of {', '.join(SSL_MODES)}.")
        return cls(
            host=env["DB_HOST"],
            port=_int(env, "DB_PORT", 5432),
            dbname=env["DB_NAME"],
            secret_arn=env["DB_SECRET_ARN"],
            sslmode=sslmode,
            sslrootcert=env.get("DB_SSLROOTCERT") or None,
            connect_timeout_seconds=_int(env, "DB_CONNECT_TIMEOUT_SECONDS", 10),
            lock_timeout_ms=_int(env, "DB_LOCK_TIMEOUT_MS", 10_000),
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not raw.isdigit():
        raise SettingsError(f"{name} must be a whole number, not {raw!r}.")
    return int(raw)


def read_secret(secret_arn: str) -> tuple[str, str]:
    """(username, password) from the secret: JSON with `username` and `password`."""
    secrets = boto3.client(
        "secretsmanager",
        config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 3}),
    )
    value = secrets.get_secret_value(SecretId=secret_arn)
    try:
        secret = json.loads(value.get("SecretString") or "")
    except ValueError:
        secret = None
    if not (
        isinstance(secret, dict)
        and isinstance(secret.get("username"), str)
        and isinstance(secret.get("password"), str)
    ):
        raise SettingsError(f"The secret {secret_arn} is not JSON with username and password.")
    return secret["username"], secret["password"]


def connect(settings: DbSettings) -> psycopg.Connection:
    """A new connection; transactions are opened explicitly, one per migration file."""
    username, password = read_secret(settings.secret_arn)
    extra = {"sslrootcert": settings.sslrootcert} if settings.sslrootcert else {}
    options = (
        f"-c lock_timeout={settings.lock_timeout_ms} "
        f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_TIMEOUT_MS}"
    )
    return psycopg.connect(
        host=settings.host,
        port=settings.port,
        dbname=settings.dbname,
        user=username,
        password=password,
        sslmode=settings.sslmode,
        connect_timeout=settings.connect_timeout_seconds,
        application_name=os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "db_migrate"),
        options=options,
        autocommit=True,
        **extra,
    )
