"""The embedded AWS emulator behind emulated environments: a moto server on loopback.

One server per project, started on demand by any command on an emulated environment
and kept running between commands (a detached process in its own session), so the
Terraform state it holds and the resources it emulates live and die together.
Everything about it lives in `.deployer/local/`: `server.json` (pid, port),
`moto.log` (its output) and `start.lock` (one starter at a time).

The server process itself is `python -m deployer.emulator.server serve`, so our additions
to moto (`deployer/emulator/patches.py`) are in place before it serves.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

from deployer.common import DeployerError, UserInputError, spawn_detached, terminate_session
from deployer.common import process_command_line as _cmdline  # tests import it from here
from deployer.config import Project
from deployer.emulator.state import (
    HEALTH_PATH,
    HOST,
    LOCK_FILE,
    LOG_FILE,
    STATE_FILE,
    endpoint_for,
    read_state,
    remove_state,
    state_dir,
)

# What our own process's command line holds; a pid that does not show it was reused.
SERVE_MARKER = "deployer.emulator.server"

START_TIMEOUT = 60.0  # importing moto on a busy 2-core machine takes seconds, not minutes
STOP_TIMEOUT = 10.0  # after SIGTERM, before SIGKILL
PROBE_TIMEOUT = 3.0


@dataclass(frozen=True)
class EmulatorStatus:
    """What `deployer local status` reports."""

    running: bool
    pid: int | None = None
    port: int | None = None
    log: str | None = None
    started_at: float | None = None
    note: str = ""
    started: bool = False  # True when this call started it

    @property
    def endpoint(self) -> str | None:
        return f"http://{HOST}:{self.port}" if self.running and self.port else None

    def as_dict(self) -> dict:
        return {
            "running": self.running,
            "pid": self.pid,
            "port": self.port,
            "endpoint": self.endpoint,
            "log": self.log,
            "started_at": self.started_at,
            "note": self.note,
            "started": self.started,
        }


def _is_ours(pid: int, folder: Path) -> bool | None:
    """True: our server for this project; False: pid reused by another program; None: gone."""
    cmdline = _cmdline(pid)
    if cmdline is None:
        return None
    return SERVE_MARKER in cmdline and str(folder) in cmdline


def _probe(port: int, timeout: float = PROBE_TIMEOUT) -> dict | None:
    """Our health endpoint's answer on `port`, or None when nothing of ours answers."""
    url = endpoint_for(port) + HEALTH_PATH
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (loopback http)
            data = json.loads(resp.read().decode())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return data if isinstance(data, dict) else None


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _log_tail(folder: Path, lines: int = 15) -> str:
    try:
        text = (folder / LOG_FILE).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    tail = [line for line in text.splitlines() if line.strip()][-lines:]
    return "\n".join(tail)


# --- status, start, stop ---------------------------------------------------------------------


def status(project: Project) -> EmulatorStatus:
    """Whether the project's emulator runs, without starting or changing anything."""
    folder = state_dir(project)
    log = str(folder / LOG_FILE)
    data = read_state(folder)
    if data is None:
        return EmulatorStatus(running=False, log=log)
    pid, port = data.get("pid"), data.get("port")
    if not isinstance(pid, int) or not isinstance(port, int):
        return EmulatorStatus(running=False, log=log, note=f"{folder / STATE_FILE} is unreadable")
    ours = _is_ours(pid, folder)
    if ours is None:
        return EmulatorStatus(
            running=False, pid=pid, port=port, log=log, note=f"process {pid} has exited"
        )
    if ours is False:
        return EmulatorStatus(
            running=False,
            pid=pid,
            port=port,
            log=log,
            note=f"pid {pid} now belongs to another program (stale pid file)",
        )
    health = _probe(port)
    if health is None or health.get("pid") != pid:
        return EmulatorStatus(
            running=False,
            pid=pid,
            port=port,
            log=log,
            note=f"process {pid} is alive but does not answer on port {port}",
        )
    return EmulatorStatus(
        running=True, pid=pid, port=port, log=log, started_at=data.get("started_at")
    )


@contextlib.contextmanager
def _start_lock(folder: Path) -> Iterator[None]:
    """One starter at a time: two commands on `local` never start two servers."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_FILE, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_running(project: Project, port: int | None = None) -> EmulatorStatus:
    """The running emulator, started if needed; a clear error instead of a hang otherwise.

    `port`: the port to use when starting (default: a free one). A stale pid file is
    removed (with a note in the returned status); a live server that does not answer is
    an error that says how to recover.
    """
    folder = state_dir(project)
    with _start_lock(folder):
        current = status(project)
        if current.running:
            if port is not None and port != current.port:
                raise UserInputError(
                    f"The local emulator already runs on port {current.port} (pid "
                    f"{current.pid}); run `deployer local stop` first to move it to port {port}."
                )
            return current
        if current.pid is not None and _is_ours(current.pid, folder):
            # Our process, alive, yet silent: maybe still starting; give it a bounded wait.
            healthy = _wait_healthy(current.pid, current.port or 0, folder, START_TIMEOUT)
            if healthy is not None:
                return healthy
            raise DeployerError(
                f"The local emulator (pid {current.pid}) runs but does not answer on port "
                f"{current.port}: run `deployer local stop` and retry (log: "
                f"{folder / LOG_FILE})."
            )
        note = ""
        if (folder / STATE_FILE).exists():
            note = f"removed a stale {STATE_FILE}: {current.note or 'no live server'}"
            remove_state(folder)
        started = _spawn(folder, port)
        return EmulatorStatus(
            running=True,
            pid=started.pid,
            port=started.port,
            log=started.log,
            started_at=started.started_at,
            note=note,
            started=True,
        )


def _spawn(folder: Path, port: int | None) -> EmulatorStatus:
    if port is not None and not _port_free(port):
        raise UserInputError(
            f"Port {port} on {HOST} is already in use by another program: pick another port "
            "with --port, or leave it out to let the emulator choose a free one."
        )
    log_path = folder / LOG_FILE
    cmd = [
        sys.executable,
        "-m",
        SERVE_MARKER,
        "serve",
        "--state-dir",
        str(folder),
        "--port",
        str(port or 0),
    ]
    env = _server_environment()
    if log_path.exists():  # a new server, a new log; the previous one stays for a post-mortem
        log_path.replace(log_path.with_name(LOG_FILE + ".1"))
    # Detached: it survives the command that started it, and a Ctrl-C there.
    proc = spawn_detached(cmd, cwd=folder, env=env, log=log_path)
    healthy = _wait_healthy(proc.pid, None, folder, START_TIMEOUT, proc=proc)
    if healthy is not None:
        return healthy
    if proc.poll() is None:
        terminate_session(proc.pid, STOP_TIMEOUT)
        raise DeployerError(
            f"The local emulator did not answer within {int(START_TIMEOUT)} s and was stopped: "
            f"see {log_path}, then retry."
        )
    tail = _log_tail(folder)
    if "Address already in use" in tail or "port_in_use" in tail:
        raise UserInputError(
            f"Port {port} on {HOST} is already in use: pick another port with --port, or leave "
            "it out to let the emulator choose a free one."
        )
    raise DeployerError(
        f"The local emulator exited while starting (exit code {proc.returncode}); its log "
        f"{log_path} ends with:\n{tail}"
    )


def _server_environment() -> dict[str, str]:
    """The server's environment: nothing of the user's AWS setup leaks into the emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _wait_healthy(
    pid: int,
    port: int | None,
    folder: Path,
    timeout: float,
    proc: Popen | None = None,
) -> EmulatorStatus | None:
    """Poll until `pid` answers our health check; None when it exits or time runs out."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return None
        if proc is None and _is_ours(pid, folder) is not True:
            return None
        data = read_state(folder) or {}
        known_port = port or (data.get("port") if data.get("pid") == pid else None)
        if isinstance(known_port, int) and known_port > 0:
            health = _probe(known_port, timeout=1.0)
            if health is not None and health.get("pid") == pid:
                return EmulatorStatus(
                    running=True,
                    pid=pid,
                    port=known_port,
                    log=str(folder / LOG_FILE),
                    started_at=data.get("started_at"),
                )
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)
    return None


def stop(project: Project) -> EmulatorStatus:
    """Stop the project's emulator (SIGTERM, then SIGKILL); the returned status says what was."""
    folder = state_dir(project)
    with _start_lock(folder):
        current = status(project)
        pid = current.pid
        if pid is not None and _is_ours(pid, folder):
            if not terminate_session(pid, STOP_TIMEOUT):
                raise DeployerError(
                    f"The local emulator (pid {pid}) survived SIGKILL: stop it by hand "
                    f"(kill -9 {pid}) and remove {folder / STATE_FILE}."
                )
            remove_state(folder)
            return EmulatorStatus(
                running=False, pid=pid, port=current.port, log=current.log, note="stopped"
            )
        note = "was not running"
        if (folder / STATE_FILE).exists():
            note = f"was not running; removed a stale {STATE_FILE} ({current.note})"
            remove_state(folder)
        return EmulatorStatus(running=False, log=current.log, note=note)


def death_watch(project: Project) -> Callable[[], str | None]:
    """For a long command on an emulated environment: a check, cheap enough to run every
    second, that says (one sentence) when the emulator running now has died, else None.
    Terraform talking to a dead emulator only retries for minutes before it fails."""
    current = status(project)
    folder = state_dir(project)
    if not current.running or current.pid is None:
        return lambda: None
    pid = current.pid

    def check() -> str | None:
        if _is_ours(pid, folder):
            return None
        return (
            f"The local emulator (pid {pid}) stopped while Terraform was using it (its log: "
            f"{folder / LOG_FILE}); start it again with the next command, or reset with "
            "`deployer local stop`"
        )

    return check
