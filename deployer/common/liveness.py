"""Whether a process by pid still runs, and stopping a detached one (see `spawn_detached`).

A pid in a file (the emulator's `server.json`) outlives its process and may be reused by
another program, so "is it alive" is answered from the process's command line, which the
caller matches against what it started; and a zombie, which has exited but not been reaped
by its parent, counts as gone.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from deployer.common.errors import ProcessError
from deployer.common.processes import run_captured

# How long `ps` may take where there is no /proc: it answers at once unless the machine
# is in trouble, and a status check must not hang then.
_PS_TIMEOUT = 10.0


def process_command_line(pid: int) -> str | None:
    """The command line of a live process ("" when it is unreadable), or None when it is gone."""
    proc = Path(f"/proc/{pid}/cmdline")
    if proc.parent.is_dir():
        try:
            stat = Path(f"/proc/{pid}/stat").read_text(errors="replace")
            raw = proc.read_bytes()
        except (FileNotFoundError, ProcessLookupError):
            return None
        except OSError:
            return ""
        if stat.rpartition(")")[2].split()[:1] in (["Z"], ["X"]):
            return None  # a zombie: it has exited, its parent has not reaped it yet
        return raw.replace(b"\0", b" ").decode(errors="replace")
    try:  # no /proc (macOS): ask ps
        out = run_captured(["ps", "-o", "command=", "-p", str(pid)], timeout=_PS_TIMEOUT)
    except ProcessError:
        return ""
    if out.timed_out:
        return ""
    return out.stdout.strip() or None


def process_gone(pid: int) -> bool:
    """True when `pid` is gone (reaping it if it is our own child)."""
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return True
    return process_command_line(pid) is None


def terminate_session(pid: int, timeout: float) -> bool:
    """SIGTERM the group `pid` leads, SIGKILL after `timeout`; True once `pid` is gone.

    The whole group, because a detached server's own children (workers, a shell it ran)
    would otherwise stay behind holding its port or files.
    """
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)  # a session leader's group id is its pid
        except ProcessLookupError:
            return True
        except PermissionError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process_gone(pid):
                return True
            time.sleep(0.05)
    return process_gone(pid)
