"""A throwaway PostgreSQL server for tests: initdb + pg_ctl in a temp dir, TLS on, loopback only.

initdb refuses to run as root, so when the tests run as root the server runs as an
unprivileged account (`postgres` if the machine has one, else `nobody`): the data dir is
created for that account and the commands run under its uid/gid.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SUPERUSER = "postgres"
RUN_AS_CANDIDATES = ("postgres", "nobody")


@dataclass(frozen=True)
class PostgresServer:
    """Where the server listens, and how the tests reach it as superuser."""

    host: str
    port: int
    socket_dir: Path
    data_dir: Path
    ca_file: Path  # the server's self-signed certificate, for sslmode=verify-full

    def admin_conninfo(self, dbname: str = "postgres") -> str:
        """Superuser over the unix socket (trust): for setup, checks and killing backends."""
        return f"host={self.socket_dir} port={self.port} user={SUPERUSER} dbname={dbname}"


def _run_as() -> pwd.struct_passwd | None:
    """The account to run PostgreSQL as: None for the current one unless that is root."""
    if os.geteuid() != 0:
        return None
    for name in RUN_AS_CANDIDATES:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError(
        "Running as root and no unprivileged account (postgres, nobody) exists to run "
        "PostgreSQL as; create one or run the tests as a normal user."
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _self_signed_cert() -> tuple[bytes, bytes]:
    """A certificate for localhost/127.0.0.1 and its key, both PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


class _Runner:
    """Runs the PostgreSQL binaries as the chosen account."""

    def __init__(self, account: pwd.struct_passwd | None, cwd: Path) -> None:
        self.account = account
        self.cwd = cwd

    def own(self, path: Path) -> None:
        if self.account is not None:
            os.chown(path, self.account.pw_uid, self.account.pw_gid)

    def run(self, *argv: str) -> None:
        kwargs: dict = {}
        if self.account is not None:
            kwargs = {
                "user": self.account.pw_uid,
                "group": self.account.pw_gid,
                "extra_groups": [],
            }
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}
        result = subprocess.run(
            list(argv),
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            **kwargs,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )


def _configure(base: Path, data_dir: Path, socket_dir: Path, port: int, runner: _Runner) -> None:
    cert, key = _self_signed_cert()
    (base / "ca.crt").write_bytes(cert)
    for filename, content, mode in (
        ("server.crt", cert, 0o644),
        ("server.key", key, 0o600),
    ):
        path = data_dir / filename
        path.write_bytes(content)
        path.chmod(mode)
        runner.own(path)
    with (data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write(
            "\n# tests\n"
            "listen_addresses = '127.0.0.1'\n"
            f"port = {port}\n"
            f"unix_socket_directories = '{socket_dir}'\n"
            "ssl = on\n"
            "ssl_cert_file = 'server.crt'\n"
            "ssl_key_file = 'server.key'\n"
            "fsync = off\n"
            "synchronous_commit = off\n"
            "full_page_writes = off\n"
        )
    # TCP only with TLS and a password, like RDS with rds.force_ssl; the socket is for the tests.
    (data_dir / "pg_hba.conf").write_text(
        "local   all  all                trust\n"
        "hostssl all  all  127.0.0.1/32  scram-sha-256\n"
        "host    all  all  127.0.0.1/32  reject\n",
        encoding="utf-8",
    )


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a fresh server; stop it and remove its files on exit."""
    for tool in ("initdb", "pg_ctl"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"`{tool}` is not on PATH: install the PostgreSQL server binaries.")
    account = _run_as()
    base = Path(tempfile.mkdtemp(prefix="lambda-pg-"))
    runner = _Runner(account, base)
    runner.own(base)
    data_dir, socket_dir, log_file = base / "data", base / "sock", base / "server.log"
    socket_dir.mkdir()
    runner.own(socket_dir)
    port = _free_port()
    started = False
    try:
        runner.run(
            "initdb", "-D", str(data_dir), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
            "--no-locale", "--no-sync",
        )  # fmt: skip
        _configure(base, data_dir, socket_dir, port, runner)
        runner.run("pg_ctl", "-D", str(data_dir), "-l", str(log_file), "-w", "-t", "60", "start")
        started = True
        yield PostgresServer(
            host="127.0.0.1",
            port=port,
            socket_dir=socket_dir,
            data_dir=data_dir,
            ca_file=base / "ca.crt",
        )
    finally:
        if started:
            runner.run("pg_ctl", "-D", str(data_dir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)
