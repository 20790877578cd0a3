"""What code inside the emulator's own process knows about it: its folder and endpoint,
and what must run when it stops.

`deployer/emulator/server.py` calls `started` once it listens and `stopping` on its way
out; the additions that live in the server process (the served API, the OIDC issuer, the
database engines) read `current()` and register their clean-up with `at_stop`.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ServerProcess:
    """The running emulator, as seen from inside it."""

    state_dir: Path
    endpoint: str  # http://127.0.0.1:<port>, no trailing slash


_lock = threading.Lock()
_current: ServerProcess | None = None
_at_stop: list[Callable[[], None]] = []


def started(state_dir: Path, endpoint: str) -> ServerProcess:
    """Record the server that now listens (called once by the server process)."""
    global _current
    with _lock:
        _current = ServerProcess(Path(state_dir), endpoint.rstrip("/"))
        return _current


def current() -> ServerProcess | None:
    """The emulator this code runs in, or None outside a serving emulator process."""
    return _current


def at_stop(cleanup: Callable[[], None]) -> None:
    """Run `cleanup` when the server stops (last registered, first run)."""
    with _lock:
        _at_stop.append(cleanup)


def stopping() -> None:
    """Run every registered clean-up; one that fails never stops the others."""
    global _current
    with _lock:
        cleanups, _at_stop[:] = list(reversed(_at_stop)), []
    for cleanup in cleanups:
        try:
            cleanup()
        except Exception as exc:  # the server is stopping: report, go on
            with contextlib.suppress(Exception):
                print(f"deployer emulator: clean-up {cleanup!r} failed: {exc}", file=sys.stdout)
    with _lock:
        _current = None
