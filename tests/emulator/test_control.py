"""The embedded emulator: its process lifecycle, and each of our additions to moto.

Everything here runs the real server (`python -m deployer.emulator.server serve`) and
talks to it with boto3 over HTTP, as Terraform and the deployer do.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from typer.testing import CliRunner

from deployer.cli import app
from deployer.common.errors import DeployerError, UserInputError
from deployer.config.project import Project, find_project
from deployer.emulator import control as local_emulator
from deployer.emulator.control import ensure_running, status, stop
from deployer.emulator.state import HEALTH_PATH, state_dir

REGION = "eu-west-1"


def make_project(root: Path) -> Project:
    """The smallest project with an emulated environment."""
    (root / "envs").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.deployer]\napp = "demo"\nemulated = ["local"]\n', encoding="utf-8"
    )
    (root / "envs" / "local.tfvars").write_text("", encoding="utf-8")
    (root / "envs" / "local.backend.hcl").write_text(
        f'bucket = "demo-local-tfstate"\nkey = "local/terraform.tfstate"\nregion = "{REGION}"\n'
        "use_lockfile = true\nencrypt = true\nuse_path_style = true\n",
        encoding="utf-8",
    )
    return find_project(root)


def gone(pid: int) -> bool:
    """True when no process `pid` runs any more (a zombie counts as gone)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    return local_emulator._cmdline(pid) is None


@pytest.fixture
def project(tmp_path: Path):
    proj = make_project(tmp_path / "proj")
    yield proj
    stop(proj)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One running emulator shared by the tests of our moto additions."""
    proj = make_project(tmp_path_factory.mktemp("emu") / "proj")
    running = ensure_running(proj)
    yield running
    stop(proj)


def aws(server, service: str, **config):
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(**config) if config else None,
    )


# --- lifecycle -------------------------------------------------------------------------------


def test_start_is_idempotent_and_stop_leaves_no_process(project: Project):
    first = ensure_running(project)
    assert first.running and first.started
    assert first.endpoint == f"http://127.0.0.1:{first.port}"
    saved = json.loads((state_dir(project) / "server.json").read_text())
    assert saved["pid"] == first.pid and saved["port"] == first.port

    again = ensure_running(project)
    assert (again.pid, again.port, again.started) == (first.pid, first.port, False)
    assert status(project).running

    stopped = stop(project)
    assert stopped.note == "stopped" and stopped.pid == first.pid
    assert gone(first.pid)
    assert not (state_dir(project) / "server.json").exists()
    assert not status(project).running
    assert "not running" in stop(project).note  # stopping twice is fine


def test_state_survives_between_commands(project: Project):
    running = ensure_running(project)
    aws(running, "s3").create_bucket(
        Bucket="kept", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    again = ensure_running(project)
    names = [b["Name"] for b in aws(again, "s3").list_buckets()["Buckets"]]
    assert "kept" in names


def test_stale_pid_file_of_an_exited_process_is_replaced(project: Project):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = state_dir(project)
    folder.mkdir(parents=True)
    (folder / "server.json").write_text(json.dumps({"pid": dead.pid, "port": 1}))

    before = status(project)
    assert not before.running and "has exited" in before.note

    started = ensure_running(project)
    assert started.running and started.pid != dead.pid
    assert "stale" in started.note


def test_pid_reused_by_another_program_is_never_touched(project: Project):
    other = subprocess.Popen(["sleep", "60"])
    try:
        folder = state_dir(project)
        folder.mkdir(parents=True)
        (folder / "server.json").write_text(json.dumps({"pid": other.pid, "port": 1}))
        assert "another program" in status(project).note

        started = ensure_running(project)
        assert started.running and started.pid != other.pid
        stop(project)
        assert other.poll() is None  # the unrelated program still runs
    finally:
        other.kill()
        other.wait()


def test_port_in_use_is_a_clear_error(project: Project):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(UserInputError, match=f"Port {port} .* already in use"):
            ensure_running(project, port=port)
    assert not status(project).running


def test_explicit_port_is_used(project: Project):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    running = ensure_running(project, port=port)
    assert running.port == port
    with pytest.raises(UserInputError, match="local stop"):
        ensure_running(project, port=port + 1 if port < 65535 else port - 1)


def test_a_server_that_died_is_reported_and_restarted(project: Project):
    first = ensure_running(project)
    os.kill(first.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not gone(first.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    dead = status(project)
    assert not dead.running and "has exited" in dead.note

    second = ensure_running(project)
    assert second.running and second.pid != first.pid and "stale" in second.note


def test_a_server_that_does_not_answer_is_an_error_not_a_hang(project, monkeypatch):
    running = ensure_running(project)
    os.kill(running.pid, signal.SIGSTOP)
    try:
        monkeypatch.setattr(local_emulator, "START_TIMEOUT", 1.0)
        monkeypatch.setattr(local_emulator, "PROBE_TIMEOUT", 0.5)
        assert "does not answer" in status(project).note
        with pytest.raises(DeployerError, match=r"does not answer.*deployer local stop"):
            ensure_running(project)
    finally:
        os.kill(running.pid, signal.SIGCONT)
    stop(project)
    assert gone(running.pid)


def test_cli_start_status_stop(project: Project, monkeypatch):
    monkeypatch.chdir(project.root)
    runner = CliRunner()
    started = runner.invoke(app, ["local", "start", "--json"])
    assert started.exit_code == 0, started.output
    info = json.loads(started.stdout)
    assert info["running"] and info["endpoint"].startswith("http://127.0.0.1:")

    shown = runner.invoke(app, ["local", "status", "--json"])
    assert json.loads(shown.stdout)["pid"] == info["pid"]

    text = runner.invoke(app, ["local", "status"])
    assert "running" in text.stdout and str(info["port"]) in text.stdout

    stopped = runner.invoke(app, ["local", "stop"])
    assert stopped.exit_code == 0 and "stopped" in stopped.stdout
    assert gone(info["pid"])
    after = runner.invoke(app, ["local", "status", "--json"])
    assert json.loads(after.stdout)["running"] is False


# --- our additions to moto -------------------------------------------------------------------


def test_apigatewayv2_update_stage(server):
    api = aws(server, "apigatewayv2")
    api_id = api.create_api(Name="demo", ProtocolType="HTTP")["ApiId"]
    api.create_stage(
        ApiId=api_id,
        StageName="$default",
        DefaultRouteSettings={"ThrottlingBurstLimit": 10, "ThrottlingRateLimit": 5.0},
    )
    log_arn = f"arn:aws:logs:{REGION}:123456789012:log-group:/demo"
    updated = api.update_stage(
        ApiId=api_id,
        StageName="$default",
        DefaultRouteSettings={"ThrottlingBurstLimit": 20, "ThrottlingRateLimit": 8.0},
        AccessLogSettings={"DestinationArn": log_arn, "Format": "$context.requestId"},
        StageVariables={"mode": "x"},
    )
    assert updated["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 20
    stage = api.get_stage(ApiId=api_id, StageName="$default")
    assert stage["DefaultRouteSettings"] == {
        "ThrottlingBurstLimit": 20,
        "ThrottlingRateLimit": 8.0,
    }
    assert stage["AccessLogSettings"]["DestinationArn"] == log_arn
    assert stage["StageVariables"] == {"mode": "x"}

    api.delete_access_log_settings(ApiId=api_id, StageName="$default")
    assert "AccessLogSettings" not in api.get_stage(ApiId=api_id, StageName="$default")


def test_apigatewayv2_get_authorizers_lists_them(server):
    api = aws(server, "apigatewayv2")
    api_id = api.create_api(Name="auth-demo", ProtocolType="HTTP")["ApiId"]
    created = api.create_authorizer(
        ApiId=api_id,
        Name="jwt",
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": "https://issuer.example.com/", "Audience": ["demo"]},
    )
    (listed,) = api.get_authorizers(ApiId=api_id)["Items"]
    assert listed["AuthorizerId"] == created["AuthorizerId"]
    assert listed["JwtConfiguration"]["Issuer"] == "https://issuer.example.com/"


def test_rds_user_parameters_report_source_user(server):
    rds = aws(server, "rds")
    rds.create_db_parameter_group(
        DBParameterGroupName="demo-pg", DBParameterGroupFamily="postgres16", Description="demo"
    )
    rds.modify_db_parameter_group(
        DBParameterGroupName="demo-pg",
        Parameters=[
            {"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"}
        ],
    )
    (param,) = rds.describe_db_parameters(DBParameterGroupName="demo-pg")["Parameters"]
    assert (param["ParameterName"], param["ParameterValue"], param["Source"]) == (
        "rds.force_ssl",
        "1",
        "user",
    )
    user = rds.describe_db_parameters(DBParameterGroupName="demo-pg", Source="user")
    assert [p["ParameterName"] for p in user["Parameters"]] == ["rds.force_ssl"]
    system = rds.describe_db_parameters(DBParameterGroupName="demo-pg", Source="system")
    assert system["Parameters"] == []

    rds.reset_db_parameter_group(
        DBParameterGroupName="demo-pg",
        Parameters=[{"ParameterName": "rds.force_ssl", "ApplyMethod": "immediate"}],
    )
    assert rds.describe_db_parameters(DBParameterGroupName="demo-pg")["Parameters"] == []


def test_rds_instances_get_their_own_resource_id(server):
    rds = aws(server, "rds")
    ids = set()
    for name in ("first-db", "second-db"):
        created = rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBInstanceClass="db.t4g.micro",
            Engine="postgres",
            AllocatedStorage=20,
            MasterUsername="app_admin",
            ManageMasterUserPassword=True,
        )["DBInstance"]
        ids.add(created["DbiResourceId"])
    assert len(ids) == 2
    for resource_id in ids:
        assert resource_id.startswith("db-") and len(resource_id) == 29
        found = rds.describe_db_instances(
            Filters=[{"Name": "dbi-resource-id", "Values": [resource_id]}]
        )["DBInstances"]
        assert len(found) == 1


def _function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


def _role(server) -> str:
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
    iam = aws(server, "iam")
    name = f"demo-role-{time.monotonic_ns()}"
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def test_lambda_without_docker_and_tracing_updates(server):
    lam = aws(server, "lambda")
    created = lam.create_function(
        FunctionName="demo-fn",
        Runtime="python3.12",
        Role=_role(server),
        Handler="handler.handler",
        Code={"ZipFile": _function_zip()},
        Architectures=["arm64"],
    )
    assert created["TracingConfig"] == {"Mode": "PassThrough"}
    assert created["Architectures"] == ["arm64"]

    lam.update_function_configuration(FunctionName="demo-fn", TracingConfig={"Mode": "Active"})
    assert lam.get_function_configuration(FunctionName="demo-fn")["TracingConfig"] == {
        "Mode": "Active"
    }
    lam.update_function_configuration(FunctionName="demo-fn", TracingConfig={"Mode": "PassThrough"})
    assert lam.get_function_configuration(FunctionName="demo-fn")["TracingConfig"] == {
        "Mode": "PassThrough"
    }
    # Invoking through moto needs no Docker either (the deployer never relies on it).
    answer = lam.invoke(FunctionName="demo-fn", Payload=b'{"ping": 1}')
    assert answer["StatusCode"] == 200


def test_lambda_permission_statement_ids_are_unique(server):
    """A replayed AddPermission (an SDK retry after a lost answer) must not add a twin.

    With a twin, RemovePermission took one of the two away and the AWS provider waited
    five minutes for the other to go before failing the destroy.
    """
    lam = aws(server, "lambda")
    lam.create_function(
        FunctionName="demo-perms",
        Runtime="python3.12",
        Role=_role(server),
        Handler="handler.handler",
        Code={"ZipFile": _function_zip()},
        Publish=True,
    )
    lam.create_alias(FunctionName="demo-perms", Name="live", FunctionVersion="1")
    grant = {
        "FunctionName": "demo-perms",
        "Qualifier": "live",
        "StatementId": "route-get-items",
        "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com",
        "SourceArn": "arn:aws:execute-api:eu-west-1:123456789012:abc/*/GET/items",
    }
    first = json.loads(lam.add_permission(**grant)["Statement"])
    replayed = json.loads(lam.add_permission(**grant)["Statement"])
    assert replayed == first

    with pytest.raises(ClientError) as conflict:
        lam.add_permission(**{**grant, "SourceArn": grant["SourceArn"].replace("GET", "PUT")})
    assert conflict.value.response["Error"]["Code"] == "ResourceConflictException"
    assert "route-get-items" in conflict.value.response["Error"]["Message"]

    policy = json.loads(lam.get_policy(FunctionName="demo-perms", Qualifier="live")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["route-get-items"]

    lam.remove_permission(
        FunctionName="demo-perms", Qualifier="live", StatementId="route-get-items"
    )
    with pytest.raises(ClientError) as gone_policy:
        lam.get_policy(FunctionName="demo-perms", Qualifier="live")
    assert gone_policy.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_retried_call_gets_the_first_answer_instead_of_running_twice(server):
    """An SDK retry (same amz-sdk-invocation-id) of a CreateFunction that already ran.

    moto ran it again and answered 409 "already exists", which the provider retried for
    minutes; the emulator gives the retry the answer the first attempt produced.
    """

    def as_retry_of_one_call(request, **_):
        request.headers["amz-sdk-invocation-id"] = "3f1c2a9e-0000-4000-8000-000000000001"
        request.headers["amz-sdk-request"] = "attempt=2; max=3"

    retried = aws(server, "lambda")
    retried.meta.events.register("before-send.lambda.CreateFunction", as_retry_of_one_call)
    create = {
        "FunctionName": "demo-retried",
        "Runtime": "python3.12",
        "Role": _role(server),
        "Handler": "handler.handler",
        "Code": {"ZipFile": _function_zip()},
    }
    first = retried.create_function(**create)
    again = retried.create_function(**create)
    first.pop("ResponseMetadata")
    again.pop("ResponseMetadata")
    assert again == first

    lam = aws(server, "lambda")
    names = [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert names.count("demo-retried") == 1
    assert "is a retry (attempt=2; max=3)" in Path(server.log).read_text(encoding="utf-8")

    # A new call (its own invocation id) runs, and is refused as on AWS.
    with pytest.raises(ClientError) as exists:
        lam.create_function(**create)
    assert exists.value.response["Error"]["Code"] == "ResourceConflictException"


def test_a_retry_waits_for_the_first_attempt_and_failures_are_not_replayed():
    from concurrent.futures import ThreadPoolExecutor

    from deployer.emulator.app import Answer, Replays

    runs: list[str] = []
    first_started = threading.Event()
    release_first = threading.Event()

    def slow_create(environ):
        runs.append(environ["attempt"])
        if environ["attempt"] == "1":
            first_started.set()
            release_first.wait(10)
        return Answer("201 Created", [("Content-Type", "application/json")], b'{"n": 1}')

    replays = Replays(wait=10)

    def call(attempt: str, invocation: str = "call-a", method: str = "POST") -> Answer:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": "/2015-03-31/functions",
            "HTTP_AMZ_SDK_INVOCATION_ID": invocation,
            "attempt": attempt,
        }
        return replays.answer(environ, slow_create)

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(call, "1")
        assert first_started.wait(10)
        second = pool.submit(call, "2")  # arrives while the first is still running
        time.sleep(0.2)
        release_first.set()
        assert first.result().body == second.result().body == b'{"n": 1}'
    assert runs == ["1"]

    # Reads are never replayed: they change nothing.
    call("1", invocation="read", method="GET")
    call("2", invocation="read", method="GET")
    assert runs == ["1", "1", "2"]

    # A call whose first attempt failed runs again on retry.
    def refused(environ):
        runs.append("refused")
        return Answer("409 Conflict", [], b"{}")

    environ = {"REQUEST_METHOD": "POST", "HTTP_AMZ_SDK_INVOCATION_ID": "call-b"}
    replays.answer(dict(environ), refused)
    replays.answer(dict(environ), refused)
    assert runs.count("refused") == 2


def test_a_missing_operation_fails_fast_with_501(server):
    ec2 = aws(server, "ec2", retries={"max_attempts": 5, "mode": "standard"})
    with pytest.raises(ClientError) as caught:
        ec2.describe_capacity_block_offerings(
            CapacityDurationHours=24, InstanceType="p5.48xlarge", InstanceCount=1
        )
    response = caught.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert response["ResponseMetadata"]["RetryAttempts"] == 0  # SDKs do not retry a 501
    assert response["Error"]["Code"] == "NotImplemented"
    assert "DescribeCapacityBlockOfferings" in response["Error"]["Message"]


def _call(app_under_test, environ: dict) -> tuple[str, bytes]:
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = status
        seen["headers"] = dict(headers)

    body = b"".join(app_under_test(environ, start_response))
    return seen["status"], body, seen["headers"]


def test_emulator_bugs_become_non_retried_501s_with_the_operation_named():
    from deployer.emulator.app import EmulatorApp

    def broken(environ, start_response):
        raise KeyError("boom")

    def internal_error(environ, start_response):
        start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "text/html")])
        return [b"oops"]

    environ = {
        "PATH_INFO": "/2015-03-31/functions",
        "REQUEST_METHOD": "GET",
        "HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=test/20260101/eu-west-1/lambda/"
        "aws4_request, SignedHeaders=host, Signature=x",
    }
    status_line, body, headers = _call(EmulatorApp(broken, {}), dict(environ))
    assert status_line.startswith("501")
    assert headers["x-amzn-ErrorType"] == "EmulatorError"
    assert "lambda GET /2015-03-31/functions" in json.loads(body)["message"]

    status_line, _, _ = _call(EmulatorApp(internal_error, {}), dict(environ))
    assert status_line.startswith("501")

    health_status, health, _ = _call(EmulatorApp(broken, {"pid": 42}), {"PATH_INFO": HEALTH_PATH})
    assert health_status.startswith("200") and json.loads(health) == {"pid": 42}


def test_ec2_rules_referencing_a_group_keep_their_description(server):
    ec2 = aws(server, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    app_sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    db_sg = ec2.create_security_group(GroupName="db", Description="db", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=db_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": app_sg, "Description": "PostgreSQL from app"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "10.9.0.0/16", "Description": "HTTPS from the VPC"}],
            },
        ],
    )
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [db_sg]}])
    ingress = {r["FromPort"]: r for r in rules["SecurityGroupRules"] if not r["IsEgress"]}
    assert ingress[5432]["Description"] == "PostgreSQL from app"
    assert ingress[5432]["ReferencedGroupInfo"]["GroupId"] == app_sg
    assert ingress[443]["Description"] == "HTTPS from the VPC"


# --- the same additions, through Terraform and the AWS provider ------------------------------

ROUND_TRIP_TF = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region = "eu-west-1"
}

variable "burst" { type = number }
variable "tracing" { type = string }

resource "aws_apigatewayv2_api" "this" {
  name          = "round-trip"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true
  default_route_settings {
    throttling_burst_limit = var.burst
    throttling_rate_limit  = 10
  }
}

resource "aws_db_parameter_group" "this" {
  name   = "round-trip"
  family = "postgres16"
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
}

resource "aws_vpc" "this" {
  cidr_block = "10.77.0.0/16"
}

resource "aws_security_group" "app" {
  name   = "round-trip-app"
  vpc_id = aws_vpc.this.id
}

resource "aws_security_group" "db" {
  name   = "round-trip-db"
  vpc_id = aws_vpc.this.id
}

resource "aws_vpc_security_group_ingress_rule" "db_from_app" {
  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from the app"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.app.id
}

resource "aws_iam_role" "fn" {
  name = "round-trip-fn"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })
}

resource "aws_lambda_function" "fn" {
  function_name    = "round-trip-fn"
  role             = aws_iam_role.fn.arn
  runtime          = "python3.12"
  handler          = "handler.handler"
  architectures    = ["arm64"]
  filename         = "${path.module}/fn.zip"
  source_code_hash = filebase64sha256("${path.module}/fn.zip")
  tracing_config {
    mode = var.tracing
  }
}
"""


def _terraform(folder: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["terraform", *args, "-no-color", "-input=false"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
def test_terraform_changes_apply_and_replan_clean(server, terraform_env, tmp_path: Path):
    """Stage updates, tracing toggles, a user parameter and group-rule descriptions: no diff."""
    from deployer.aws.process_env import emulated_environment

    folder = tmp_path / "tf"
    folder.mkdir()
    (folder / "main.tf").write_text(ROUND_TRIP_TF, encoding="utf-8")
    (folder / "fn.zip").write_bytes(_function_zip())
    env = emulated_environment(server.endpoint, REGION, terraform_env)

    init = _terraform(folder, env, "init")
    assert init.returncode == 0, init.stderr
    for burst, tracing in ((10, "Active"), (20, "PassThrough")):
        variables = ["-var", f"burst={burst}", "-var", f"tracing={tracing}"]
        applied = _terraform(folder, env, "apply", "-auto-approve", *variables)
        assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr
        planned = _terraform(folder, env, "plan", "-detailed-exitcode", *variables)
        assert planned.returncode == 0, planned.stdout[-3000:] + planned.stderr

    stage = aws(server, "apigatewayv2")
    api_id = next(a["ApiId"] for a in stage.get_apis()["Items"] if a["Name"] == "round-trip")
    settings = stage.get_stage(ApiId=api_id, StageName="$default")["DefaultRouteSettings"]
    assert settings["ThrottlingBurstLimit"] == 20
    config = aws(server, "lambda").get_function_configuration(FunctionName="round-trip-fn")
    assert config["TracingConfig"] == {"Mode": "PassThrough"}

    destroyed = _terraform(
        folder, env, "destroy", "-auto-approve", "-var", "burst=20", "-var", "tracing=PassThrough"
    )
    assert destroyed.returncode == 0, destroyed.stderr
