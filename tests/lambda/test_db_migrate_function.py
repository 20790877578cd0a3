"""lambda_src/db_migrate in-process against a real PostgreSQL (TLS) and moto's Secrets Manager:
order, records and checksums, refusals, per-file rollback, dry runs and the advisory lock."""

from __future__ import annotations

import hashlib
import itertools
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import boto3
import psycopg
import pytest
from helpers.lambda_harness import FakeLambdaContext
from moto import mock_aws
from psycopg import sql

USER = "migrator"
LOCK_KEY = int.from_bytes(b"deployer", "big")  # the function's advisory lock (docs/database.md)
_databases = itertools.count()


@dataclass
class SlowContext(FakeLambdaContext):
    """A context with the time a 300 s function has left at its start."""

    remaining_ms: int = 290_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture(scope="module")
def role(postgres_server) -> str:
    """The login role the secret names (as RDS's master user, it owns the database)."""
    password = secrets.token_urlsafe(16)
    with psycopg.connect(postgres_server.admin_conninfo(), autocommit=True) as admin:
        admin.execute(f"DROP ROLE IF EXISTS {USER}")
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(USER), sql.Literal(password)
            )
        )
    return password


class Database:
    """One fresh database for one test, and the handler pointed at it."""

    def __init__(self, server, name: str, folder: Path, module) -> None:
        self.server = server
        self.name = name
        self.folder = folder
        self.module = module

    def write(self, filename: str, text: str) -> Path:
        path = self.folder / filename
        path.write_text(text, encoding="utf-8")
        return path

    def call(self, event: dict, context=None) -> dict:
        answer = self.module.handler(event, context or SlowContext())
        json.dumps(answer)  # what Lambda sends back must be JSON
        return answer

    def migrate(self, **event) -> dict:
        return self.call({"action": "migrate", **event})

    def status(self) -> dict:
        return self.call({"action": "status"})

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(self.server.admin_conninfo(self.name), autocommit=True)

    def query(self, text: str, params=()) -> list[tuple]:
        with self.admin() as conn:
            return conn.execute(text, params).fetchall()

    def records(self) -> list[tuple]:
        return self.query("SELECT version, name, checksum FROM schema_migrations ORDER BY 1")

    def tables(self) -> set[str]:
        rows = self.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {name for (name,) in rows}


@pytest.fixture
def db(postgres_server, role, aws_fake_credentials, load_function, monkeypatch, tmp_path):
    name = f"migrations_{next(_databases)}"
    with psycopg.connect(postgres_server.admin_conninfo(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name} OWNER {USER}")
    folder = tmp_path / "migrations"
    folder.mkdir()
    with mock_aws():
        arn = boto3.client("secretsmanager", region_name="eu-west-1").create_secret(
            Name=f"rds!db-{name}", SecretString=json.dumps({"username": USER, "password": role})
        )["ARN"]
        for key, value in {
            "DB_HOST": postgres_server.host,
            "DB_PORT": str(postgres_server.port),
            "DB_NAME": name,
            "DB_SECRET_ARN": arn,
            "MIGRATIONS_DIR": str(folder),
        }.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("DB_SSLMODE", raising=False)  # the default, require
        yield Database(postgres_server, name, folder, load_function("db_migrate"))


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def names(entries: list[dict]) -> list[str]:
    return [e["name"] for e in entries]


# --- applying --------------------------------------------------------------------------------


def test_pending_files_run_in_version_order_and_are_recorded(db):
    # Written out of order: 0002 needs 0001's table, 0003 holds a literal %.
    second = db.write("0002_prices.sql", "ALTER TABLE items ADD COLUMN price numeric;\n")
    first = db.write("0001_items.sql", "CREATE TABLE items (id int PRIMARY KEY);\n")
    third = db.write(
        "0003_seed.sql", "INSERT INTO items VALUES (1, 0.5);\nCOMMENT ON TABLE items IS '100%';\n"
    )
    answer = db.migrate()
    assert "error" not in answer
    assert names(answer["ran"]) == ["0001_items.sql", "0002_prices.sql", "0003_seed.sql"]
    assert answer["pending"] == []
    assert db.records() == [
        ("0001", "0001_items.sql", checksum(first)),
        ("0002", "0002_prices.sql", checksum(second)),
        ("0003", "0003_seed.sql", checksum(third)),
    ]
    assert [row["version"] for row in answer["applied"]] == ["0001", "0002", "0003"]
    assert all(row["applied_at"] and row["in_package"] for row in answer["applied"])
    assert db.query("SELECT id, price FROM items") == [(1, pytest.approx(0.5))]


def test_a_second_run_applies_nothing(db):
    db.write("0001_items.sql", "CREATE TABLE items (id int);\n")
    assert names(db.migrate()["ran"]) == ["0001_items.sql"]
    again = db.migrate()
    assert "error" not in again
    assert again["ran"] == [] and again["pending"] == []
    assert len(db.records()) == 1


def test_status_lists_applied_and_pending_and_writes_nothing(db):
    db.write("0001_items.sql", "CREATE TABLE items (id int);\n")
    db.write("0002_more.sql", "CREATE TABLE more (id int);\n")
    fresh = db.status()
    assert fresh["applied"] == [] and names(fresh["pending"]) == ["0001_items.sql", "0002_more.sql"]
    assert db.tables() == set()  # not even schema_migrations
    db.migrate()
    db.write("0003_last.sql", "CREATE TABLE last (id int);\n")
    later = db.status()
    assert names(later["applied"]) == ["0001_items.sql", "0002_more.sql"]
    assert names(later["pending"]) == ["0003_last.sql"]
    assert names(later["files"]) == ["0001_items.sql", "0002_more.sql", "0003_last.sql"]


def test_a_dry_run_lists_what_would_run_and_changes_nothing(db):
    db.write("0001_items.sql", "CREATE TABLE items (id int);\n")
    answer = db.migrate(dry_run=True)
    assert answer["dry_run"] is True and "error" not in answer
    assert names(answer["pending"]) == ["0001_items.sql"] and answer["ran"] == []
    assert db.tables() == set()


# --- refusing --------------------------------------------------------------------------------


def test_a_changed_applied_file_refuses_the_whole_run(db):
    first = db.write("0001_items.sql", "CREATE TABLE items (id int);\n")
    db.migrate()
    first.write_text("CREATE TABLE items (id bigint);\n", encoding="utf-8")
    db.write("0002_more.sql", "CREATE TABLE more (id int);\n")
    for answer in (db.migrate(), db.migrate(dry_run=True), db.status()):
        error = answer["error"]
        assert error["kind"] == "checksum_mismatch"
        assert error["name"] == "0001_items.sql" and error["version"] == "0001"
        assert "0001_items.sql was changed after it was applied" in error["message"]
        assert answer["ran"] == []
    assert db.tables() == {"items", "schema_migrations"}  # 0002 never ran


def test_a_file_older_than_the_newest_applied_one_is_refused(db):
    db.write("0001_items.sql", "CREATE TABLE items (id int);\n")
    db.write("0003_last.sql", "CREATE TABLE last (id int);\n")
    db.migrate()
    db.write("0002_late.sql", "CREATE TABLE late (id int);\n")
    error = db.migrate()["error"]
    assert error["kind"] == "out_of_order" and error["name"] == "0002_late.sql"
    assert "late" not in db.tables()


def test_a_failing_file_is_rolled_back_alone_and_the_run_stops(db):
    db.write("0001_items.sql", "CREATE TABLE items (id int);\n")
    broken = db.write(
        "0002_broken.sql", "CREATE TABLE half (id int);\n\nINSERT INTO nowhere VALUES (1);\n"
    )
    db.write("0003_after.sql", "CREATE TABLE after (id int);\n")
    answer = db.migrate()
    error = answer["error"]
    assert error["kind"] == "sql_error" and error["name"] == "0002_broken.sql"
    message = error["message"]
    assert "at line 3" in message and 'relation "nowhere" does not exist' in message
    assert "42P01" in message and "rolled back" in message
    assert names(answer["ran"]) == ["0001_items.sql"]
    assert names(answer["pending"]) == ["0002_broken.sql", "0003_after.sql"]
    assert db.tables() == {"items", "schema_migrations"}  # no `half`, no `after`
    assert [r[0] for r in db.records()] == ["0001"]
    # Fixed, the next run picks up where this one stopped.
    broken.write_text("CREATE TABLE half (id int);\n", encoding="utf-8")
    assert names(db.migrate()["ran"]) == ["0002_broken.sql", "0003_after.sql"]


def test_a_statement_is_cancelled_before_the_functions_time_runs_out(db):
    db.write("0001_slow.sql", "CREATE TABLE slow (id int);\nSELECT pg_sleep(5);\n")
    answer = db.call({"action": "migrate"}, SlowContext(remaining_ms=6_500))
    error = answer["error"]
    assert error["kind"] == "sql_error" and "statement timeout" in error["message"]
    assert "slow" not in db.tables()
    nearly_over = db.call({"action": "migrate"}, SlowContext(remaining_ms=4_000))
    assert nearly_over["error"]["kind"] == "timeout" and nearly_over["ran"] == []


def test_bad_file_names_and_bad_requests_are_answers_not_exceptions(db):
    assert db.call({"action": "drop"})["error"]["kind"] == "bad_request"
    assert db.call({"action": "migrate", "dry_run": "yes"})["error"]["kind"] == "bad_request"
    db.write("1_Items.sql", "SELECT 1;\n")
    error = db.migrate()["error"]
    assert error["kind"] == "invalid_migrations" and "1_Items.sql" in error["message"]
    (db.folder / "1_Items.sql").unlink()
    db.write("0001_a.sql", "SELECT 1;\n")
    db.write("0001_b.sql", "SELECT 1;\n")
    error = db.migrate()["error"]
    assert error["kind"] == "invalid_migrations" and "share version 0001" in error["message"]


def test_an_unreachable_database_or_missing_settings_are_answers(db, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    monkeypatch.setenv("DB_PORT", str(closed))
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_SECONDS", "2")
    db.write("0001_items.sql", "SELECT 1;\n")
    answer = db.status()
    assert answer["error"]["kind"] == "connection"
    assert names(answer["files"]) == ["0001_items.sql"]
    monkeypatch.delenv("DB_SECRET_ARN")
    error = db.migrate()["error"]
    assert error["kind"] == "config" and "DB_SECRET_ARN" in error["message"]


# --- the lock --------------------------------------------------------------------------------


def test_a_run_is_refused_while_another_session_holds_the_lock(db):
    db.write("0001_items.sql", "CREATE TABLE items (id int);\n")
    with db.admin() as other:
        assert other.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0]
        answer = db.migrate()
        assert answer["error"]["kind"] == "locked"
        assert "another migration holds the lock" in answer["error"]["message"]
    assert db.tables() == set()
    assert names(db.migrate()["ran"]) == ["0001_items.sql"]  # released: the next run goes


def test_two_concurrent_runs_never_interleave(db):
    db.write("0001_slow.sql", "CREATE TABLE slow (id int);\nSELECT pg_sleep(2);\n")
    db.write("0002_after.sql", "CREATE TABLE after (id int);\n")
    first: dict = {}
    runner = threading.Thread(target=lambda: first.update(db.migrate()))
    runner.start()
    try:
        deadline = time.monotonic() + 20
        while not db.query(
            "SELECT 1 FROM pg_stat_activity WHERE usename = %s AND query LIKE %s",
            (USER, "%pg_sleep(2)%"),
        ):
            assert time.monotonic() < deadline, "the first run never started its migration"
            time.sleep(0.05)
        second = db.migrate()
    finally:
        runner.join(30)
    assert second["error"]["kind"] == "locked" and second["ran"] == []
    assert "error" not in first
    assert names(first["ran"]) == ["0001_slow.sql", "0002_after.sql"]
    assert [r[0] for r in db.records()] == ["0001", "0002"]
