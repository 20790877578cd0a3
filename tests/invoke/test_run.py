"""`deployer invoke`: a handler run here, with its deployed environment, against the emulator."""

from __future__ import annotations

import io
import json
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from helpers.backend_projects import write_env_project
from typer.testing import CliRunner

from deployer.aws.clients import client
from deployer.aws.process_env import environment
from deployer.cli import app
from deployer.common.errors import UserInputError
from deployer.config.project import Project
from deployer.emulator.control import stop
from deployer.invoke.run import default_event, invoke, load_event, run_handler
from deployer.runtime import FunctionCode

TABLE = "demo-local-things"

FUNCTIONS = {
    "writer": (
        '[[routes]]\nroute = "POST /things"\nauth = "default"\nscopes = ["things:write"]\n',
        """
        import json, os
        import boto3
        from shared_util import stamp

        def handler(event, context):
            body = json.loads(event["body"])
            item = {"id": body["id"], "name": body["name"], "by": stamp(context)}
            boto3.resource("dynamodb").Table(os.environ["TABLE_THINGS"]).put_item(Item=item)
            print("stored", item["id"])
            return {"statusCode": 201, "body": json.dumps(item)}
        """,
    ),
    "boom": (
        '[[routes]]\nroute = "GET /boom/{id}"\nauth = "none"\n',
        """
        def _check(value):
            raise ValueError(f"bad value {value!r}")

        def handler(event, context):
            _check(event.get("pathParameters", {}).get("id"))
        """,
    ),
}


def write_project(root: Path) -> Project:
    backends = {
        env: f'bucket = "demo-{env}-tfstate"\nkey = "{env}/terraform.tfstate"\n'
        'region = "eu-west-1"\nuse_path_style = true\n'
        for env in ("local", "prod")
    }
    project = write_env_project(root, 'app = "demo"\nprotected = ["prod"]\n', backends)
    shared = root / "lambda_src" / "_shared"
    shared.mkdir(parents=True)
    (shared / "shared_util.py").write_text(
        "def stamp(context):\n    return context.function_name\n", encoding="utf-8"
    )
    for name, (routes, code) in FUNCTIONS.items():
        folder = root / "lambda_src" / name
        folder.mkdir()
        (folder / "function.toml").write_text(
            f'handler = "handler.handler"\ntimeout = 5\n{routes}', encoding="utf-8"
        )
        (folder / "handler.py").write_text(textwrap.dedent(code), encoding="utf-8")
    return project


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(e, c):\n    return None\n")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """A project whose functions exist in the emulator, as `apply local` would leave them."""
    project = write_project(tmp_path_factory.mktemp("invoke") / "proj")
    env = environment(project, "local")
    client(env, "dynamodb").create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = client(env, "iam").create_role(
        RoleName="demo-local-fn", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]["Arn"]
    lam = client(env, "lambda")
    for name in FUNCTIONS:
        lam.create_function(
            FunctionName=f"demo-local-{name}",
            Runtime="python3.12",
            Role=role,
            Handler="handler.handler",
            Code={"ZipFile": _zip()},
            Timeout=5,
            Environment={"Variables": {"TABLE_THINGS": TABLE, "LOG_LEVEL": "DEBUG"}},
        )
    yield project, env
    stop(project)


def post_event(item: dict) -> dict:
    event = default_event("POST /things", ("things:write",), "default")
    event["body"] = json.dumps(item)
    event["headers"]["content-type"] = "application/json"
    return event


# --- against the emulator --------------------------------------------------------------------


def test_handler_writes_to_the_emulators_table(deployed):
    project, env = deployed
    log = io.StringIO()
    result = invoke(project, "local", "writer", post_event({"id": "a1", "name": "x"}), log=log)
    assert result.ok, result.error
    assert result.function_name == "demo-local-writer"
    assert result.response["statusCode"] == 201
    assert json.loads(result.response["body"])["by"] == "demo-local-writer"
    assert "stored a1" in log.getvalue()  # the function's own output is relayed

    item = client(env, "dynamodb").get_item(TableName=TABLE, Key={"id": {"S": "a1"}})["Item"]
    assert item["name"] == {"S": "x"}


def test_user_error_shows_the_users_traceback_only(deployed):
    project, _ = deployed
    result = invoke(project, "local", "boom", log=io.StringIO())
    assert not result.ok
    assert result.error["errorType"] == "ValueError"
    assert result.error["errorMessage"] == "bad value 'example-id'"
    trace = "".join(result.error["stackTrace"])
    assert "in handler" in trace and "in _check" in trace
    assert "bootstrap.py" not in trace  # the runtime's own frames (deployer/runtime/)


def test_cli_invoke_prints_the_response_and_exit_codes(deployed, tmp_path, monkeypatch):
    project, env = deployed
    monkeypatch.chdir(project.root)
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(post_event({"id": "cli-1", "name": "y"})))
    runner = CliRunner()

    ok = runner.invoke(app, ["invoke", "local", "writer", "--event", str(event_file), "--json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert data["ok"] and data["response"]["statusCode"] == 201

    from_stdin = runner.invoke(
        app,
        ["invoke", "local", "writer", "--event", "-"],
        input=json.dumps(post_event({"id": "cli-2", "name": "z"})),
    )
    assert from_stdin.exit_code == 0, from_stdin.output
    assert json.loads(from_stdin.stdout)["statusCode"] == 201

    failed = runner.invoke(app, ["invoke", "local", "boom"])
    assert failed.exit_code == 1
    assert "boom failed" in failed.stderr and "ValueError: bad value" in failed.stderr
    assert "Traceback of the function's code" in failed.stderr
    assert "Traceback (most recent call last)" not in failed.stderr.split("function's code")[0]

    table = client(env, "dynamodb")
    for key in ("cli-1", "cli-2"):
        assert table.get_item(TableName=TABLE, Key={"id": {"S": key}}).get("Item")


def test_function_not_deployed_or_unknown(deployed, monkeypatch):
    project, env = deployed
    client(env, "lambda").delete_function(FunctionName="demo-local-boom")
    try:
        with pytest.raises(UserInputError, match=r"demo-local-boom does not exist.*apply local"):
            invoke(project, "local", "boom")
    finally:
        client(env, "lambda").create_function(
            FunctionName="demo-local-boom",
            Runtime="python3.12",
            Role=client(env, "iam").get_role(RoleName="demo-local-fn")["Role"]["Arn"],
            Handler="handler.handler",
            Code={"ZipFile": _zip()},
        )
    with pytest.raises(UserInputError, match=r"No function named 'writter'.*writer"):
        invoke(project, "local", "writter")


def test_protected_environments_are_refused(deployed):
    project, _ = deployed
    with pytest.raises(UserInputError, match="'prod' is a protected environment"):
        invoke(project, "prod", "writer")


# --- the runner, without AWS -----------------------------------------------------------------


def run_code(tmp_path: Path, code: str, timeout: int = 5, event: dict | None = None):
    folder = tmp_path / "fn"
    folder.mkdir(exist_ok=True)
    (folder / "handler.py").write_text(textwrap.dedent(code), encoding="utf-8")
    code = FunctionCode(
        name="demo-local-fn",
        arn="arn:aws:lambda:eu-west-1:123456789012:function:demo-local-fn",
        handler="handler.handler",
        timeout=timeout,
        memory=128,
        code_paths=(str(folder),),
    )
    return run_handler("fn", code, event or {}, {"PATH": "/usr/bin:/bin"}, io.StringIO())


def test_runner_gives_a_lambda_like_context(tmp_path: Path):
    result = run_code(
        tmp_path,
        """
        import os
        def handler(event, context):
            return {
                "name": context.function_name,
                "memory": context.memory_limit_in_mb,
                "remaining_ok": 0 < context.get_remaining_time_in_millis() <= 5000,
                "cwd_is_task_root": os.getcwd() == os.path.dirname(__file__),
                "event": event,
            }
        """,
        event={"k": 1},
    )
    assert result.ok
    assert result.response == {
        "name": "demo-local-fn",
        "memory": 128,
        "remaining_ok": True,
        "cwd_is_task_root": True,
        "event": {"k": 1},
    }


def test_runner_times_out(tmp_path: Path):
    result = run_code(tmp_path, "import time\ndef handler(e, c):\n    time.sleep(60)\n", timeout=1)
    assert not result.ok
    assert result.error["errorMessage"] == "Task timed out after 1.00 seconds"


def test_runner_reports_unserialisable_responses_and_exits(tmp_path: Path):
    marshal = run_code(tmp_path, "def handler(e, c):\n    return {1, 2}\n")
    assert marshal.error["errorType"] == "Runtime.MarshalError"
    exited = run_code(tmp_path, "import sys\ndef handler(e, c):\n    sys.exit(3)\n")
    assert exited.error["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in exited.error["errorMessage"]
    missing = run_code(tmp_path, "import no_such_module_here\ndef handler(e, c):\n    pass\n")
    assert missing.error["errorType"] == "Runtime.ImportModuleError"  # as Lambda names it
    assert "no_such_module_here" in missing.error["errorMessage"]


# --- events ----------------------------------------------------------------------------------


def test_default_event_for_a_route_with_path_parameters():
    event = default_event("GET /items/{id}", ("items:read",), "default")
    assert event["version"] == "2.0" and event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/example-id"
    assert event["pathParameters"] == {"id": "example-id"}
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["authorizer"]["jwt"]["scopes"] == ["items:read"]
    assert "body" not in event

    public = default_event("POST /files/{path+}")
    assert public["rawPath"] == "/files/example/path"
    # A request without a body has no `body` and no content type, POST or not (API Gateway).
    assert "body" not in public and "content-type" not in public["headers"]
    assert "authorizer" not in public["requestContext"]
    assert default_event("$default")["rawPath"] == "/"


def test_load_event_errors_name_the_source(tmp_path: Path, monkeypatch):
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(UserInputError, match=r"--event .*bad\.json: not valid JSON"):
        load_event(str(bad))
    with pytest.raises(UserInputError, match="cannot read it"):
        load_event(str(tmp_path / "missing.json"))
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"a": 1}'))
    assert load_event("-") == {"a": 1}
