"""A pool of warm workers per function, and the `Runtime` that holds them all.

`Runtime.invoke(code, event)` runs one invocation: an idle worker of the same
`FunctionCode.fingerprint` if there is one, else a new worker while the function is below
its concurrency, else it waits for one to be free (for at most the function's timeout,
then `TooManyRequestsException`, Lambda's throttle). Workers of an older fingerprint are
retired as soon as they are idle, so a code update is live on the next invocation.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from deployer.runtime.workers import FunctionCode, Invocation, LogSink, Worker

Environment = Callable[[FunctionCode], dict[str, str]]


class Pool:
    """The workers of one function."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.idle: list[Worker] = []
        self.busy: set[Worker] = set()
        self.starting = 0  # workers being started: they count against the concurrency
        self.freed = threading.Condition()

    def take(self, code: FunctionCode, wait: float) -> tuple[Worker | None, bool]:
        """An idle worker of this code, or room for a new one (None, True); (None, False):
        the function is at its concurrency for longer than `wait`."""
        deadline = time.monotonic() + wait
        with self.freed:
            while True:
                self._retire_stale(code)
                if self.idle:
                    worker = self.idle.pop()
                    self.busy.add(worker)
                    return worker, False
                if len(self.busy) + self.starting < max(1, code.concurrency):
                    self.starting += 1
                    return None, True
                left = deadline - time.monotonic()
                if left <= 0:
                    return None, False
                self.freed.wait(left)

    def add_busy(self, worker: Worker) -> None:
        with self.freed:
            self.starting -= 1
            self.busy.add(worker)

    def give_back(self, worker: Worker, reusable: bool) -> None:
        with self.freed:
            self.busy.discard(worker)
            if reusable and worker.alive():
                self.idle.append(worker)
            else:
                threading.Thread(target=worker.stop, daemon=True).start()
            self.freed.notify()

    def _retire_stale(self, code: FunctionCode) -> None:
        stale = [w for w in self.idle if w.code.fingerprint != code.fingerprint or not w.alive()]
        for worker in stale:
            self.idle.remove(worker)
            threading.Thread(target=worker.stop, daemon=True).start()

    def stop(self) -> None:
        with self.freed:
            workers, self.idle = [*self.idle, *self.busy], []
            self.busy.clear()
        for worker in workers:
            worker.kill()


class Runtime:
    """Every function's pool; one per emulator process."""

    def __init__(self, environment: Environment, sink: LogSink, log_errors: bool = True) -> None:
        """`log_errors`: failed invocations log their error (off when the caller shows it)."""
        self.environment = environment
        self.sink = sink
        self.log_errors = log_errors
        self._pools: dict[str, Pool] = {}
        self._lock = threading.Lock()

    def pool(self, name: str) -> Pool:
        with self._lock:
            return self._pools.setdefault(name, Pool(name))

    def invoke(
        self,
        code: FunctionCode,
        event: Any,
        request_id: str | None = None,
        with_logs: bool = False,
    ) -> Invocation:
        """Run `code`'s handler once with `event` in a warm worker (or a cold one);
        `with_logs`: the invocation's log lines too."""
        request_id = request_id or str(uuid.uuid4())
        pool = self.pool(code.name)
        worker, room = pool.take(code, wait=float(code.timeout))
        if worker is None and not room:
            error = {
                "errorType": "TooManyRequestsException",
                "errorMessage": "Rate Exceeded.",
                "stackTrace": [],
            }
            return Invocation(False, error=error, request_id=request_id)
        cold = worker is None
        if worker is None:
            worker = Worker(code, self.environment(code), self.sink, self.log_errors)
            pool.add_busy(worker)
            ready = worker.start()
            if not ready.get("ready"):
                error = {k: ready.get(k) for k in ("errorType", "errorMessage", "stackTrace")}
                self.sink(code, worker.stream, _init_error_line(error))
                pool.give_back(worker, reusable=False)
                return Invocation(False, error=error, request_id=request_id)
        try:
            result = worker.invoke(event, request_id, cold, code.timeout)
        except OSError as exc:  # the child closed its pipe between two invocations
            error = {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"The function's process is gone ({exc.strerror}).",
                "stackTrace": [],
            }
            result = Invocation(False, error=error, request_id=request_id)
        if with_logs:
            result.logs = worker.logs()
        pool.give_back(worker, reusable=worker.alive())
        return result

    def stop(self) -> None:
        """Kill every worker (the emulator is stopping)."""
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.stop()


def _init_error_line(error: dict) -> str:
    trace = "".join(error.get("stackTrace") or [])
    line = f"[ERROR] {error.get('errorType')}: {error.get('errorMessage')}"
    return f"{line}\nTraceback (most recent call last):\n{trace}" if trace else line
