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

import json
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from deployer.aws import client, environment
from deployer.common import DeployerError, UserInputError, did_you_mean, run_captured
from deployer.config import Project, get_environment
from deployer.functions import SHARED_DIR, load_functions

RUNNER = Path(__file__).with_name("runner.py")
# Lambda's init phase has its own limit (10 s) on top of the function's timeout.
INIT_ALLOWANCE_SECONDS = 10
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


def deployed_name(project: Project, env_name: str, function: str) -> str:
    """The Lambda function name the root stack gives a function: `<app>-<env>-<name>`."""
    return f"{project.settings.app}-{env_name}-{function}"


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
            "content-type": "application/json",
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
    if method in ("POST", "PUT", "PATCH"):
        event["body"] = "{}"
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
    """The function's built zip, unpacked once per content: a last resort for imports."""
    zip_path = project.build_dir / f"{function}.zip"
    if not zip_path.is_file():
        return []
    stat = zip_path.stat()
    target = project.work_dir / "invoke" / f"{function}-{stat.st_size}-{stat.st_mtime_ns}"
    if not target.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        for old in target.parent.glob(f"{function}-*"):
            _remove_tree(old)
        staging = Path(tempfile.mkdtemp(prefix=f".{function}-", dir=target.parent))
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(staging)
        os.replace(staging, target)
    return [str(target)]


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _child_environment(
    environ: dict[str, str], config: dict, function_env: dict[str, str], task_root: Path
) -> dict[str, str]:
    env = {k: v for k, v in environ.items() if not k.startswith("DEPLOYER_")}
    env.update(function_env)
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or ""
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": config["FunctionName"],
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.get("MemorySize", 128)),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{config['FunctionName']}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.get('Runtime', 'python')}",
            "LAMBDA_TASK_ROOT": str(task_root),
            "_HANDLER": config.get("Handler", ""),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if region:
        env.setdefault("AWS_REGION", region)
        env.setdefault("AWS_DEFAULT_REGION", region)
    return env


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
    timeout = int(config.get("Timeout") or spec.timeout)
    run_spec = {
        "code_paths": code_paths,
        "extra_paths": _packaged_code(project, spec.name),
        "handler": spec.handler,
        "event": event,
        "function_name": name,
        "function_arn": config.get("FunctionArn", ""),
        "memory": config.get("MemorySize", spec.memory),
        "timeout": timeout,
    }
    child_env = _child_environment(environ, config, function_env, spec.folder)
    return run_handler(spec.name, name, run_spec, child_env, timeout, log)


def run_handler(
    function: str,
    name: str,
    run_spec: dict,
    child_env: dict[str, str],
    timeout: int,
    log: TextIO | None = None,
) -> InvokeResult:
    """Run the handler `run_spec` names in a child Python with `child_env`, within `timeout`.

    The function's own output (prints, logs) goes to `log` (default stderr) as it comes.
    """
    log = log or sys.stderr
    with tempfile.TemporaryDirectory(prefix="deployer-invoke-") as tmp:
        spec_path, result_path = Path(tmp) / "spec.json", Path(tmp) / "result.json"
        spec_path.write_text(json.dumps(run_spec), encoding="utf-8")
        cmd = [sys.executable, "-I", str(RUNNER), str(spec_path), str(result_path)]
        try:
            out_fd: int | None = log.fileno()
        except (AttributeError, OSError, ValueError):
            out_fd = None  # no real file (e.g. a test runner): relay it afterwards
        started = time.monotonic()
        proc = run_captured(
            cmd,
            env=child_env,
            timeout=timeout + INIT_ALLOWANCE_SECONDS,
            output_fd=out_fd,
            combine=True,  # prints and log records, in the order the function made them
        )
        duration_ms = int((time.monotonic() - started) * 1000)
        _relay(proc.stdout, log)
        if proc.timed_out:
            return InvokeResult(
                function,
                name,
                ok=False,
                error={
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"Task timed out after {timeout} seconds",
                    "stackTrace": [],
                },
                duration_ms=duration_ms,
            )
        try:
            result = json.loads(result_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result = {
                "ok": False,
                "errorType": "Runtime.ExitError",
                "errorMessage": f"The function's process exited with code {proc.returncode} "
                "before returning (it may have called sys.exit or crashed).",
                "stackTrace": [],
            }
    if result.get("ok"):
        return InvokeResult(
            function, name, True, response=result.get("response"), duration_ms=duration_ms
        )
    error = {k: result.get(k) for k in ("errorType", "errorMessage", "stackTrace")}
    return InvokeResult(function, name, False, error=error, duration_ms=duration_ms)


def _relay(output: str, log: TextIO) -> None:
    if output:
        log.write(output)
        log.flush()
