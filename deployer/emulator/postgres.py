"""One real PostgreSQL server for an emulated RDS instance: found, set up, started, stopped.

`deployer/emulator/database.py` decides which instance gets one and uses this module in
the emulator process only. A server's folder (`<state dir>/rds/<instance>/`) holds its
data directory, its log (`postgres.log`), its unix socket and its certificate (`ca.pem`).

- Binaries: `initdb` and `postgres` from the folder of the `initdb` on PATH, else the
  newest `/usr/lib/postgresql/<version>/bin`, else `/usr/local/pgsql/bin`.
- PostgreSQL refuses to run as root: an emulator running as root runs it as the
  `postgres` account (else `nobody`), and when that account cannot reach the state
  folder, the instance folder is a private folder in the temporary directory that
  `rds/<instance>` links to.
- The postmaster is the emulator's own child, in its process group (so stopping the
  emulator's session reaches it), and on Linux it gets SIGINT (fast shutdown) when the
  emulator dies, even by SIGKILL. Where that signal does not exist, `stop_leftovers`
  at the next start stops what a killed emulator left.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from deployer.common import process_command_line, process_gone
from deployer.emulator import certificates

SEARCH_PATHS = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin")
INSTALL_HINT = (
    "install the PostgreSQL server (apt-get install postgresql) or put its initdb and "
    "postgres on PATH, then create the instance again"
)
RUN_AS_CANDIDATES = ("postgres", "nobody")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0  # fast shutdown, then SIGKILL: well within the emulator's own stop limit
_SOCKET_PATH_MAX = 107  # sun_path, as PostgreSQL checks it
_PR_SET_PDEATHSIG = 1

# The parent-death signal follows the thread that forked the child, not the process: every
# postmaster is forked by this one thread, which lives as long as the emulator, never by
# a request thread that ends with its request.
_parent = ThreadPoolExecutor(max_workers=1, thread_name_prefix="postgres-parent")


class StartError(Exception):
    """Why a server could not be started (its folder is already removed)."""

    # True when another process took the address between its check and the bind.
    address_in_use = False


@dataclass(frozen=True)
class Binaries:
    folder: Path

    @property
    def initdb(self) -> str:
        return str(self.folder / "initdb")

    @property
    def postgres(self) -> str:
        return str(self.folder / "postgres")


@dataclass(frozen=True)
class Spec:
    """What the instance asks for."""

    folder: Path  # <state dir>/rds/<instance>
    host: str
    port: int
    user: str
    password: str
    dbname: str | None
    force_ssl: bool


@dataclass
class Server:
    """A running server; `stop()` ends it and removes its folder."""

    spec: Spec
    process: subprocess.Popen

    @property
    def host(self) -> str:
        return self.spec.host

    @property
    def port(self) -> int:
        return self.spec.port

    def stop(self) -> None:
        _end(self.process.pid, self.process)
        remove_folder(self.spec.folder)


def find_binaries() -> Binaries | None:
    """The folder holding initdb and postgres (see the module docstring), or None."""
    folders = []
    on_path = shutil.which("initdb")
    if on_path:
        folders.append(Path(on_path).resolve().parent)
    versioned = sorted(glob.glob(SEARCH_PATHS[0]), key=_version_key, reverse=True)
    folders += [Path(p) for p in versioned] + [Path(p) for p in SEARCH_PATHS[1:]]
    for folder in folders:
        if all(os.access(folder / tool, os.X_OK) for tool in ("initdb", "postgres")):
            return Binaries(folder)
    return None


def _version_key(folder: str) -> tuple[int, ...]:
    version = Path(folder).parent.name
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def start(binaries: Binaries, spec: Spec) -> Server:
    """initdb, TLS, the database, then the postmaster; StartError when any step fails."""
    account = _run_as()
    proc = None
    try:
        real = _make_folder(spec.folder, account)
        data = real / "data"
        pwfile = real / "pwfile"
        pwfile.write_text(spec.password + "\n", encoding="utf-8")
        pwfile.chmod(0o600)
        _own(pwfile, account)
        _run(account, real, binaries.initdb, "-D", str(data), "-U", spec.user,
             f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8", "--no-locale",
             "--no-sync")  # fmt: skip
        pwfile.unlink()
        if spec.dbname and spec.dbname != "postgres":
            create = f"CREATE DATABASE {_ident(spec.dbname)} OWNER {_ident(spec.user)};\n"
            _run(account, real, binaries.postgres, "--single", "-D", str(data), "postgres",
                 stdin=create)  # fmt: skip
        _configure(real, data, spec, account)
        proc = _spawn(binaries, real, data, account)
        _wait_ready(proc, data, real / "postgres.log")
        return Server(spec, proc)
    except (OSError, subprocess.SubprocessError, StartError) as exc:
        if proc is not None:
            _end(proc.pid, proc)
        remove_folder(spec.folder)
        raise StartError(str(exc)) from exc


def stop_leftovers(rds_dir: Path) -> list[str]:
    """Stop every postmaster whose data directory lies under `rds_dir`, remove the folders.

    Called when an emulator starts: nothing there belongs to it yet, so whatever is there
    was left by one that was killed. Returns the names of the folders removed."""
    removed = []
    if not rds_dir.is_dir():
        return removed
    for entry in sorted(rds_dir.iterdir()):
        data = entry.resolve() / "data"
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((data / "postmaster.pid").read_text(encoding="utf-8").split()[0])
            command = process_command_line(pid) or ""
            if "postgres" in command and str(data) in command:  # not a reused pid
                _end(pid, None)
        if entry.is_dir():
            removed.append(entry.name)
        remove_folder(entry)
    return removed


def remove_folder(folder: Path) -> None:
    """Remove an instance folder; when it is a link to a private folder, that folder too."""
    if folder.is_symlink():
        target = folder.resolve()
        if target.name.startswith("deployer-rds-"):
            shutil.rmtree(target, ignore_errors=True)
        folder.unlink(missing_ok=True)
    elif folder.is_dir():
        shutil.rmtree(folder, ignore_errors=True)
    else:
        folder.unlink(missing_ok=True)


# --- set-up ----------------------------------------------------------------------------------


def _run_as() -> pwd.struct_passwd | None:
    """The account to run PostgreSQL as: None (this one) unless the emulator runs as root."""
    if os.geteuid() != 0:
        return None
    for name in RUN_AS_CANDIDATES:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise StartError(
        "the emulator runs as root, which PostgreSQL refuses, and there is no `postgres` "
        "or `nobody` account to run it as"
    )


def _own(path: Path, account: pwd.struct_passwd | None) -> None:
    if account is not None:
        os.chown(path, account.pw_uid, account.pw_gid)


def _reachable(folder: Path, account: pwd.struct_passwd) -> bool:
    """Whether `account` may enter `folder` and every folder above it."""
    groups = set(os.getgrouplist(account.pw_name, account.pw_gid))
    for part in [folder, *folder.parents]:
        st = part.stat()
        if st.st_uid == account.pw_uid:
            bit = 0o100
        elif st.st_gid in groups:
            bit = 0o010
        else:
            bit = 0o001
        if not st.st_mode & bit:
            return False
    return True


def _make_folder(folder: Path, account: pwd.struct_passwd | None) -> Path:
    folder.parent.mkdir(parents=True, exist_ok=True)
    if account is not None and not _reachable(folder.parent, account):
        real = Path(tempfile.mkdtemp(prefix=f"deployer-rds-{folder.name}-"))
        folder.symlink_to(real, target_is_directory=True)
    else:
        real = folder
        real.mkdir(mode=0o700)
    _own(real, account)
    return real.resolve()  # the data path in the postmaster's command line, as the sweep sees it


def _run(account: pwd.struct_passwd | None, cwd: Path, *argv: str, stdin: str = "") -> None:
    result = subprocess.run(
        list(argv), cwd=cwd, env=_environment(), input=stdin, capture_output=True, text=True,
        timeout=120, check=False, **_as(account),
    )  # fmt: skip
    # Single-user mode reports a failed statement in its output, not in its exit code.
    if result.returncode != 0 or "ERROR:" in result.stderr + result.stdout:
        last = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:]
        raise StartError(f"{Path(argv[0]).name} exited {result.returncode}: {' '.join(last)}")


def _environment() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "LANG": "C"}


def _as(account: pwd.struct_passwd | None) -> dict:
    if account is None:
        return {}
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _configure(real: Path, data: Path, spec: Spec, account: pwd.struct_passwd | None) -> None:
    issued = certificates.self_signed(spec.host)
    cert, key = issued.cert, issued.key
    (real / "ca.pem").write_bytes(cert)
    for name, content in (("server.crt", cert), ("server.key", key)):
        (data / name).write_bytes(content)
        (data / name).chmod(0o600)
        _own(data / name, account)
    socket_path = f"{real}/.s.PGSQL.{spec.port}.lock"
    sockets = str(real) if len(socket_path) <= _SOCKET_PATH_MAX else ""
    with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write(
            "\n# deployer emulator: one emulated RDS instance\n"
            f"listen_addresses = {_quote(spec.host)}\n"
            f"port = {spec.port}\n"
            f"unix_socket_directories = {_quote(sockets)}\n"
            "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
            "password_encryption = 'scram-sha-256'\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            "shared_buffers = '32MB'\n"
        )
    # rds.force_ssl = 1: TCP only with TLS; otherwise TLS is offered and plain TCP allowed.
    plain = "reject" if spec.force_ssl else "scram-sha-256"
    (data / "pg_hba.conf").write_text(
        "local   all all                scram-sha-256\n"
        "hostssl all all 127.0.0.0/8    scram-sha-256\n"
        f"host    all all 127.0.0.0/8    {plain}\n",
        encoding="utf-8",
    )


# --- the postmaster --------------------------------------------------------------------------


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook that gives the child SIGINT when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    sig = ctypes.c_ulong(signal.SIGINT)

    def arm() -> None:  # runs in the child, after it switched accounts (which clears it)
        prctl(_PR_SET_PDEATHSIG, sig)

    return arm


def _spawn(
    binaries: Binaries, real: Path, data: Path, account: pwd.struct_passwd | None
) -> subprocess.Popen:
    with open(real / "postgres.log", "ab") as log:
        _own(real / "postgres.log", account)
        future = _parent.submit(
            subprocess.Popen,
            [binaries.postgres, "-D", str(data)],
            cwd=real,
            env=_environment(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # One C call in the child, no lock taken: safe despite the emulator's threads.
            preexec_fn=_die_with_parent(),
            **_as(account),
        )
        return future.result()


def _wait_ready(proc: subprocess.Popen, data: Path, log: Path) -> None:
    """Until the postmaster says `ready` in its pid file (as `pg_ctl -w` waits)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            # The reason is in a FATAL/ERROR line; the last line only says it shut down.
            reasons = [line for line in lines if "FATAL:" in line or "ERROR:" in line]
            last = " ".join((reasons or lines)[-1:])
            failure = StartError(f"postgres exited {proc.returncode}: {last}")
            failure.address_in_use = any("could not bind" in line for line in lines)
            raise failure
        with contextlib.suppress(OSError):
            lines = (data / "postmaster.pid").read_text(encoding="utf-8").splitlines()
            if len(lines) >= 8 and lines[7].strip() == "ready":
                return
        time.sleep(0.05)
    raise StartError(f"postgres was not ready within {int(START_TIMEOUT)} s (see {log})")


def _end(pid: int, proc: subprocess.Popen | None) -> None:
    """Fast shutdown (SIGINT, what `pg_ctl stop -m fast` sends), SIGKILL if it lingers."""
    if proc is not None and proc.poll() is not None:
        return  # already reaped: its pid may belong to another process by now
    for sig, wait in ((signal.SIGINT, STOP_TIMEOUT), (signal.SIGKILL, 2.0)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if (proc.poll() is not None) if proc is not None else process_gone(pid):
                return
            time.sleep(0.05)
