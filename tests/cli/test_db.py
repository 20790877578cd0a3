"""`deployer db migrate | status ENV` as a user calls them (CliRunner), against a running
emulator: an RDS instance created with boto3 (the emulator starts a real PostgreSQL for it,
TLS on, master password in the RDS-managed secret) and the real lambda_src/db_migrate,
packaged by the deployer with the project's migrations and deployed with boto3 as
Terraform would. The CLI invokes it through Lambda's Invoke API, the emulator runs it.

These tests need the PostgreSQL server binaries and fail, never skip, without them.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from helpers.builds import build
from helpers.emulator import aws, lambda_role, make_project
from helpers.function_projects import write_files
from helpers.paths import LAMBDA_SRC
from typer.testing import CliRunner

from deployer.cli import app
from deployer.cli.db import migrate_after_apply
from deployer.common import DeployerError
from deployer.config import Project, find_project
from deployer.emulator import ensure_running, stop

MASTER = "app_admin"
FUNCTION = "demo-local-db_migrate"
LOCK_KEY = int.from_bytes(b"deployer", "big")  # the function's advisory lock
BASE = {
    "0001_items.sql": "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);\n",
    "0002_seed.sql": "INSERT INTO items VALUES (1, 'first');\n",
}
_databases = itertools.count()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def backend(env: str) -> str:
    return (
        f'bucket = "demo-{env}-tfstate"\nkey = "{env}/terraform.tfstate"\nregion = "eu-west-1"\n'
        "use_lockfile = true\nencrypt = true\nuse_path_style = true\n"
    )


@dataclass
class Local:
    """The project, its running emulator, the database instance and the deployed function."""

    project: Project
    server: object  # the running EmulatorStatus
    instance: dict
    password: str
    dbname: str = "app"

    @property
    def root(self) -> Path:
        return self.project.root

    def connect(self) -> psycopg.Connection:
        endpoint = self.instance["Endpoint"]
        return psycopg.connect(
            host=endpoint["Address"],
            port=endpoint["Port"],
            dbname=self.dbname,
            user=MASTER,
            password=self.password,
            sslmode="require",
            autocommit=True,
        )

    def query(self, sql: str) -> list[tuple]:
        with self.connect() as conn:
            return conn.execute(sql).fetchall()

    def migrations(self, files: dict[str, str]) -> None:
        """Make migrations/ hold exactly `files`."""
        folder = self.root / "migrations"
        shutil.rmtree(folder, ignore_errors=True)
        write_files(folder, files)

    def deploy(self, env: str = "local", database: bool = True) -> None:
        """Package the project and create or update `<app>-<env>-db_migrate`, as Terraform."""
        entry = build(self.root).manifest["functions"]["db_migrate"]
        code = (self.root / entry["zip_path"]).read_bytes()
        variables = dict(entry["environment"])
        if database:
            variables.update(
                DB_HOST=self.instance["Endpoint"]["Address"],
                DB_PORT=str(self.instance["Endpoint"]["Port"]),
                DB_NAME=self.dbname,
                DB_SECRET_ARN=self.instance["MasterUserSecret"]["SecretArn"],
            )
        lam = aws(self.server, "lambda")
        name = f"demo-{env}-db_migrate"
        try:
            lam.get_function(FunctionName=name)
        except lam.exceptions.ResourceNotFoundException:
            lam.create_function(
                FunctionName=name,
                Runtime=entry["runtime"],
                Role=lambda_role(self.server),
                Handler=entry["handler"],
                Code={"ZipFile": code},
                Timeout=entry["timeout"],
                MemorySize=entry["memory"],
                Environment={"Variables": variables},
            )
            return
        lam.update_function_code(FunctionName=name, ZipFile=code)
        lam.update_function_configuration(FunctionName=name, Environment={"Variables": variables})

    def fresh_database(self) -> None:
        """An empty database of the instance for the next test, and the function pointed at it."""
        self.dbname = f"t{next(_databases)}"
        with psycopg.connect(
            host=self.instance["Endpoint"]["Address"],
            port=self.instance["Endpoint"]["Port"],
            dbname="app",
            user=MASTER,
            password=self.password,
            sslmode="require",
            autocommit=True,
        ) as admin:
            admin.execute(f"CREATE DATABASE {self.dbname}")
        self.migrations(BASE)
        self.deploy()


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> Iterator[Local]:
    root = tmp_path_factory.mktemp("db") / "proj"
    make_project(root)
    (root / "envs" / "local.tfvars").write_text("database = { enabled = true }\n")
    # qa: emulated too, with a database, but nothing deployed; ci: deployed without one;
    # dev: a real environment whose tfvars turn the database off.
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        '[tool.deployer]\napp = "demo"\nemulated = ["local", "qa", "ci"]\n', encoding="utf-8"
    )
    for env, tfvars in {
        "qa": "database = { enabled = true }\n",
        "ci": "database = { enabled = true }\n",
        "dev": "database = { enabled = false }\n",
    }.items():
        (root / "envs" / f"{env}.tfvars").write_text(tfvars, encoding="utf-8")
        (root / "envs" / f"{env}.backend.hcl").write_text(backend(env), encoding="utf-8")
    project = find_project(root)
    # The real function, without its requirements.txt: the emulator's workers import the
    # deployer's own psycopg first, so the test needs no pip install for the Lambda platform.
    shutil.copytree(
        LAMBDA_SRC / "db_migrate",
        root / "lambda_src" / "db_migrate",
        ignore=shutil.ignore_patterns("requirements.txt", "__pycache__"),
    )
    server = ensure_running(project)
    try:
        rds = aws(server, "rds")
        rds.create_db_instance(
            DBInstanceIdentifier="demo-local",
            DBInstanceClass="db.t4g.micro",
            Engine="postgres",
            EngineVersion="16.3",
            AllocatedStorage=20,
            MasterUsername=MASTER,
            ManageMasterUserPassword=True,
            DBName="app",
            Port=free_port(),
        )
        instance = rds.describe_db_instances(DBInstanceIdentifier="demo-local")["DBInstances"][0]
        secret = aws(server, "secretsmanager").get_secret_value(
            SecretId=instance["MasterUserSecret"]["SecretArn"]
        )
        password = json.loads(secret["SecretString"])["password"]
        yield Local(project, server, instance, password)
    finally:
        stop(project)


@pytest.fixture
def fresh(local: Local, monkeypatch: pytest.MonkeyPatch) -> Local:
    monkeypatch.chdir(local.root)
    local.fresh_database()
    return local


def run(*args: str):
    return CliRunner().invoke(app, ["db", *args])


def records(local: Local) -> list[tuple]:
    return local.query("SELECT version, name, checksum FROM schema_migrations ORDER BY 1")


def tables(local: Local) -> set[str]:
    rows = local.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {name for (name,) in rows}


def clean(result) -> None:
    assert "Traceback" not in result.output


# --- migrate ---------------------------------------------------------------------------------


def test_migrate_applies_the_pending_files_and_prints_one_line_each(fresh):
    result = run("migrate", "local")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("applied 0001_items.sql (") and lines[0].endswith(" ms)")
    assert lines[1].startswith("applied 0002_seed.sql (")
    assert lines[2] == "local: 2 migrations applied; 0 pending."
    assert fresh.query("SELECT id, name FROM items") == [(1, "first")]
    checksums = {n: hashlib.sha256(t.encode()).hexdigest() for n, t in BASE.items()}
    assert records(fresh) == [(n[:4], n, checksums[n]) for n in sorted(BASE)]
    again = run("migrate", "local")
    assert again.exit_code == 0
    assert again.stdout.strip() == "local: the database is up to date (2 migrations applied)."


def test_a_dry_run_lists_what_would_run_and_changes_nothing(fresh):
    result = run("migrate", "local", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "would apply 0001_items.sql",
        "would apply 0002_seed.sql",
        "local: dry run, nothing was changed: 2 migrations would run.",
    ]
    assert tables(fresh) == set()


def test_json_for_ci(fresh):
    result = run("migrate", "local", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["environment"] == "local" and data["function_name"] == FUNCTION
    assert [r["name"] for r in data["ran"]] == sorted(BASE) and data["error"] is None
    status = json.loads(run("status", "local", "--json").stdout)
    assert [r["version"] for r in status["applied"]] == ["0001", "0002"]
    assert status["pending"] == [] and status["notes"] == []


def test_status_prints_a_table_of_applied_and_pending(fresh):
    fresh.migrations({"0001_items.sql": BASE["0001_items.sql"]})
    fresh.deploy()
    assert run("migrate", "local").exit_code == 0
    fresh.migrations(BASE)
    fresh.deploy()
    result = run("status", "local")
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if "000" in line]
    assert "0001_items.sql" in rows[0] and "applied" in rows[0]
    assert "0002_seed.sql" in rows[1] and "pending" in rows[1]
    assert f"local: 1 applied, 1 pending ({FUNCTION})." in result.stdout
    assert tables(fresh) == {"items", "schema_migrations"}  # status changed nothing


# --- failures --------------------------------------------------------------------------------


def test_a_failing_migration_names_the_file_and_exits_1(fresh):
    fresh.migrations({**BASE, "0003_broken.sql": "SELECT 1;\nINSERT INTO nowhere VALUES (1);\n"})
    fresh.deploy()
    result = run("migrate", "local")
    assert result.exit_code == 1
    clean(result)
    ran = result.stdout.splitlines()
    assert [line.split(" (")[0] for line in ran] == [
        "applied 0001_items.sql",
        "applied 0002_seed.sql",
    ]  # what ran before it, and no summary
    error = result.stderr.strip()
    assert error.startswith("error: migrations/0003_broken.sql failed at line 2:")
    assert 'relation "nowhere" does not exist' in error
    assert "0001_items.sql, 0002_seed.sql applied before it" in error
    assert "fix the file and run deployer db migrate local again" in error
    assert [r[0] for r in records(fresh)] == ["0001", "0002"]


def test_an_applied_file_changed_since_refuses_the_run_with_exit_2(fresh):
    assert run("migrate", "local").exit_code == 0
    fresh.migrations({**BASE, "0001_items.sql": "CREATE TABLE items (id bigint);\n"})
    fresh.deploy()
    result = run("migrate", "local")
    assert result.exit_code == 2
    clean(result)
    assert "error: migrations/0001_items.sql was changed after it was applied" in result.stderr
    assert "put the change in a new migration" in result.stderr


def test_another_run_holding_the_lock_is_exit_1(fresh):
    with fresh.connect() as other:
        other.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        result = run("migrate", "local")
    assert result.exit_code == 1
    clean(result)
    assert "Another migration is running on local's database, so nothing ran" in result.stderr
    assert tables(fresh) == set()


def test_a_file_not_deployed_yet_is_a_note(fresh):
    fresh.migrations({**BASE, "0003_new.sql": "SELECT 3;\n"})  # written, not deployed
    result = run("migrate", "local")
    assert result.exit_code == 0, result.output
    assert "0003_new.sql is not deployed to local yet (the deployed files are" in result.stderr
    assert "deployer apply local packages it" in result.stderr
    assert [r[0] for r in records(fresh)] == ["0001", "0002"]


def test_a_misnamed_file_is_exit_2_before_anything_runs(fresh):
    fresh.migrations({**BASE, "3_bad.sql": "SELECT 3;\n"})
    result = run("migrate", "local")
    assert result.exit_code == 2
    assert "migrations/3_bad.sql: a migration is named NNNN_description.sql" in result.stderr
    assert tables(fresh) == set()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ("dev", "envs/dev.tfvars has no database (database.enabled is false)"),
        ("qa", "The migration function demo-qa-db_migrate is not deployed in qa: run deployer "),
        ("ci", "The migration function demo-ci-db_migrate has no database settings in ci"),
        ("nope", "Unknown environment 'nope'"),
    ],
)
def test_nothing_to_migrate_is_one_sentence_and_exit_2(fresh, env, message):
    if env == "ci":
        fresh.deploy("ci", database=False)
    for command in ("migrate", "status"):
        result = run(command, env)
        assert result.exit_code == 2, result.output
        clean(result)
        assert message in result.stderr and result.stdout == ""
        if env != "nope":
            assert f"deployer apply {env}" in result.stderr


# --- apply's last step -----------------------------------------------------------------------


def test_after_an_apply_the_pending_migrations_run(fresh, capsys):
    migrate_after_apply(fresh.project, "local")
    assert "applied 0001_items.sql" in capsys.readouterr().out
    assert [r[0] for r in records(fresh)] == ["0001", "0002"]
    migrate_after_apply(fresh.project, "dev")  # no database there: nothing to do, no error
    fresh.migrations({})  # no migration files: the function is not even called
    migrate_after_apply(fresh.project, "qa")


def test_a_failed_migration_after_an_apply_says_the_apply_succeeded(fresh):
    fresh.migrations({**BASE, "0003_broken.sql": "SELECT nothing_here;\n"})
    fresh.deploy()
    with pytest.raises(DeployerError) as raised:
        migrate_after_apply(fresh.project, "local")
    message = raised.value.message
    assert message.startswith("local was applied, but a migration did not: migrations/0003")
    assert raised.value.exit_code == 1
