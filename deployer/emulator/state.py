"""Where the emulator keeps its files, and its `server.json` (pid, port) on disk.

Shared by the controlling commands (`control`) and the server process (`server`).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from deployer.common import atomic_write
from deployer.config import Project

HOST = "127.0.0.1"
STATE_FILE = "server.json"
LOG_FILE = "moto.log"
FUNCTIONS_LOG = "functions.log"  # every function's output, `<function name> | <line>`
LOCK_FILE = "start.lock"
# The emulator's own health endpoint: answers with the server's pid.
HEALTH_PATH = "/_deployer/health"


def state_dir(project: Project) -> Path:
    """`.deployer/local/`: the emulator's pid/port file, log and start lock."""
    return project.work_dir / "local"


def endpoint_for(port: int) -> str:
    return f"http://{HOST}:{port}"


def recorded_port(project: Project) -> int | None:
    """The port in `server.json`, whether or not the server still runs (None: no file)."""
    port = (read_state(state_dir(project)) or {}).get("port")
    return port if isinstance(port, int) else None


def read_state(folder: Path) -> dict | None:
    path = folder / STATE_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}  # unreadable or half-written: treated as stale
    return data if isinstance(data, dict) else {}


def write_state(folder: Path, data: dict) -> None:
    atomic_write(folder / STATE_FILE, json.dumps(data, indent=2, sort_keys=True) + "\n")


def remove_state(folder: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (folder / STATE_FILE).unlink()


# What the emulator could not do as asked and the user should hear about (e.g. "no
# PostgreSQL server binaries: the database is a record only"), one line each.
NOTICES = Path("rds") / "notice.txt"


def take_notices(project: Project) -> list[str]:
    """The emulator's notices since the last call (each line once, in order); clears them."""
    path = state_dir(project) / NOTICES
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        path.unlink()
    except (FileNotFoundError, OSError):
        return []
    return list(dict.fromkeys(line for line in lines if line.strip()))
