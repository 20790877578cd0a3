"""Ctrl-C and SIGTERM while Terraform runs: forwarded to it exactly once, so it stops gracefully.

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

Signal handlers are installed by `forward_interrupts()`, which the streaming runner
(`deployer.common.processes`) enters itself when it runs in the main thread. Code that runs
Terraform from worker threads (`plan --all`) wraps its thread pool in `forward_interrupts()`
in the main thread; without that, a worker's Terraform shares the deployer's process group
(the terminal's Ctrl-C then reaches it directly, once) because nobody could forward a
signal to it.

The handler itself only counts signals: each runner loop notices the count and acts on its
own child, so a child started just after a Ctrl-C is still signalled exactly once.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_Child = TypeVar("_Child")


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


def signal_count() -> int:
    """How many signals arrived: a runner compares it with how many it has acted on."""
    return len(_state.received)


@contextlib.contextmanager
def attended(start: Callable[[], _Child]) -> Iterator[_Child]:
    """Start a child and count it as attended while the block runs.

    While any child is attended, a second signal is left to its runner (which kills the
    child's group) instead of raising KeyboardInterrupt past it and leaving it unattended.
    """
    with _state.lock:
        child = start()
        _state.running += 1
    try:
        yield child
    finally:
        with _state.lock:
            _state.running -= 1


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
