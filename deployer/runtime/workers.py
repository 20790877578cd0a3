"""Warm workers for Lambda functions: each a long-lived child Python running
`deployer/runtime/bootstrap.py`, like a Lambda execution environment.

A `Runtime` keeps one `Pool` per function. A pool starts workers on demand, up to the
function's concurrency, reuses idle ones (a cold start happens once per worker), and
retires them when the function's code or configuration changes (`FunctionCode.fingerprint`).
The function's timeout is enforced: a worker that does not
answer in time is killed and the invocation is a `Sandbox.Timedout` error; a worker that
exits mid-invocation is a `Runtime.ExitError`. Either way the next invocation gets a new
worker. What a function prints goes, line by line, to the runtime's `LogSink` with
Lambda's START / END / REPORT lines around each invocation.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployer.runtime.bootstrap import END_MARKER

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
# Lambda's init phase has its own limit (10 s) on top of the function's timeout.
INIT_TIMEOUT_SECONDS = 10.0
# CloudWatch Logs takes events up to 256 KB; longer lines are cut, never buffered whole.
MAX_LOG_LINE = 256 * 1024
DEFAULT_CONCURRENCY = 4

LogSink = Callable[["FunctionCode", str, str], None]  # (function, log stream, line)


@dataclass(frozen=True)
class FunctionCode:
    """One function version as a worker runs it."""

    name: str
    arn: str
    handler: str
    timeout: int  # seconds
    memory: int
    code_paths: tuple[str, ...]
    extra_paths: tuple[str, ...] = ()
    environment: dict[str, str] = field(default_factory=dict)
    version: str = "$LATEST"
    concurrency: int = DEFAULT_CONCURRENCY
    log_group: str = ""
    runtime: str = "python3.12"

    @property
    def fingerprint(self) -> str:
        """What must match for a worker to serve this function (code and configuration;
        the timeout is per invocation)."""
        return json.dumps(
            [
                self.handler,
                self.memory,
                self.code_paths,
                self.extra_paths,
                sorted(self.environment.items()),
                self.version,
            ]
        )


@dataclass
class Invocation:
    """The outcome of one invocation."""

    ok: bool
    response: Any = None
    error: dict | None = None
    duration_ms: float = 0.0
    init_ms: float | None = None  # set on a cold start
    request_id: str = ""
    logs: list[str] | None = None  # its log lines, when asked for

    @property
    def timed_out(self) -> bool:
        return bool(self.error) and self.error.get("errorType") == "Sandbox.Timedout"


class Worker:
    """One execution environment: a child process and its three pipes."""

    def __init__(
        self, code: FunctionCode, env: dict[str, str], sink: LogSink, log_errors: bool = True
    ) -> None:
        """`log_errors`: a failed invocation's error goes to the log, as Lambda logs it."""
        self.log_errors = log_errors
        self.code = code
        self.sink = sink
        self.stream = time.strftime("%Y/%m/%d/[$LATEST]", time.gmtime()) + uuid.uuid4().hex
        # request id -> (duration, init duration, error): what its END line needs to close it
        self.pending: dict[str, tuple[float, float | None, dict | None]] = {}
        self._closed = threading.Event()  # the last invocation's END line is written
        self._closed.set()
        self.lines: list[str] = []  # the current invocation's log lines, START to REPORT
        req_read, self._requests = os.pipe()
        self._results, res_write = os.pipe()
        child_env = {**env, "AWS_LAMBDA_LOG_STREAM_NAME": self.stream}
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-u", str(BOOTSTRAP), str(req_read), str(res_write)],
            env=child_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            pass_fds=(req_read, res_write),
            start_new_session=True,  # a timeout kills the worker and whatever it started
        )
        os.close(req_read)
        os.close(res_write)
        self._buffer = b""
        self.exited = False  # its result pipe closed: the process is gone or going
        self.init_ms: float | None = None
        self._reader = threading.Thread(target=self._relay_output, daemon=True)
        self._reader.start()
        spec = {
            "code_paths": list(code.code_paths),
            "extra_paths": list(code.extra_paths),
            "handler": code.handler,
            "function_name": code.name,
            "function_arn": code.arn,
            "memory": code.memory,
            "version": code.version,
            "log_group": code.log_group,
            "log_stream": self.stream,
        }
        self._write(spec)

    # --- the conversation with the child ---------------------------------------------------

    def _write(self, message: dict) -> None:
        data = (json.dumps(message) + "\n").encode()
        view = memoryview(data)
        while view:
            written = os.write(self._requests, view)
            view = view[written:]

    def _read(self, deadline: float) -> dict | None:
        """The next result line, or None on timeout or when the child exited."""
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._results], [], [], left)
            if not ready:
                return None
            chunk = os.read(self._results, 1 << 16)
            if not chunk:
                self.exited = True
                return None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def start(self) -> dict:
        """Wait for the init phase: `{"ready": true, ...}` or the init error."""
        message = self._read(time.monotonic() + INIT_TIMEOUT_SECONDS)
        if message is None:
            self.kill()
            return {
                "ready": False,
                "errorType": "Runtime.ExitError" if self.exited else "Runtime.InitError",
                "errorMessage": "The function's init phase did not finish within "
                f"{INIT_TIMEOUT_SECONDS:.0f} seconds, or its process exited.",
                "stackTrace": [],
            }
        self.init_ms = message.get("init_ms")
        return message

    def invoke(self, event: Any, request_id: str, cold: bool, timeout: int) -> Invocation:
        self._closed.wait(1.0)  # the previous invocation's log lines come first
        self._closed.clear()
        self.lines = []
        self._emit(f"START RequestId: {request_id} Version: $LATEST")
        started = time.monotonic()
        self._write({"request_id": request_id, "event": event, "timeout_ms": timeout * 1000})
        result = self._read(started + timeout)
        duration = (time.monotonic() - started) * 1000
        init = self.init_ms if cold else None
        if result is None:
            timed_out = not self.exited
            if self.exited:  # let it finish exiting, for its exit status
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=2)
            self.kill()
            self._reader.join(timeout=2)  # what it printed comes before why it ended
            if timed_out:
                message = f"Task timed out after {timeout:.2f} seconds"
                error_type = "Sandbox.Timedout"
            else:
                message = (
                    f"RequestId: {request_id} Error: Runtime exited with error: "
                    f"exit status {self.process.returncode}"
                )
                error_type = "Runtime.ExitError"
            self._emit(f"{_now()} {request_id} {message}")
            self._close_invocation(request_id, duration, init)
            error = {"errorType": error_type, "errorMessage": message, "stackTrace": []}
            return Invocation(False, error=error, duration_ms=duration, request_id=request_id)
        if result.get("ok"):
            self.pending[request_id] = (duration, init, None)
            return Invocation(True, result.get("response"), None, duration, init, request_id)
        error = {k: result.get(k) for k in ("errorType", "errorMessage", "stackTrace")}
        self.pending[request_id] = (duration, init, error)
        return Invocation(False, None, error, duration, init, request_id)

    def _close_invocation(self, request_id: str, duration: float, init: float | None) -> None:
        billed = max(1, int(duration + 0.999))
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
            f"Billed Duration: {billed} ms\tMemory Size: {self.code.memory} MB"
        )
        if init is not None:
            report += f"\tInit Duration: {init:.2f} ms"
        self._emit(f"END RequestId: {request_id}")
        self._emit(report)
        self._closed.set()

    def _relay_output(self) -> None:
        """Everything the child prints, line by line, to the sink (never blocks the child)."""
        stdout = self.process.stdout
        assert stdout is not None
        partial = b""
        while True:
            chunk = stdout.read1(1 << 16)
            if not chunk:
                break
            partial += chunk
            *lines, partial = partial.split(b"\n")
            for raw in lines:
                self._line(raw)
            while len(partial) > MAX_LOG_LINE:
                self._line(partial[:MAX_LOG_LINE])
                partial = partial[MAX_LOG_LINE:]
        if partial:
            self._line(partial)

    def _line(self, raw: bytes) -> None:
        text = raw[:MAX_LOG_LINE].decode("utf-8", errors="replace")
        if text.startswith(END_MARKER):
            request_id = text[len(END_MARKER) :].strip()
            for _ in range(100):  # the result may still be on its way
                if request_id in self.pending:
                    break
                time.sleep(0.01)
            duration, init, error = self.pending.pop(request_id, (0.0, None, None))
            if error and self.log_errors:
                self._emit(_error_lines(error))
            self._close_invocation(request_id, duration, init)
            return
        self._emit(text)

    def _emit(self, line: str) -> None:
        self.lines.append(line)
        self.sink(self.code, self.stream, line)

    def logs(self, wait: float = 1.0) -> list[str]:
        """The lines of the invocation that just ended, once its REPORT line is written."""
        self._closed.wait(wait)
        return list(self.lines)

    # --- life and death ----------------------------------------------------------------------

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        for fd in (self._requests, self._results):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._requests = self._results = -1

    def stop(self) -> None:
        """Close its requests pipe: the child's loop ends; kill it if it lingers."""
        with contextlib.suppress(OSError):
            os.close(self._requests)
        self._requests = -1
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=2)
        self.kill()


def _error_lines(error: dict) -> str:
    """What Lambda's runtime logs for a failed invocation: the error and the user's trace."""
    line = f"[ERROR] {error.get('errorType')}: {error.get('errorMessage')}"
    trace = "".join(error.get("stackTrace") or []).rstrip("\n")
    return f"{line}\nTraceback (most recent call last):\n{trace}" if trace else line


def _now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
