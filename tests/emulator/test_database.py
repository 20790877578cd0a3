"""A real PostgreSQL server per emulated RDS instance (deployer/emulator/database.py), against
the running emulator with boto3 and psycopg; last, lambda_src/customer_options reading it.

These tests need the PostgreSQL server binaries and fail, never skip, without them: CI has
them, and a skipped database test would hide a broken `local`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

import boto3
import psycopg
import pytest
from helpers.emulator import REGION, aws, make_project
from helpers.lambda_harness import (
    FakeLambdaContext,
    forget_lambda_modules,
    http_event,
    load_handler,
)
from helpers.paths import REPO_ROOT
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.rds.models import rds_backends

from deployer.common import process_command_line
from deployer.emulator import database, postgres
from deployer.emulator import process as emulator_process
from deployer.emulator.control import ensure_running, stop
from deployer.emulator.state import state_dir

MASTER = "app_admin"


@pytest.fixture(scope="module", autouse=True)
def postgres_binaries() -> postgres.Binaries:
    """The server binaries the emulator will find; their absence fails the test."""
    binaries = postgres.find_binaries()
    if binaries is None:
        pytest.fail(
            "No PostgreSQL server binaries (initdb, postgres) on PATH or in "
            f"{', '.join(postgres.SEARCH_PATHS)}: install them (apt-get install postgresql)."
        )
    return binaries


# --- helpers ---------------------------------------------------------------------------------


def free_port() -> int:
    """A port free on every address (bound on 0.0.0.0), so every loopback address has it."""
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))  # noqa: S104 (only to find a port free everywhere)
        return sock.getsockname()[1]


def create_postgres(server, name: str, *, force_ssl: str | None = None, **kwargs) -> dict:
    """A PostgreSQL instance as the stack creates one; its DescribeDBInstances entry."""
    rds = aws(server, "rds")
    if force_ssl is not None:
        group = f"{name}-params"
        rds.create_db_parameter_group(
            DBParameterGroupName=group, DBParameterGroupFamily="postgres16", Description=name
        )
        rds.modify_db_parameter_group(
            DBParameterGroupName=group,
            Parameters=[
                {
                    "ParameterName": "rds.force_ssl",
                    "ParameterValue": force_ssl,
                    "ApplyMethod": "immediate",
                }
            ],
        )
        kwargs["DBParameterGroupName"] = group
    kwargs.setdefault("Port", free_port())
    kwargs.setdefault("ManageMasterUserPassword", "MasterUserPassword" not in kwargs)
    rds.create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        EngineVersion="16.3",
        AllocatedStorage=20,
        MasterUsername=MASTER,
        DBName="app",
        **kwargs,
    )
    return rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]


def master_secret(server, instance: dict) -> dict:
    arn = instance["MasterUserSecret"]["SecretArn"]
    value = aws(server, "secretsmanager").get_secret_value(SecretId=arn)
    return json.loads(value["SecretString"])


def connect(instance: dict, password: str, sslmode: str = "require", **kwargs):
    endpoint = instance["Endpoint"]
    return psycopg.connect(
        host=endpoint["Address"],
        port=endpoint["Port"],
        dbname="app",
        user=MASTER,
        password=password,
        sslmode=sslmode,
        connect_timeout=5,
        autocommit=True,
        **kwargs,
    )


def session(conn) -> tuple:
    """(user, database, uses TLS) of the connection's own server session."""
    return conn.execute(
        "SELECT current_user, current_database(), ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
    ).fetchone()


def folder_of(server, name: str) -> Path:
    return Path(server.log).parent / "rds" / name


def postmaster(folder: Path) -> tuple[int, str]:
    """The pid of the server in `folder` and its data directory (where it really is)."""
    data = folder.resolve() / "data"
    return int((data / "postmaster.pid").read_text(encoding="utf-8").split()[0]), str(data)


def runs(pid: int, data: str) -> bool:
    command = process_command_line(pid)
    return bool(command) and "postgres" in command and data in command


def listening(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex((host, port)) == 0


def eventually(check, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def family(pid: int) -> list[int]:
    """A postmaster and its children (backends, checkpointer, ...), by parent pid."""
    children = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            children.append(int(proc.name))
    return [pid, *children]


def any_postgres_left(pids: list[int]) -> bool:
    return any("postgres" in (process_command_line(pid) or "") for pid in pids)


# --- the server ------------------------------------------------------------------------------


def test_the_master_secret_logs_in_over_tls_to_the_reported_endpoint(server):
    declared = free_port()
    instance = create_postgres(server, "secret-db", force_ssl="1", Port=declared)
    endpoint = instance["Endpoint"]
    assert endpoint["Address"].startswith("127.0.0.")
    # The declared port, in Endpoint.Port (the provider's `port`) and DbInstancePort alike.
    assert endpoint["Port"] == instance["DbInstancePort"] == declared
    secret = master_secret(server, instance)
    assert secret["username"] == MASTER  # as on AWS: the instance's master user
    ca = folder_of(server, "secret-db") / "ca.pem"
    with connect(instance, secret["password"], "verify-full", sslrootcert=str(ca)) as conn:
        assert session(conn) == (MASTER, "app", True)
        owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'"
        ).fetchone()
        assert owner == (MASTER,)
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        connect(instance, secret["password"], "disable")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(instance, "not-the-password")


def test_a_plain_master_password_is_the_password_and_tls_is_required_from_15(server):
    # No parameter group: on PostgreSQL 15 and newer RDS defaults rds.force_ssl to 1.
    instance = create_postgres(server, "plain-db", MasterUserPassword="plain-Passw0rd")
    assert "MasterUserSecret" not in instance
    with connect(instance, "plain-Passw0rd") as conn:
        assert session(conn) == (MASTER, "app", True)
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        connect(instance, "plain-Passw0rd", "disable")


def test_rds_force_ssl_0_lets_plain_tcp_in(server):
    instance = create_postgres(server, "plain-tcp-db", force_ssl="0")
    password = master_secret(server, instance)["password"]
    with connect(instance, password, "disable") as conn:
        assert session(conn) == (MASTER, "app", False)
    with connect(instance, password, "require") as conn:
        assert session(conn)[2] is True  # TLS is still offered


def test_instances_declaring_one_port_each_get_a_loopback_address_of_their_own(server):
    declared = free_port()
    first = create_postgres(server, "twin-a", Port=declared)
    second = create_postgres(server, "twin-b", Port=declared)
    assert first["Endpoint"]["Port"] == second["Endpoint"]["Port"] == declared
    assert first["Endpoint"]["Address"] != second["Endpoint"]["Address"]
    for instance in (first, second):
        with connect(instance, master_secret(server, instance)["password"]) as conn:
            assert session(conn) == (MASTER, "app", True)


def test_a_port_taken_on_every_loopback_address_falls_back_to_a_free_one(server):
    declared = free_port()
    with socket.socket() as holder:
        holder.bind(("0.0.0.0", declared))  # noqa: S104 (takes the port on every address)
        holder.listen()
        instance = create_postgres(server, "moved-db", Port=declared)
    assert instance["Endpoint"]["Address"] == "127.0.0.1"
    assert instance["Endpoint"]["Port"] != declared
    with connect(instance, master_secret(server, instance)["password"]) as conn:
        assert session(conn)[0] == MASTER
    log = Path(server.log).read_text(encoding="utf-8")
    assert f"port {declared} is taken on every loopback address" in log


def test_deleting_the_instance_stops_its_server_and_removes_its_folder(server):
    instance = create_postgres(server, "gone-db")
    folder = folder_of(server, "gone-db")
    pid, data = postmaster(folder)
    host, port = instance["Endpoint"]["Address"], instance["Endpoint"]["Port"]
    assert runs(pid, data) and listening(host, port)
    aws(server, "rds").delete_db_instance(DBInstanceIdentifier="gone-db", SkipFinalSnapshot=True)
    assert not runs(pid, data)
    assert not listening(host, port)
    assert not folder.exists() and not folder.is_symlink()
    assert not Path(data).exists()


# --- no server outlives its emulator ---------------------------------------------------------


def test_stopping_the_emulator_stops_every_server_and_removes_the_folders(tmp_path):
    proj = make_project(tmp_path / "proj")
    running = ensure_running(proj)
    try:
        create_postgres(running, "stop-a")
        create_postgres(running, "stop-b")
        rds_dir = state_dir(proj) / "rds"
        servers = [postmaster(rds_dir / name) for name in ("stop-a", "stop-b")]
        processes = [p for pid, _ in servers for p in family(pid)]
        assert len(processes) > 2 and any_postgres_left(processes)
    finally:
        stop(proj)
    assert not any_postgres_left(processes)
    assert not rds_dir.exists()
    assert not any(Path(data).exists() for _, data in servers)


def test_a_server_dies_with_an_emulator_killed_by_sigkill(tmp_path):
    proj = make_project(tmp_path / "proj")
    running = ensure_running(proj)
    try:
        create_postgres(running, "killed-db")
        folder = state_dir(proj) / "rds" / "killed-db"
        pid, _ = postmaster(folder)
        processes = family(pid)
        os.kill(running.pid, signal.SIGKILL)
        assert eventually(lambda: not any_postgres_left(processes), timeout=10)
        ensure_running(proj)  # a new emulator: it removes what the killed one left
        assert eventually(lambda: not folder.exists() and not folder.is_symlink())
    finally:
        stop(proj)


def test_the_next_start_stops_a_server_that_a_killed_emulator_left(tmp_path, postgres_binaries):
    # What an emulator killed where the parent-death signal does not exist leaves behind:
    # a server running in a folder under rds/.
    proj = make_project(tmp_path / "proj")
    folder = state_dir(proj) / "rds" / "left-db"
    spec = postgres.Spec(folder, "127.0.0.1", free_port(), MASTER, "left-Passw0rd", "app", True)
    leftover = postgres.start(postgres_binaries, spec)
    try:
        assert leftover.process.poll() is None
        ensure_running(proj)
        assert eventually(lambda: leftover.process.poll() is not None)
        assert eventually(lambda: not folder.exists() and not folder.is_symlink())
        log = (state_dir(proj) / "moto.log").read_text(encoding="utf-8")
        assert "removed database folders an earlier emulator left" in log
    finally:
        leftover.stop()
        stop(proj)


def test_without_server_binaries_an_instance_is_a_record_and_one_line_says_what_to_install(
    tmp_path, monkeypatch, capsys
):
    # In this process, not the emulator's: the binaries of this machine cannot be hidden
    # from a running emulator, so the instance is handed to the hook directly.
    monkeypatch.setattr(postgres, "find_binaries", lambda: None)
    monkeypatch.setattr(database, "_rds_dir", None)
    here = emulator_process.ServerProcess(tmp_path, "http://127.0.0.1:1")
    monkeypatch.setattr(emulator_process, "current", lambda: here)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "test")
    with mock_aws():
        boto3.client("rds", region_name=REGION).create_db_instance(
            DBInstanceIdentifier="record-db",
            DBInstanceClass="db.t4g.micro",
            Engine="postgres",
            MasterUsername=MASTER,
            ManageMasterUserPassword=True,
        )
        instance = rds_backends[DEFAULT_ACCOUNT_ID][REGION].databases["record-db"]
        capsys.readouterr()
        database._serve(instance)
        assert database._ATTR not in instance.__dict__
    (line,) = capsys.readouterr().out.splitlines()
    assert "record-db is only a record" in line
    assert "apt-get install postgresql" in line and "PATH" in line
    assert (tmp_path / "rds" / database.NOTICE_FILE).read_text(encoding="utf-8") == (
        line.removeprefix("deployer emulator: ") + "\n"
    )


# --- lambda_src/customer_options against it --------------------------------------------------

ROUTE = "GET /customers/{id}/options"


@pytest.fixture(scope="module")
def options_db(server) -> dict:
    """The stack's kind of instance with the sample's schema (migration 0001), as master."""
    instance = create_postgres(server, "options-db", force_ssl="1")
    schema = (REPO_ROOT / "migrations" / "0001_customers.sql").read_text(encoding="utf-8")
    with connect(instance, master_secret(server, instance)["password"]) as conn:
        conn.execute(schema)
        conn.execute("INSERT INTO customers VALUES ('acme', 'ACME'), ('empty-co', 'Empty Co')")
        conn.execute(
            "INSERT INTO customer_options VALUES "
            "('acme', 'currency', 'EUR'), ('acme', 'discount', '0.1')"
        )
    return instance


@pytest.mark.parametrize("sslmode", ["require", "verify-full"])
def test_customer_options_reads_the_emulated_database_with_the_secret(
    server, options_db, monkeypatch, sslmode
):
    endpoint = options_db["Endpoint"]
    for name, value in {
        "DB_HOST": endpoint["Address"],
        "DB_PORT": str(endpoint["Port"]),
        "DB_NAME": options_db["DBName"],
        "DB_SECRET_ARN": options_db["MasterUserSecret"]["SecretArn"],
        "DB_SSLMODE": sslmode,
        "DB_SSLROOTCERT": str(folder_of(server, "options-db") / "ca.pem"),
        "AWS_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    module = load_handler("customer_options")
    try:

        def options(customer: str) -> tuple[int, dict]:
            event = http_event("GET", f"/customers/{customer}/options", route_key=ROUTE)
            response = module.handler(event, FakeLambdaContext())
            return response["statusCode"], json.loads(response["body"])

        assert options("acme") == (
            200,
            {"customer_id": "acme", "options": {"currency": "EUR", "discount": "0.1"}},
        )
        assert options("empty-co") == (200, {"customer_id": "empty-co", "options": {}})
        assert options("nobody") == (404, {"message": "Customer not found"})
        with connect(options_db, master_secret(server, options_db)["password"]) as conn:
            sessions = conn.execute(
                "SELECT a.usename, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) "
                "WHERE a.application_name = 'customer_options'"
            ).fetchall()
        assert sessions == [(MASTER, True)]  # the secret's user, over TLS
    finally:
        if module._database is not None:
            module._database.close()
        forget_lambda_modules()
