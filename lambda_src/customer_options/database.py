"""One PostgreSQL connection per container, with credentials from the RDS-managed secret.

- The secret (JSON with `username` and `password`) is read through Powertools' parameters
  utility and cached for DB_SECRET_TTL_SECONDS; when a connection attempt fails, it is
  read again once, and if the password changed (rotation) the attempt is repeated.
- The connection is opened on first use and reused by warm invocations; when the server
  has dropped it (restart, failover, idle kill), the query is retried once on a new one.
- TLS: sslmode defaults to `require`; DB_SSLMODE / DB_SSLROOTCERT select `verify-full`
  with the RDS CA bundle.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from botocore.config import Config

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")

logger = Logger(service="customer_options", child=True)


class DatabaseConfigError(RuntimeError):
    """A DB_* environment variable is missing or invalid."""


@dataclass(frozen=True)
class DbSettings:
    """Where the database is and how to talk to it (environment set by the root stack)."""

    host: str
    port: int
    dbname: str
    secret_arn: str
    sslmode: str = "require"
    sslrootcert: str | None = None
    connect_timeout_seconds: int = 5
    statement_timeout_ms: int = 5000
    secret_ttl_seconds: int = 300

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DbSettings:
        """Read DB_HOST, DB_PORT, DB_NAME, DB_SECRET_ARN and the optional tuning variables."""
        missing = [n for n in ("DB_HOST", "DB_NAME", "DB_SECRET_ARN") if not env.get(n)]
        if missing:
            raise DatabaseConfigError(
                f"{', '.join(missing)} not set: the function needs [access] database = true."
            )
        sslmode = env.get("DB_SSLMODE", "require")
        if sslmode not in SSL_MODES:
            raise DatabaseConfigError(f"DB_SSLMODE must be one of {', '.join(SSL_MODES)}.")
        return cls(
            host=env["DB_HOST"],
            port=_int(env, "DB_PORT", 5432),
            dbname=env["DB_NAME"],
            secret_arn=env["DB_SECRET_ARN"],
            sslmode=sslmode,
            sslrootcert=env.get("DB_SSLROOTCERT") or None,
            connect_timeout_seconds=_int(env, "DB_CONNECT_TIMEOUT_SECONDS", 5),
            statement_timeout_ms=_int(env, "DB_STATEMENT_TIMEOUT_MS", 5000),
            secret_ttl_seconds=_int(env, "DB_SECRET_TTL_SECONDS", 300),
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not raw.isdigit():
        raise DatabaseConfigError(f"{name} must be a whole number, not {raw!r}.")
    return int(raw)


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str


class Database:
    """The container's database connection, opened lazily and reopened when it drops."""

    def __init__(self, settings: DbSettings, secrets: SecretsProvider | None = None) -> None:
        self._settings = settings
        self._secrets = secrets or SecretsProvider(
            boto_config=Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 2})
        )
        self._conn: psycopg.Connection | None = None

    def query(self, sql: str, params: Sequence[Any]) -> list[tuple]:
        """Run one read-only, parameterised query and return its rows."""
        conn, fresh = self._connection()
        try:
            return conn.execute(sql, params).fetchall()
        except psycopg.OperationalError:
            # Only a connection the server dropped is worth a second try; a failing query is not.
            if fresh or not (conn.broken or conn.closed):
                raise
            logger.warning("Database connection was dropped; reconnecting")
            self.close()
            conn, _ = self._connection()
            return conn.execute(sql, params).fetchall()

    def close(self) -> None:
        """Close the connection (the next query opens a new one)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> tuple[psycopg.Connection, bool]:
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return self._conn, False
        self.close()
        credentials = self._credentials(refresh=False)
        try:
            conn = self._connect(credentials)
        except psycopg.OperationalError:
            # libpq reports no SQLSTATE for a failed login, so compare secrets instead: a
            # rotated password is retried once, anything else (server down) is not.
            current = self._credentials(refresh=True)
            if current == credentials:
                raise
            logger.info("Database secret changed since it was cached; reconnecting")
            conn = self._connect(current)
        self._conn = conn
        return conn, True

    def _credentials(self, *, refresh: bool) -> Credentials:
        secret = self._secrets.get(
            self._settings.secret_arn,
            transform="json",
            max_age=self._settings.secret_ttl_seconds,
            force_fetch=refresh,
        )
        if not (
            isinstance(secret, dict)
            and isinstance(secret.get("username"), str)
            and isinstance(secret.get("password"), str)
        ):
            raise DatabaseConfigError("The DB secret is not JSON with username and password.")
        return Credentials(secret["username"], secret["password"])

    def _connect(self, credentials: Credentials) -> psycopg.Connection:
        s = self._settings
        extra = {"sslrootcert": s.sslrootcert} if s.sslrootcert else {}
        return psycopg.connect(
            host=s.host,
            port=s.port,
            dbname=s.dbname,
            user=credentials.username,
            password=credentials.password,
            sslmode=s.sslmode,
            connect_timeout=s.connect_timeout_seconds,
            application_name=os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "customer_options"),
            options=f"-c statement_timeout={s.statement_timeout_ms}",
            # Single reads: no transaction left open between invocations.
            autocommit=True,
            **extra,
        )
