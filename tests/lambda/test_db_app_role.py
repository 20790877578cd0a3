"""The application role that lambda_src/db_migrate keeps after the migrations: created with
its password in its own secret, granted the sample schema's tables and no more, kept in
step with the secret on every run. Real PostgreSQL (TLS), moto's Secrets Manager."""

from __future__ import annotations

import itertools
import json
import secrets
from pathlib import Path

import boto3
import psycopg
import pytest
from helpers.lambda_harness import FakeLambdaContext
from helpers.paths import REPO_ROOT
from moto import mock_aws
from psycopg import errors, sql

OWNER = "schema_owner"  # the master user's stand-in: it owns the database, may create roles
_databases = itertools.count()


@pytest.fixture(scope="module")
def owner_password(postgres_server) -> str:
    password = secrets.token_urlsafe(16)
    with psycopg.connect(postgres_server.admin_conninfo(), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (OWNER,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        admin.execute(
            sql.SQL(verb + " ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
                sql.Identifier(OWNER), sql.Literal(password)
            )
        )
    return password


class Setup:
    """One database, its owner's secret, an empty secret for the application role, and the
    migration handler pointed at them."""

    def __init__(self, server, name: str, app_user: str, app_secret: str, module) -> None:
        self.server = server
        self.name = name
        self.app_user = app_user
        self.app_secret = app_secret
        self.module = module

    def migrate(self) -> dict:
        answer = self.module.handler({"action": "migrate"}, FakeLambdaContext())
        json.dumps(answer)
        return answer

    def stored_login(self) -> dict:
        client = boto3.client("secretsmanager", region_name="eu-west-1")
        return json.loads(client.get_secret_value(SecretId=self.app_secret)["SecretString"])

    def as_app(self, password: str | None = None) -> psycopg.Connection:
        """A TLS connection as the application role, with the password the secret holds."""
        return psycopg.connect(
            host=self.server.host,
            port=self.server.port,
            dbname=self.name,
            user=self.app_user,
            password=password or self.stored_login()["password"],
            sslmode="require",
            autocommit=True,
        )

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.server.admin_conninfo(self.name), autocommit=True)


@pytest.fixture
def setup(postgres_server, owner_password, aws_fake_credentials, load_function, monkeypatch):
    number = next(_databases)
    name, app_user = f"app_role_{number}", f"app_{number}"
    with psycopg.connect(postgres_server.admin_conninfo(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"DROP ROLE IF EXISTS {app_user}")
        admin.execute(f"CREATE DATABASE {name} OWNER {OWNER}")
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="eu-west-1")
        master = client.create_secret(
            Name=f"rds!db-{name}",
            SecretString=json.dumps({"username": OWNER, "password": owner_password}),
        )["ARN"]
        # As modules/rds_postgres creates it: a secret with no value yet.
        app_secret = client.create_secret(Name=f"{name}-app-login")["ARN"]
        for key, value in {
            "DB_HOST": postgres_server.host,
            "DB_PORT": str(postgres_server.port),
            "DB_NAME": name,
            "DB_SECRET_ARN": master,
            "DB_APP_USER": app_user,
            "DB_APP_SECRET_ARN": app_secret,
            "MIGRATIONS_DIR": str(REPO_ROOT / "migrations"),
        }.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("DB_SSLMODE", raising=False)
        yield Setup(postgres_server, name, app_user, app_secret, load_function("db_migrate"))
    with psycopg.connect(postgres_server.admin_conninfo(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"DROP ROLE IF EXISTS {app_user}")


def test_the_first_run_creates_the_role_and_stores_its_login(setup):
    answer = setup.migrate()
    assert "error" not in answer, answer
    assert answer["app_role"] == {
        "name": setup.app_user,
        "created": True,
        "password_generated": True,
    }
    login = setup.stored_login()
    assert login["username"] == setup.app_user and len(login["password"]) >= 32
    assert login["password"] not in json.dumps(answer)
    with setup.admin() as admin:
        attributes = admin.execute(
            "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication, "
            "rolbypassrls FROM pg_roles WHERE rolname = %s",
            (setup.app_user,),
        ).fetchone()
    assert attributes == (True, False, False, False, False, False)


def test_the_role_reads_and_writes_the_sample_tables(setup):
    assert "error" not in setup.migrate()
    with setup.as_app() as app:
        assert app.execute("SELECT current_user").fetchone()[0] == setup.app_user
        app.execute("INSERT INTO customers VALUES ('c-9', 'Nine')")
        app.execute("INSERT INTO customer_options VALUES ('c-9', 'colour', 'red')")
        app.execute("UPDATE customer_options SET option_value = 'blue' WHERE customer_id = 'c-9'")
        options = app.execute(
            "SELECT option_name, option_value FROM customer_options WHERE customer_id = 'c-9'"
        ).fetchall()
        assert options == [("colour", "blue")]
        app.execute("DELETE FROM customers WHERE customer_id = 'c-9'")
        assert (
            app.execute("SELECT count(*) FROM customers WHERE customer_id = 'c-9'").fetchone()[0]
            == 0
        )


@pytest.mark.parametrize(
    "statement",
    [
        "DROP TABLE customer_options",
        "TRUNCATE customers",
        "ALTER TABLE customers ADD COLUMN extra text",
        "CREATE TABLE mine (id int)",
        "CREATE ROLE intruder LOGIN",
        "SELECT * FROM schema_migrations",
        "DELETE FROM schema_migrations",
    ],
)
def test_the_role_cannot_change_the_schema_create_roles_or_touch_the_migrations(setup, statement):
    assert "error" not in setup.migrate()
    with setup.as_app() as app, pytest.raises(errors.InsufficientPrivilege):
        app.execute(statement)


def test_a_second_run_keeps_the_password_and_grants_what_a_later_migration_creates(
    setup, tmp_path: Path, monkeypatch
):
    assert "error" not in setup.migrate()
    first = setup.stored_login()["password"]
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in (REPO_ROOT / "migrations").glob("*.sql"):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "0100_orders.sql").write_text(
        "CREATE TABLE orders (id bigserial PRIMARY KEY, note text);\n", encoding="utf-8"
    )
    monkeypatch.setenv("MIGRATIONS_DIR", str(folder))
    again = setup.migrate()
    assert "error" not in again, again
    assert again["app_role"] == {
        "name": setup.app_user,
        "created": False,
        "password_generated": False,
    }
    assert setup.stored_login()["password"] == first
    with setup.as_app(first) as app:  # the sequence too: bigserial needs USAGE on it
        app.execute("INSERT INTO orders (note) VALUES ('first')")
        assert app.execute("SELECT note FROM orders").fetchall() == [("first",)]


def test_the_role_follows_a_password_written_to_its_secret(setup):
    assert "error" not in setup.migrate()
    chosen = secrets.token_urlsafe(24)
    boto3.client("secretsmanager", region_name="eu-west-1").put_secret_value(
        SecretId=setup.app_secret,
        SecretString=json.dumps({"username": setup.app_user, "password": chosen}),
    )
    answer = setup.migrate()
    assert answer["app_role"]["password_generated"] is False
    with setup.as_app(chosen) as app:
        assert app.execute("SELECT 1").fetchone() == (1,)


def test_an_owner_that_may_not_create_roles_fails_the_role_step_only(setup, postgres_server):
    with psycopg.connect(postgres_server.admin_conninfo(), autocommit=True) as admin:
        admin.execute(f"ALTER ROLE {OWNER} NOCREATEROLE")
    try:
        answer = setup.migrate()
    finally:
        with psycopg.connect(postgres_server.admin_conninfo(), autocommit=True) as admin:
            admin.execute(f"ALTER ROLE {OWNER} CREATEROLE")
    assert answer["error"]["kind"] == "app_role"
    assert setup.app_user in answer["error"]["message"]
    assert "permission denied" in answer["error"]["message"]
    # The files ran, and stay applied: the role step comes after them.
    assert [m["name"] for m in answer["ran"]] == [
        "0001_customers.sql",
        "0002_sample_customers.sql",
    ]
    assert answer["pending"] == []


def test_a_role_of_that_name_with_superuser_is_refused_not_used(setup, postgres_server):
    with psycopg.connect(postgres_server.admin_conninfo(), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {setup.app_user} LOGIN SUPERUSER")
    answer = setup.migrate()
    assert answer["error"]["kind"] == "app_role"
    assert "SUPERUSER" in answer["error"]["message"]
    assert "drop or alter it by hand" in answer["error"]["message"]
