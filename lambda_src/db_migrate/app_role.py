"""The application's own login role, kept by the migration function (docs/database.md).

The functions with `[access] database = true` log in as this role, never as the master
user. After the migrations of a run, under the same advisory lock, the migration function:

- reads the role's secret (DB_APP_SECRET_ARN, created empty by modules/rds_postgres); when
  it has no value yet, or names another user, generates a password and stores
  `{"username", "password"}` there first, so the secret is never behind the database;
- creates the role if it is missing, and (re)sets its password to the secret's, so the two
  always agree after a run: NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
- grants it what the application needs and nothing more: CONNECT on the database, USAGE on
  the public schema, SELECT/INSERT/UPDATE/DELETE on its tables, USAGE/SELECT on its
  sequences, and the same by default on what later migrations create. It owns nothing, so
  it can drop, alter or truncate no table, and it never sees `schema_migrations`.
"""

from __future__ import annotations

import json
import secrets

import boto3
import psycopg
from botocore.config import Config
from botocore.exceptions import ClientError
from psycopg import sql

ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT"
# What a role holding CREATEROLE (RDS's master user is no superuser) may alter: the others
# need superuser even to turn off, and only CREATE sets them.
ALTERABLE = "LOGIN NOCREATEDB NOCREATEROLE NOINHERIT"
TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
SEQUENCE_PRIVILEGES = "USAGE, SELECT"
MIGRATIONS_TABLE = "public.schema_migrations"


class RoleError(RuntimeError):
    """The role's secret could not be read or written, or the role could not be kept."""


def _secrets_client():
    return boto3.client(
        "secretsmanager",
        config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 3}),
    )


def _login(client, secret_arn: str, username: str) -> tuple[str, bool]:
    """The role's password from its secret, writing a new one when it has none (or names
    another user); True when the password was generated now."""
    try:
        value = client.get_secret_value(SecretId=secret_arn).get("SecretString") or ""
        current = json.loads(value) if value else {}
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise RoleError(
                f"the application role's secret {secret_arn} could not be read: {exc}."
            ) from None
        current = {}  # created without a value: nothing stored yet
    except ValueError:
        current = {}
    password = current.get("password") if isinstance(current, dict) else None
    if isinstance(password, str) and password and current.get("username") == username:
        return password, False
    password = secrets.token_urlsafe(32)
    try:
        client.put_secret_value(
            SecretId=secret_arn,
            SecretString=json.dumps({"username": username, "password": password}),
        )
    except ClientError as exc:
        raise RoleError(
            f"the application role's secret {secret_arn} could not be written: {exc}."
        ) from None
    return password, True


def ensure_app_role(conn: psycopg.Connection, username: str, secret_arn: str) -> dict:
    """Create or update the role and its grants; what was done, without the password."""
    password, generated = _login(_secrets_client(), secret_arn, username)
    role = sql.Identifier(username)
    try:
        with conn.transaction():
            exists = conn.execute(
                "SELECT rolsuper, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = %s",
                (username,),
            ).fetchone()
            if exists and any(exists):
                raise RoleError(
                    f"the application role {username} exists with SUPERUSER, REPLICATION or "
                    "BYPASSRLS, which only a superuser can take away: drop or alter it by hand."
                )
            verb, attributes = ("ALTER", ALTERABLE) if exists else ("CREATE", ATTRIBUTES)
            conn.execute(
                sql.SQL(f"{verb} ROLE {{}} WITH {attributes} PASSWORD {{}}").format(
                    role, sql.Literal(password)
                )
            )
            database = conn.execute("SELECT current_database()").fetchone()[0]
            for statement in (
                "GRANT CONNECT ON DATABASE {db} TO {role}",
                "GRANT USAGE ON SCHEMA public TO {role}",
                f"GRANT {TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA public TO {{role}}",
                f"GRANT {SEQUENCE_PRIVILEGES} ON ALL SEQUENCES IN SCHEMA public TO {{role}}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {TABLE_PRIVILEGES} "
                "ON TABLES TO {role}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {SEQUENCE_PRIVILEGES} "
                "ON SEQUENCES TO {role}",
                f"REVOKE ALL ON {MIGRATIONS_TABLE} FROM {{role}}",
            ):
                conn.execute(sql.SQL(statement).format(db=sql.Identifier(database), role=role))
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())
        raise RoleError(f"the application role {username} could not be kept: {reason}") from None
    return {"name": username, "created": not exists, "password_generated": generated}
