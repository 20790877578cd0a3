"""Running one Terraform child process: live output, captured output, graceful interrupts.

Why Terraform runs in a session of its own: a Ctrl-C at the terminal sends SIGINT to the
whole foreground process group. If Terraform shared the deployer's group it would get that
SIGINT from the terminal, and a second one if the deployer forwarded it: Terraform reads
two interrupts as "exit immediately", which can lose state and leave the lock held. So,
whenever the deployer can handle signals (handlers live in the main thread only), Terraform
starts with `start_new_session=True`: the terminal's SIGINT reaches the deployer alone,
and the deployer forwards exactly one SIGINT to Terraform, which stops gracefully (writes
state, releases the lock). SIGTERM sent to the deployer is handled the same way. A second
signal kills Terraform's whole process group (providers, provisioner commands) with a
warning.

Signal handlers are installed by `forward_interrupts()`, which the runner enters itself
when it runs in the main thread. Code that runs Terraform from worker threads (`plan
--all`) wraps its thread pool in `forward_interrupts()` in the main thread; without that,
a worker's Terraform shares the deployer's process group (the terminal's Ctrl-C then
reaches it directly, once) because nobody could forward a signal to it.

The handler itself only counts signals: each runner loop notices the count and acts on its
own child, so a child started just after a Ctrl-C is still signalled exactly once.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

# (line without its newline, "stdout" | "stderr"); called from the thread running Terraform.
StreamCallback = Callable[[str, str], None]

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# Terraform's colours and text styles; kept output is plain text.
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# How often the runner looks at the signal count while Terraform is silent.
_POLL_SECONDS = 0.1
# After Terraform exits, how long to wait for a grandchild that still holds its pipes.
_PIPE_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class Completed:
    """What one Terraform process did."""

    returncode: int
    stdout: str
    stderr: str
    # Signal names the deployer received while Terraform ran ("SIGINT", "SIGTERM").
    signals: tuple[str, ...] = ()
    # True when a second signal made the deployer kill Terraform's process group.
    killed: bool = False
    # True when Terraform ran in its own session (interrupts forwarded by the deployer).
    own_session: bool = False

    @property
    def interrupted(self) -> bool:
        return bool(self.signals)


class _InterruptState:
    """Process-wide: the installed handlers and the signals received under them."""

    def __init__(self) -> None:
        self.depth = 0  # nesting of forward_interrupts() (main thread only)
        self.active = False  # handlers in place (or the signals deliberately ignored)
        self.previous: dict[int, object] = {}
        self.received: list[int] = []
        self.running = 0  # Terraform children alive under the handlers
        self.lock = threading.Lock()


_state = _InterruptState()


def _on_signal(signum: int, _frame: object) -> None:
    _state.received.append(signum)
    # Nothing to stop gracefully (e.g. between two Terraform runs): a second signal must
    # still get the user out, as Python's default Ctrl-C would.
    if len(_state.received) >= 2 and _state.running == 0:
        raise KeyboardInterrupt


def forwarding_active() -> bool:
    """True while `forward_interrupts()` handlers are installed."""
    return _state.depth > 0 and _state.active


def signals_received() -> tuple[str, ...]:
    """Names of the signals received since the outermost `forward_interrupts()` began."""
    return tuple(signal.Signals(s).name for s in _state.received)


@contextlib.contextmanager
def forward_interrupts() -> Iterator[bool]:
    """Handle SIGINT/SIGTERM so that running Terraform children stop gracefully.

    Install it in the main thread around code that runs Terraform in worker threads; the
    runner enters it by itself in the main thread. Nested uses share one installation and
    the previous handlers come back when the outermost one exits. Yields whether
    forwarding is active (False in a thread when the main thread installed nothing).
    """
    if threading.current_thread() is not threading.main_thread():
        yield forwarding_active()
        return
    outer = _state.depth == 0
    if outer:
        _state.received.clear()
        _state.previous = {}
        _state.active = False
        for signum in FORWARDED_SIGNALS:
            try:
                if signal.getsignal(signum) is not signal.SIG_IGN:
                    _state.previous[signum] = signal.signal(signum, _on_signal)
                # An ignored signal (a background job, nohup) stays ignored: whoever ignored
                # it meant it, and Terraform in its own session does not get it either.
                _state.active = True
            except ValueError:  # not the main interpreter: no handlers, no own session
                pass
    _state.depth += 1
    try:
        yield _state.active
    finally:
        _state.depth -= 1
        if outer:
            for signum, handler in _state.previous.items():
                # None: the previous handler was not set from Python (the default one).
                signal.signal(signum, signal.SIG_DFL if handler is None else handler)
            _state.previous = {}
            _state.received.clear()
            _state.active = False


def _kill_group(proc: subprocess.Popen, own_session: bool) -> None:
    try:
        if own_session:
            os.killpg(proc.pid, signal.SIGKILL)  # providers and provisioner commands too
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass


def _pump(pipe, channel: str, out: queue.Queue) -> None:
    try:
        for raw in iter(pipe.readline, b""):
            out.put((channel, raw.decode("utf-8", errors="replace").rstrip("\r\n")))
    except (OSError, ValueError):
        pass  # the pipe was closed under us: nothing more to read
    finally:
        out.put((channel, None))


def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    stream: StreamCallback | None,
    notify: Callable[[str], None],
    transform: Callable[[str], str] = lambda line: line,
) -> Completed:
    """Run `argv` (never through a shell); stream each line live and keep it.

    `transform` is applied to every line before it is streamed or kept (secret masking);
    kept lines lose their colour codes, streamed lines keep them.
    `notify` tells the user what the deployer does about an interrupt. Never raises for
    a non-zero exit code: the caller maps it.
    """
    with forward_interrupts() as forwarding:
        if forwarding and _state.received:
            # Ctrl-C arrived before this Terraform started (e.g. another environment in
            # `plan --all`): do not start anything new.
            return Completed(130, "", "", signals=signals_received(), own_session=True)
        with _state.lock:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=forwarding,
            )
            _state.running += 1
        try:
            return _follow(proc, forwarding, stream, notify, transform)
        finally:
            with _state.lock:
                _state.running -= 1


def _follow(
    proc: subprocess.Popen,
    forwarding: bool,
    stream: StreamCallback | None,
    notify: Callable[[str], None],
    transform: Callable[[str], str],
) -> Completed:
    lines: queue.Queue = queue.Queue()
    readers = [
        threading.Thread(target=_pump, args=(proc.stdout, "stdout", lines), daemon=True),
        threading.Thread(target=_pump, args=(proc.stderr, "stderr", lines), daemon=True),
    ]
    for reader in readers:
        reader.start()
    kept: dict[str, list[str]] = {"stdout": [], "stderr": []}
    open_pipes, acted_on, killed = 2, 0, False
    exited_at: float | None = None
    try:
        while open_pipes:
            try:
                channel, line = lines.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                channel, line = None, None
            if channel is not None and line is None:
                open_pipes -= 1
            elif channel is not None:
                line = transform(line)
                kept[channel].append(_ANSI.sub("", line))
                if stream is not None:
                    stream(line, channel)
            seen = len(_state.received) if forwarding else 0
            if seen > acted_on and proc.poll() is None:
                if acted_on == 0:
                    proc.send_signal(signal.SIGINT)  # exactly one, whatever the signal was
                    notify(
                        f"{signals_received()[0]} received: waiting for Terraform to stop "
                        "gracefully (it saves state and releases the lock); "
                        "interrupt again to kill it."
                    )
                if seen >= 2:
                    _kill_group(proc, forwarding)
                    killed = True
                    notify(
                        "Second interrupt: Terraform was killed. Its state may be incomplete "
                        "and its lock may still be held: check with a plan before the next "
                        "apply, and force-unlock only if no other run holds the lock."
                    )
                acted_on = seen
            if proc.poll() is not None:
                exited_at = exited_at or time.monotonic()
                if time.monotonic() - exited_at > _PIPE_GRACE_SECONDS:
                    break  # a leftover grandchild holds the pipe; Terraform itself is done
        returncode = proc.wait()
    except BaseException:
        # The stream callback failed, or KeyboardInterrupt arrived without our handlers:
        # never leave Terraform running unattended.
        if proc.poll() is None:
            if acted_on == 0 and forwarding:
                proc.send_signal(signal.SIGINT)
            try:
                proc.wait()
            except BaseException:
                _kill_group(proc, forwarding)
                raise
        raise
    finally:
        # Closing a pipe a reader still blocks on would block too: leave those to the GC.
        if open_pipes == 0:
            for reader in readers:
                reader.join()
            for pipe in (proc.stdout, proc.stderr):
                with contextlib.suppress(OSError):
                    pipe.close()
    return Completed(
        returncode=returncode,
        stdout="\n".join(kept["stdout"]) + ("\n" if kept["stdout"] else ""),
        stderr="\n".join(kept["stderr"]) + ("\n" if kept["stderr"] else ""),
        signals=signals_received() if forwarding else (),
        killed=killed,
        own_session=forwarding,
    )
