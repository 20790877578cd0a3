"""Runs one Lambda handler in a fresh interpreter: the child process of `deployer invoke`.

Standard library only, and started with `python -I`, so the function sees a sys.path
of its own code first (function folder, `_shared`), then the interpreter's packages,
then its built package; the parent passes a spec file and reads a result file:

    python -I runner.py <spec.json> <result.json>

The result is `{"ok": true, "response": ...}` or Lambda's error shape
`{"ok": false, "errorType", "errorMessage", "stackTrace"}`, where the stack trace holds
only the user's frames.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
import uuid
from pathlib import Path


class LambdaContext:
    """The attributes and method of the context object Lambda's Python runtime passes."""

    def __init__(self, spec: dict) -> None:
        self.function_name = spec["function_name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec["function_arn"]
        self.memory_limit_in_mb = int(spec["memory"])
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + float(spec["timeout"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _user_frames(exc: BaseException) -> list[str]:
    """The formatted traceback without this runner's own frames."""
    here = Path(__file__).resolve()
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve() != here
    ]
    return traceback.format_list(frames)


def run(spec: dict) -> dict:
    """Import the handler and call it with the event; never raises."""
    sys.path[:0] = spec["code_paths"]
    sys.path.extend(spec.get("extra_paths", []))
    os.chdir(spec["code_paths"][0])  # Lambda runs handlers from the task root
    module_name, _, func_name = spec["handler"].rpartition(".")
    try:
        handler = getattr(importlib.import_module(module_name), func_name)
        response = handler(spec["event"], LambdaContext(spec))
    except Exception as exc:
        return {
            "ok": False,
            "errorType": type(exc).__name__,
            "errorMessage": str(exc),
            "stackTrace": _user_frames(exc),
        }
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


def main(argv: list[str]) -> int:
    spec_path, result_path = argv
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    result = run(spec)
    sys.stdout.flush()
    sys.stderr.flush()
    Path(result_path).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
