"""Lambda's Invoke API in the emulator runs the function (moto's Docker-free backend only
echoed the event back, a false success for any client that calls a function).

- `RequestResponse` (the default): the handler's result as the payload; a failed
  invocation answers 200 with `X-Amz-Function-Error: Unhandled` and Lambda's error
  payload (`errorMessage`, `errorType`, `requestId`, `stackTrace`), as AWS does;
  `LogType: Tail` adds the last 4 KB of the invocation's log, base64, in
  `X-Amz-Log-Result`.
- `Event`: 202 at once; the function runs in the background.
- `DryRun`: 204, nothing runs.
A payload that is not JSON is refused with `InvalidRequestContentException`, as on AWS.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from typing import Any

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda_simple.models import LambdaSimpleBackend

from deployer.emulator.gateway.lambdas import Functions

LOG_TAIL_BYTES = 4096


class InvalidRequestContent(LambdaClientError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidRequestContentException", message)


def install(functions: Callable[[], Functions]) -> None:
    """Make the emulator's Lambda Invoke run the function through `functions()`."""
    if getattr(LambdaSimpleBackend.invoke, "deployer_runs", False):
        return

    def invoke(
        self: Any,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> bytes:
        fn = self.get_function(function_name, qualifier)
        kind = headers.get("X-Amz-Invocation-Type", "RequestResponse")
        if kind == "DryRun":
            return b""
        try:
            event = json.loads(body) if body else {}
        except ValueError as exc:
            raise InvalidRequestContent(f"Could not parse request body into json: {exc}") from None
        runner = functions()
        if kind == "Event":
            threading.Thread(target=runner.invoke, args=(fn, event), daemon=True).start()
            return b""
        tail = headers.get("X-Amz-Log-Type") == "Tail"
        result = runner.invoke(fn, event, with_logs=tail)
        if tail and result.logs is not None:
            text = "\n".join(result.logs).encode("utf-8")[-LOG_TAIL_BYTES:]
            response_headers["x-amz-log-result"] = base64.b64encode(text).decode()
        response_headers["x-amz-executed-version"] = fn.version
        if result.ok:
            return json.dumps(result.response).encode("utf-8")
        response_headers["x-amz-function-error"] = "Unhandled"
        error = dict(result.error or {})
        if result.timed_out:
            error["errorMessage"] = (
                f"RequestId: {result.request_id} Error: {error.get('errorMessage')}"
            )
        error["requestId"] = result.request_id
        return json.dumps(error).encode("utf-8")

    invoke.deployer_runs = True  # type: ignore[attr-defined]
    LambdaSimpleBackend.invoke = invoke
