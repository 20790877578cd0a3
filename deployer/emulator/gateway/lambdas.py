"""The emulator's Lambda functions, run for real: code and configuration read from moto's
Lambda state on every invocation, run by the warm workers of `deployer.runtime`, and
their output written to their CloudWatch log group in the emulator.

Each function's deployment package (moto keeps the zip it was given, from S3 or
inline) is unpacked once per content under `<state dir>/lambda/`. A new package
(UpdateFunctionCode) or configuration gives a new `FunctionCode.fingerprint`, so the next
invocation runs on a fresh worker. Inside the function, boto3 reaches the emulator
(`AWS_ENDPOINT_URL`, test credentials), as a Lambda in the account reaches AWS.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from moto.awslambda.utils import get_backend as lambda_backend
from moto.logs.models import logs_backends

from deployer.emulator.gateway.events import ACCOUNT_ID
from deployer.emulator.state import FUNCTIONS_LOG
from deployer.runtime import (
    DEFAULT_CONCURRENCY,
    FunctionCode,
    Invocation,
    Runtime,
    lambda_variables,
    unpack_package,
)

_INVOKE_ARN = re.compile(
    r"^arn:aws[\w-]*:apigateway:[\w-]+:lambda:path/[\d-]+/functions/(.+)/invocations$"
)


class FunctionNotFound(LookupError):
    """The integration names a function the emulator does not have."""


def function_arn(uri: str) -> str:
    """The function ARN (or name) an integration or authorizer URI points at."""
    match = _INVOKE_ARN.match(uri or "")
    return match.group(1) if match else uri


def _region_of(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 4 and parts[0] == "arn" else default


class Functions:
    """Every function of the emulator, invocable."""

    def __init__(self, state_dir: Path, endpoint: str) -> None:
        self.state_dir = state_dir
        self.endpoint = endpoint
        self.runtime = Runtime(self._environment, self._log)
        self._unpacked: dict[tuple[str, str], tuple[Path, Path]] = {}
        self._lock = threading.Lock()
        self._log_lock = threading.Lock()
        self._terminal = None

    # --- finding and describing a function -------------------------------------------------

    def find(self, name_or_arn: str, region: str) -> Any:
        """moto's LambdaFunction, or FunctionNotFound."""
        arn = function_arn(name_or_arn)
        backend = lambda_backend(ACCOUNT_ID, _region_of(arn, region))
        try:
            return backend.get_function(arn)
        except Exception:  # moto raises its own not-found errors
            raise FunctionNotFound(arn) from None

    def code(self, fn: Any) -> FunctionCode:
        code_dir, deps_dir = self._package(fn)
        return FunctionCode(
            name=fn.function_name,
            arn=fn.function_arn,
            handler=fn.handler or "",
            timeout=int(fn.timeout or 3),
            memory=int(fn.memory_size or 128),
            code_paths=(str(code_dir),),
            extra_paths=(str(deps_dir),),
            environment=dict(fn.environment_vars or {}),
            concurrency=int(fn.reserved_concurrency or DEFAULT_CONCURRENCY),
            log_group=_log_group(fn),
            runtime=fn.run_time or "python3.12",
        )

    def _package(self, fn: Any) -> tuple[Path, Path]:
        key = (fn.function_arn, fn.code_sha_256)
        with self._lock:
            found = self._unpacked.get(key)
        if found is not None:
            return found
        code = fn.code_bytes or b""
        digest = hashlib.sha256(code).hexdigest()[:16]
        target = self.state_dir / "lambda" / f"{fn.function_name}-{digest}"
        found = unpack_package(code, target)
        with self._lock:
            self._unpacked[key] = found
        return found

    # --- running it ------------------------------------------------------------------------

    def invoke(
        self, fn: Any, event: Any, timeout: float | None = None, with_logs: bool = False
    ) -> Invocation:
        """Run the function once; `timeout` (seconds) may cut its own timeout shorter."""
        code = self.code(fn)
        if timeout is not None and timeout < code.timeout:
            code = replace(code, timeout=max(1, int(timeout)))
        return self.runtime.invoke(code, event, with_logs=with_logs)

    def stop(self) -> None:
        self.runtime.stop()
        if self._terminal is not None:
            with contextlib.suppress(OSError):
                self._terminal.close()

    def _environment(self, code: FunctionCode) -> dict[str, str]:
        region = _region_of(code.arn, "us-east-1")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": ":UTC",
        }
        env.update(code.environment)
        env.update(lambda_variables(code, region))
        env.update(
            {
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_ENDPOINT_URL": self.endpoint,
                "LAMBDA_RUNTIME_DIR": str(Path(sys.executable).parent),
            }
        )
        return env

    # --- its logs --------------------------------------------------------------------------

    def _log(self, code: FunctionCode, stream: str, line: str) -> None:
        """One line of a function's output: to its log group, and to functions.log."""
        now = int(time.time() * 1000)
        region = _region_of(code.arn, "us-east-1")
        with self._log_lock:
            try:
                logs = logs_backends[ACCOUNT_ID][region]
                if code.log_group not in logs.groups:
                    logs.create_log_group(code.log_group, {})
                group = logs.groups[code.log_group]
                if stream not in group.streams:
                    logs.create_log_stream(code.log_group, stream)
                logs.put_log_events(code.log_group, stream, [{"timestamp": now, "message": line}])
            except Exception as exc:  # a log that cannot be kept never fails the invocation
                print(f"deployer emulator: log of {code.name} not kept: {exc}", flush=True)
            try:
                if self._terminal is None:
                    self._terminal = open(  # noqa: SIM115 - kept open for the server's life
                        self.state_dir / FUNCTIONS_LOG, "a", encoding="utf-8", buffering=1
                    )
                short = code.name
                for text in line.splitlines() or [""]:
                    self._terminal.write(f"{short} | {text}\n")
            except OSError:
                pass


def _log_group(fn: Any) -> str:
    logging_config = getattr(fn, "logging_config", None) or {}
    return logging_config.get("LogGroup") or f"/aws/lambda/{fn.function_name}"
