"""A warm Lambda execution environment: the child process of a function's worker.

Standard library only, started with `python -I bootstrap.py REQUEST_FD RESULT_FD`, with
the function's environment variables and its stdout/stderr on one pipe to the parent
(`deployer/runtime/workers.py`). Like Lambda's Python runtime it imports the handler once
(the init phase, a cold start) and then runs one invocation at a time for as long as it
lives, so module-level state persists between invocations.

The parent writes JSON lines to REQUEST_FD: first the init spec (`code_paths`,
`extra_paths`, `handler`, `function_name`, `function_arn`, `memory`, `version`,
`log_group`, `log_stream`), then one invocation per line (`request_id`, `event`,
`timeout_ms`). The worker answers JSON lines on RESULT_FD: `{"ready": true, "init_ms"}`
or `{"ready": false, <error>}` once, then per invocation `{"ok": true, "response"}` or
Lambda's error shape `{"ok": false, "errorType", "errorMessage", "stackTrace"}`, with
the stack trace holding only the user's frames. After each invocation it prints
`END_MARKER <request id>` on stdout, so the parent can close the invocation's log lines.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import traceback
from pathlib import Path

END_MARKER = "\x00deployer-invocation-end"
HERE = Path(__file__).resolve()


class LambdaContext:
    """The attributes and method of the context object Lambda's Python runtime passes."""

    def __init__(self, spec: dict, request_id: str, timeout_ms: int) -> None:
        self.function_name = spec["function_name"]
        self.function_version = spec.get("version", "$LATEST")
        self.invoked_function_arn = spec["function_arn"]
        self.memory_limit_in_mb = int(spec["memory"])
        self.aws_request_id = request_id
        self.log_group_name = spec["log_group"]
        self.log_stream_name = spec["log_stream"]
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_ms / 1000.0

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _RequestIdFilter(logging.Filter):
    """Adds the current request id to every record, as Lambda's log handler does."""

    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _install_lambda_logging() -> _RequestIdFilter:
    """The root handler Lambda's runtime installs: `[LEVEL] time request-id message`."""
    request_ids = _RequestIdFilter()
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S",
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(request_ids)
    logging.getLogger().addHandler(handler)
    return request_ids


def user_frames(exc: BaseException) -> list[str]:
    """The formatted traceback without this bootstrap's own frames."""
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve() != HERE
    ]
    return traceback.format_list(frames)


def error_of(exc: BaseException, error_type: str | None = None) -> dict:
    return {
        "ok": False,
        "errorType": error_type or type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": user_frames(exc),
    }


def load_handler(spec: dict):
    """Import the handler (the init phase); raises what the import raises."""
    sys.path[:0] = spec["code_paths"]
    sys.path.extend(spec.get("extra_paths", []))
    os.chdir(spec["code_paths"][0])  # Lambda runs handlers from the task root
    module_name, _, func_name = spec["handler"].rpartition(".")
    if not module_name:
        raise ValueError(f"Bad handler {spec['handler']!r}: expected module.function")
    module = importlib.import_module(module_name.replace("/", "."))
    try:
        return getattr(module, func_name)
    except AttributeError:
        raise AttributeError(f"Handler {func_name!r} missing on module {module_name!r}") from None


def invoke(handler, spec: dict, request: dict) -> dict:
    """Call the handler once; never raises."""
    context = LambdaContext(spec, request["request_id"], int(request["timeout_ms"]))
    try:
        response = handler(request["event"], context)
    except Exception as exc:
        return error_of(exc)
    try:
        json.dumps(response)  # Lambda must serialise the response, so must we
    except (TypeError, ValueError) as exc:
        return {
            "ok": False,
            "errorType": "Runtime.MarshalError",
            "errorMessage": f"Unable to marshal response: {exc}",
            "stackTrace": [],
        }
    return {"ok": True, "response": response}


def _send(out, message: dict) -> None:
    out.write(json.dumps(message, default=str) + "\n")
    out.flush()


def main(argv: list[str]) -> int:
    # Our own folder is sys.path[0] when started as a script: the function never sees it.
    if sys.path and Path(sys.path[0]).resolve() == HERE.parent:
        del sys.path[0]
    requests = os.fdopen(int(argv[0]), "r", encoding="utf-8")
    results = os.fdopen(int(argv[1]), "w", encoding="utf-8")
    spec = json.loads(requests.readline())
    request_ids = _install_lambda_logging()
    started = time.monotonic()
    try:
        handler = load_handler(spec)
    except Exception as exc:
        error = error_of(exc)
        if isinstance(exc, ImportError):  # what Lambda's runtime answers
            module = spec["handler"].rpartition(".")[0]
            error["errorType"] = "Runtime.ImportModuleError"
            error["errorMessage"] = f"Unable to import module '{module}': {exc}"
        _send(results, {"ready": False, **error})
        return 1
    _send(results, {"ready": True, "init_ms": round((time.monotonic() - started) * 1000, 2)})
    for line in requests:
        request = json.loads(line)
        request_ids.request_id = request["request_id"]
        result = invoke(handler, spec, request)
        sys.stdout.flush()
        sys.stderr.flush()
        print(f"{END_MARKER} {request['request_id']}", flush=True)
        _send(results, result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
