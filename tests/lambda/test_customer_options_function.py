"""lambda_src/customer_options against a real PostgreSQL (TLS) and moto's Secrets Manager."""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Iterator

import boto3
import psycopg
import pytest
from helpers.lambda_harness import http_event
from helpers.paths import REPO_ROOT
from moto import mock_aws
from psycopg import sql

APP_USER = "options_app"
DB_NAME = "options"
ROUTE = "GET /customers/{id}/options"


@pytest.fixture(scope="module")
def options_db(postgres_server):
    """The function's schema (migration 0001) with two customers, one without options."""
    with psycopg.connect(postgres_server.admin_conninfo(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        admin.execute(f"DROP ROLE IF EXISTS {APP_USER}")
        admin.execute(f"CREATE ROLE {APP_USER} LOGIN")
        admin.execute(f"CREATE DATABASE {DB_NAME} OWNER {APP_USER}")
    schema = (REPO_ROOT / "migrations" / "0001_customers.sql").read_text(encoding="utf-8")
    with psycopg.connect(postgres_server.admin_conninfo(DB_NAME), autocommit=True) as db:
        db.execute(schema)
        db.execute(schema)  # idempotent, as documented
        db.execute(f"ALTER TABLE customers OWNER TO {APP_USER}")
        db.execute(f"ALTER TABLE customer_options OWNER TO {APP_USER}")
        db.execute("INSERT INTO customers VALUES ('acme', 'ACME'), ('empty-co', 'Empty Co')")
        db.execute(
            "INSERT INTO customer_options VALUES "
            "('acme', 'discount', '0.1'), ('acme', 'currency', 'EUR'), ('acme', 'region', 'EU')"
        )
    return postgres_server


def _admin(server) -> psycopg.Connection:
    return psycopg.connect(server.admin_conninfo(), autocommit=True)


def app_backends(server) -> list[tuple[int, bool]]:
    """(pid, uses TLS) of every server session of the function's database user."""
    with _admin(server) as admin:
        return admin.execute(
            "SELECT a.pid, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) "
            "WHERE a.usename = %s ORDER BY a.pid",
            (APP_USER,),
        ).fetchall()


def set_password(server, password: str) -> None:
    with _admin(server) as admin:
        admin.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(APP_USER), sql.Literal(password)
            )
        )


def terminate_app_backends(server) -> None:
    with _admin(server) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
            (APP_USER,),
        )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OptionsApi:
    """Calls the handler like API Gateway; imports it lazily, inside the test (see items)."""

    def __init__(self, load, context) -> None:
        self._load = load
        self.module = None
        self.context = context

    def call(self, method: str, path: str):
        if self.module is None:
            self.module = self._load("customer_options")
        response = self.module.handler(http_event(method, path, route_key=ROUTE), self.context)
        return response["statusCode"], json.loads(response["body"])

    def options(self, customer_id: str):
        return self.call("GET", f"/customers/{customer_id}/options")


@pytest.fixture
def secrets_manager(aws_fake_credentials) -> Iterator:
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="eu-west-1")


@pytest.fixture
def db_secret(options_db, secrets_manager) -> dict:
    """A fresh password for the app user, stored like RDS stores its managed master secret."""
    password = secrets.token_urlsafe(16)
    set_password(options_db, password)
    arn = secrets_manager.create_secret(
        Name="rds!db-test",
        SecretString=json.dumps({"username": APP_USER, "password": password}),
    )["ARN"]
    return {"arn": arn, "password": password}


@pytest.fixture
def api(options_db, db_secret, load_function, lambda_context, monkeypatch) -> Iterator[OptionsApi]:
    monkeypatch.setenv("DB_HOST", options_db.host)
    monkeypatch.setenv("DB_PORT", str(options_db.port))
    monkeypatch.setenv("DB_NAME", DB_NAME)
    monkeypatch.setenv("DB_SECRET_ARN", db_secret["arn"])
    monkeypatch.delenv("DB_SSLMODE", raising=False)  # the default, `require`, is under test
    client = OptionsApi(load_function, lambda_context)
    yield client
    if client.module is not None and client.module._database is not None:
        client.module._database.close()
    terminate_app_backends(options_db)


def test_a_known_customer_gets_its_options(api):
    status, body = api.options("acme")
    assert status == 200
    assert body == {
        "customer_id": "acme",
        "options": {"currency": "EUR", "discount": "0.1", "region": "EU"},
    }


def test_a_customer_without_options_gets_an_empty_set(api):
    assert api.options("empty-co") == (200, {"customer_id": "empty-co", "options": {}})


@pytest.mark.parametrize(
    "customer_id", ["nobody", "acme' OR '1'='1", "ACME", "x" * 65, "acme;DROP TABLE customers"]
)
def test_an_unknown_customer_is_404(api, customer_id):
    assert api.options(customer_id) == (404, {"message": "Customer not found"})
    assert api.options("acme")[0] == 200  # and nothing was damaged


def test_the_connection_uses_tls_and_is_reused_across_invocations(api, options_db):
    api.options("acme")
    first = app_backends(options_db)
    assert len(first) == 1
    assert first[0][1] is True  # sslmode=require: TLS, on a server that also refuses plain TCP
    for _ in range(3):
        assert api.options("acme")[0] == 200
    assert app_backends(options_db) == first


def test_a_dropped_connection_is_reopened_by_the_next_invocation(api, options_db):
    assert api.options("acme")[0] == 200
    ((old_pid, _),) = app_backends(options_db)
    terminate_app_backends(options_db)
    status, body = api.options("acme")
    assert status == 200
    assert body["options"]["currency"] == "EUR"
    ((new_pid, ssl),) = app_backends(options_db)
    assert new_pid != old_pid
    assert ssl is True


def test_the_secret_is_cached_across_warm_invocations(api, options_db, db_secret, secrets_manager):
    assert api.options("acme")[0] == 200
    # Were the secret read again, the next connection would fail with this password.
    secrets_manager.put_secret_value(
        SecretId=db_secret["arn"],
        SecretString=json.dumps({"username": APP_USER, "password": "not-the-password"}),
    )
    terminate_app_backends(options_db)  # force a new connection: it must use the cached secret
    assert api.options("acme")[0] == 200


def test_a_rotated_password_is_picked_up_on_the_failed_login(
    api, options_db, db_secret, secrets_manager
):
    assert api.options("acme")[0] == 200
    rotated = secrets.token_urlsafe(16)
    set_password(options_db, rotated)
    secrets_manager.put_secret_value(
        SecretId=db_secret["arn"],
        SecretString=json.dumps({"username": APP_USER, "password": rotated}),
    )
    terminate_app_backends(options_db)
    assert api.options("acme")[0] == 200


def test_verify_full_with_the_servers_ca_works(api, options_db, monkeypatch):
    monkeypatch.setenv("DB_SSLMODE", "verify-full")
    monkeypatch.setenv("DB_SSLROOTCERT", str(options_db.ca_file))
    assert api.options("acme")[0] == 200
    assert app_backends(options_db)[0][1] is True


def test_verify_full_refuses_a_server_it_cannot_verify(api, options_db, monkeypatch, tmp_path):
    from helpers.postgres_server import _self_signed_cert

    other_ca = tmp_path / "other-ca.crt"
    other_ca.write_bytes(_self_signed_cert()[0])
    monkeypatch.setenv("DB_SSLMODE", "verify-full")
    monkeypatch.setenv("DB_SSLROOTCERT", str(other_ca))
    assert api.options("acme") == (500, {"message": "Internal server error"})
    assert app_backends(options_db) == []


def test_an_unreachable_database_is_a_generic_500(api, monkeypatch, capsys):
    monkeypatch.setenv("DB_PORT", str(_closed_port()))
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_SECONDS", "2")
    status, body = api.options("acme")
    assert (status, body) == (500, {"message": "Internal server error"})
    log = capsys.readouterr().out
    assert "OperationalError" in log
    assert "Traceback" in log


def test_a_missing_secret_is_a_generic_500(api, monkeypatch, capsys):
    monkeypatch.setenv(
        "DB_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!nope-AbCdEf"
    )
    assert api.options("acme") == (500, {"message": "Internal server error"})
    assert "ResourceNotFoundException" in capsys.readouterr().out


def test_missing_database_settings_are_a_generic_500(api, monkeypatch, capsys):
    monkeypatch.delenv("DB_HOST")
    assert api.options("acme") == (500, {"message": "Internal server error"})
    assert "DB_HOST" in capsys.readouterr().out


def test_other_methods_are_405(api):
    assert api.call("POST", "/customers/acme/options") == (405, {"message": "Method not allowed"})
