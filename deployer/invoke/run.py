"""`deployer invoke <env> <function>`: run a function's handler here, against the environment.

The handler runs from the current sources (the function folder, then `lambda_src/_shared`)
in a child Python process (`deployer/invoke/runner.py`), with the environment variables
of the function as deployed (GetFunctionConfiguration) and boto3 pointed at the same
environment (on `local`: the emulator, fake credentials). Third-party packages come from
the Python running the deployer first, then from the function's built zip, so pure-Python
dependencies the host lacks still import. An exception in the handler is the function's
error (its traceback, user frames only, is shown as such), not a deployer failure.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from deployer.aws import client, environment
from deployer.common import DeployerError, UserInputError, did_you_mean
from deployer.config import Project, get_environment
from deployer.functions import SHARED_DIR, deployed_name, load_functions
from deployer.runtime import FunctionCode, Runtime, lambda_variables, unpack_package

SAMPLE_SUBJECT = "local-invoke"


@dataclass
class InvokeResult:
    """What the handler returned, or the error it raised."""

    function: str
    function_name: str
    ok: bool
    response: Any = None
    error: dict | None = None
    duration_ms: int = 0

    def as_dict(self) -> dict:
        data: dict[str, Any] = {
            "function": self.function,
            "function_name": self.function_name,
            "ok": self.ok,
            "duration_ms": self.duration_ms,
        }
        if self.ok:
            data["response"] = self.response
        else:
            data["error"] = self.error
        return data


# --- events ----------------------------------------------------------------------------------


def _sample_path(path: str) -> tuple[str, dict[str, str]]:
    params: dict[str, str] = {}

    def fill(match: re.Match) -> str:
        name = match.group(1)
        greedy = name.endswith("+")
        name = name.rstrip("+")
        params[name] = "example/path" if greedy else f"example-{name}"
        return params[name]

    return re.sub(r"\{([^}]+)\}", fill, path), params


def default_event(route_key: str | None, scopes: tuple[str, ...] = (), auth: str = "none") -> dict:
    """An API Gateway HTTP API (payload 2.0) event for `route_key` ("POST /items")."""
    if not route_key or route_key == "$default":
        method, path = "GET", "/"
    else:
        method, _, path = route_key.partition(" ")
    raw_path, params = _sample_path(path)
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key or "$default",
        "rawPath": raw_path,
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "host": "localhost",
            "user-agent": "deployer-invoke",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "deployer-invoke",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key or "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if params:
        event["pathParameters"] = params
    # No `body`: API Gateway sends none for a request without one, whatever the method;
    # give one with --event (`"body"`, and a content-type header).
    if auth != "none":
        claims = {"sub": SAMPLE_SUBJECT, "scope": " ".join(scopes)}
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": list(scopes)}}
    return event


def load_event(source: str) -> dict:
    """The event from a file path, or from stdin when `source` is "-"."""
    where = "stdin" if source == "-" else source
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise UserInputError(
            f"--event {source}: cannot read it ({exc.strerror}); give a JSON file or - for stdin."
        ) from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UserInputError(f"--event {where}: not valid JSON ({exc}); fix the event.") from None


# --- the run ---------------------------------------------------------------------------------


def _deployed_configuration(environ: dict[str, str], env_name: str, name: str) -> dict:
    try:
        return client(environ, "lambda").get_function_configuration(FunctionName=name)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code == "ResourceNotFoundException":
            raise UserInputError(
                f"Lambda function {name} does not exist in {env_name!r}: deploy it first "
                f"(deployer apply {env_name})."
            ) from None
        raise DeployerError(
            f"Reading the configuration of {name} failed ({code}: "
            f"{exc.response.get('Error', {}).get('Message')}); check the AWS credentials."
        ) from None
    except BotoCoreError as exc:
        raise DeployerError(f"Cannot reach Lambda to read {name} ({exc}).") from None


def _packaged_code(project: Project, function: str) -> list[str]:
    """The third-party packages built into the function's zip, unpacked once per content:
    a last resort for imports (the sources are the function's own code)."""
    zip_path = project.build_dir / f"{function}.zip"
    if not zip_path.is_file():
        return []
    data = zip_path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:16]
    folder = project.work_dir / "invoke"
    target = folder / f"{function}-{digest}"
    if not target.is_dir():
        for old in folder.glob(f"{function}-*"):
            shutil.rmtree(old, ignore_errors=True)
    _code, deps = unpack_package(data, target)
    return [str(deps)]


def invoke(
    project: Project,
    env_name: str,
    function: str,
    event: dict | None = None,
    log: TextIO | None = None,
) -> InvokeResult:
    """Run `function`'s handler once with `event` (default: a sample of its first route)."""
    env = get_environment(project, env_name)
    if env.protected:
        raise UserInputError(
            f"{env_name!r} is a protected environment: deployer invoke runs code on this "
            "machine with your credentials against its data, so it refuses; use a "
            "non-protected environment."
        )
    specs = {s.name: s for s in load_functions(project)}
    spec = specs.get(function)
    if spec is None:
        raise UserInputError(
            f"No function named {function!r} under lambda_src/{did_you_mean(function, specs)}; "
            f"functions: {', '.join(specs) or 'none'}."
        )
    if event is None:
        first = spec.routes[0] if spec.routes else None
        event = default_event(first.route_key, first.scopes, first.auth) if first else {}

    environ = environment(project, env_name)
    name = deployed_name(project, env_name, spec.name)
    config = _deployed_configuration(environ, env_name, name)
    function_env = (config.get("Environment") or {}).get("Variables") or {}

    code_paths = [str(spec.folder)]
    shared = project.lambda_src / SHARED_DIR
    if shared.is_dir():
        code_paths.append(str(shared))
    code = FunctionCode(
        name=name,
        arn=config.get("FunctionArn", ""),
        handler=spec.handler,
        timeout=int(config.get("Timeout") or spec.timeout),
        memory=int(config.get("MemorySize") or spec.memory),
        code_paths=tuple(code_paths),
        extra_paths=tuple(_packaged_code(project, spec.name)),
        environment=function_env,
        runtime=config.get("Runtime") or spec.runtime,
    )
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or ""
    child_env = {k: v for k, v in environ.items() if not k.startswith("DEPLOYER_")}
    child_env.update(function_env)
    child_env.update(lambda_variables(code, region))
    return run_handler(spec.name, code, event, child_env, log)


def run_handler(
    function: str,
    code: FunctionCode,
    event: Any,
    child_env: dict[str, str],
    log: TextIO | None = None,
) -> InvokeResult:
    """Run `code`'s handler once, cold, in a worker of the Lambda runtime with `child_env`.

    The function's own output (prints, logs) goes to `log` (default stderr) as it comes;
    Lambda's START/END/REPORT lines are left out.
    """
    log = log or sys.stderr

    def relay(_code: FunctionCode, _stream: str, line: str) -> None:
        if not line.startswith(_LAMBDA_LINES):
            log.write(line + "\n")
            log.flush()

    runtime = Runtime(lambda _code: child_env, relay, log_errors=False)  # shown as the result
    try:
        result = runtime.invoke(code, event, with_logs=True)  # every line relayed first
    finally:
        runtime.stop()
    duration_ms = int(result.duration_ms + (result.init_ms or 0))
    if result.ok:
        return InvokeResult(
            function, code.name, True, response=result.response, duration_ms=duration_ms
        )
    error = {k: (result.error or {}).get(k) for k in ("errorType", "errorMessage", "stackTrace")}
    return InvokeResult(function, code.name, False, error=error, duration_ms=duration_ms)


_LAMBDA_LINES = ("START RequestId: ", "END RequestId: ", "REPORT RequestId: ")
