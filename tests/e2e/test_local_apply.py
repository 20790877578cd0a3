"""The README's main job, end to end: the whole stack on `local`, through the CLI.

From a fresh copy of the repository: `apply local --auto-approve`; a second plan shows no
changes; boto3 against the emulator finds every resource as configured; `invoke` writes
to DynamoDB; an apply started while a destroy holds the S3 lock is refused; the destroy
leaves nothing of the stack; `local stop` leaves no process. Durations are printed (run
with -s to see them) for docs/benchmarks.md; nothing here asserts on time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import hcl2
import pytest
from helpers.local_stack import COMMAND_TIMEOUT, explain
from helpers.local_stack import run_deployer as deployer

from deployer.config.project import find_project
from deployer.emulator.control import _cmdline
from deployer.functions.discovery import load_functions

pytestmark = pytest.mark.slow

ENV = "local"


def timed(label: str, durations: dict, project: Path, *args: str):
    started = time.monotonic()
    result = deployer(project, *args)
    durations[label] = round(time.monotonic() - started, 1)
    return result


def tfvars(project: Path) -> dict:
    def unquote(value):
        if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
            return value[1:-1]
        if isinstance(value, dict):
            return {unquote(k): unquote(v) for k, v in value.items()}
        if isinstance(value, list):
            return [unquote(v) for v in value]
        return value

    text = (project / "envs" / f"{ENV}.tfvars").read_text(encoding="utf-8")
    return unquote(hcl2.loads(text))


class Emulator:
    """boto3 clients for the running emulator, found through `deployer local status --json`."""

    def __init__(self, project: Path, region: str) -> None:
        status = json.loads(deployer(project, "local", "status", "--json").stdout)
        assert status["running"], status
        self.status = status
        self.region = region

    def __call__(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.status["endpoint"],
            region_name=self.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


# --- what the stack must look like -----------------------------------------------------------


def check_functions(aws: Emulator, project: Path, prefix: str, settings: dict) -> None:
    iam = aws("iam")
    lam = aws("lambda")
    for spec in load_functions(find_project(project)):
        name = f"{prefix}-{spec.name}"
        config = lam.get_function_configuration(FunctionName=name)
        assert config["Runtime"] == spec.runtime, name
        assert config["Architectures"] == [spec.architecture], name
        assert config["Handler"] == spec.handler, name
        assert (config["MemorySize"], config["Timeout"]) == (spec.memory, spec.timeout), name
        env = config.get("Environment", {}).get("Variables", {})
        for key, value in spec.environment.items():
            assert env.get(key) == value, (name, key)
        for table in spec.tables:
            assert env[f"TABLE_{table.upper()}"] == f"{prefix}-{table}", (name, table)
        if spec.database:
            assert env["DB_SECRET_ARN"].startswith("arn:aws:secretsmanager:"), name
            assert config["VpcConfig"]["SubnetIds"], name
        if settings.get("tracing"):
            assert config["TracingConfig"] == {"Mode": "Active"}, name

        role = config["Role"].rsplit("/", 1)[1]
        documents = [
            iam.get_role_policy(RoleName=role, PolicyName=p)["PolicyDocument"]
            for p in iam.list_role_policies(RoleName=role)["PolicyNames"]
        ]
        assert documents, f"{name}: its role has no policy"
        for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
            policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
            documents.append(
                iam.get_policy_version(
                    PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"]
                )["PolicyVersion"]["Document"]
            )
        for document in documents:
            document = json.loads(document) if isinstance(document, str) else document
            for statement in document["Statement"]:
                actions = statement.get("Action", [])
                actions = [actions] if isinstance(actions, str) else actions
                assert actions and not [a for a in actions if "*" in a], (name, statement)
                assert "NotAction" not in statement, (name, statement)


def check_api(aws: Emulator, project: Path, prefix: str, settings: dict) -> None:
    api_client = aws("apigatewayv2")
    (api,) = [a for a in api_client.get_apis()["Items"] if a["Name"] == prefix]
    routes = {r["RouteKey"]: r for r in api_client.get_routes(ApiId=api["ApiId"])["Items"]}
    authorizers = {
        a["AuthorizerId"]: a for a in api_client.get_authorizers(ApiId=api["ApiId"])["Items"]
    }
    by_name = {a["Name"]: a for a in authorizers.values()}
    for name, wanted in settings["authorizers"].items():
        got = next(a for n, a in by_name.items() if n.endswith(name))
        assert got["AuthorizerType"] == ("JWT" if wanted["type"] == "jwt" else "REQUEST")
        if wanted["type"] == "jwt":
            assert got["JwtConfiguration"]["Issuer"] == wanted["issuer"]
            assert got["JwtConfiguration"]["Audience"] == wanted["audience"]
    default = next(a for n, a in by_name.items() if n.endswith(settings["default_authorizer"]))

    declared = {}
    for spec in load_functions(find_project(project)):
        for route in spec.routes:
            declared[route.route_key] = route
    assert set(routes) == set(declared)
    for key, route in declared.items():
        got = routes[key]
        if route.auth == "none":
            assert got["AuthorizationType"] == "NONE", key
        else:
            assert got["AuthorizationType"] in ("JWT", "CUSTOM"), key
            assert got["AuthorizerId"] in authorizers, key
            if route.auth == "default":
                assert got["AuthorizerId"] == default["AuthorizerId"], key
    stage = api_client.get_stage(ApiId=api["ApiId"], StageName="$default")
    assert stage["AccessLogSettings"]["DestinationArn"].startswith("arn:aws:logs:")


def check_tables(aws: Emulator, prefix: str, settings: dict) -> None:
    dynamodb = aws("dynamodb")
    for name, table in settings["tables"].items():
        described = dynamodb.describe_table(TableName=f"{prefix}-{name}")["Table"]
        assert described["KeySchema"][0] == {"AttributeName": table["hash_key"], "KeyType": "HASH"}
        assert described["SSEDescription"]["Status"] == "ENABLED"
        backups = dynamodb.describe_continuous_backups(TableName=f"{prefix}-{name}")
        pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"


def check_database(aws: Emulator, prefix: str) -> None:
    (db,) = [
        d
        for d in aws("rds").describe_db_instances()["DBInstances"]
        if d["DBInstanceIdentifier"].startswith(prefix)
    ]
    assert db["Engine"] == "postgres"
    assert db["StorageEncrypted"] is True
    assert db["PubliclyAccessible"] is False
    secret = aws("secretsmanager").describe_secret(SecretId=db["MasterUserSecret"]["SecretArn"])
    assert secret["ARN"] == db["MasterUserSecret"]["SecretArn"]


def check_log_groups(aws: Emulator, project: Path, prefix: str, settings: dict) -> None:
    groups = {
        g["logGroupName"]: g
        for page in aws("logs").get_paginator("describe_log_groups").paginate()
        for g in page["logGroups"]
        if prefix in g["logGroupName"]
    }
    for spec in load_functions(find_project(project)):
        group = groups[f"/aws/lambda/{prefix}-{spec.name}"]
        assert group["retentionInDays"] == settings["log_retention_days"], spec.name
    for name, group in groups.items():
        assert group.get("retentionInDays"), f"{name} keeps its logs forever"


def leftovers(aws: Emulator, prefix: str) -> dict[str, list]:
    """Everything of the stack still in the emulator (AWS keeps deleted endpoints a while)."""
    ec2 = aws("ec2")
    found = {
        "functions": [
            f["FunctionName"]
            for f in aws("lambda").list_functions()["Functions"]
            if f["FunctionName"].startswith(prefix)
        ],
        "roles": [
            r["RoleName"] for r in aws("iam").list_roles()["Roles"] if prefix in r["RoleName"]
        ],
        "log groups": [
            g["logGroupName"]
            for g in aws("logs").describe_log_groups()["logGroups"]
            if prefix in g["logGroupName"]
        ],
        "tables": [t for t in aws("dynamodb").list_tables()["TableNames"] if t.startswith(prefix)],
        "apis": [a["Name"] for a in aws("apigatewayv2").get_apis()["Items"]],
        "databases": [
            d["DBInstanceIdentifier"] for d in aws("rds").describe_db_instances()["DBInstances"]
        ],
        "secrets": [s["Name"] for s in aws("secretsmanager").list_secrets()["SecretList"]],
        "vpcs": [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")],
        "security groups": [
            g["GroupId"]
            for g in ec2.describe_security_groups()["SecurityGroups"]
            if g["GroupName"] != "default"
        ],
        "vpc endpoints": [
            e["VpcEndpointId"]
            for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]
            if e["State"].lower() != "deleted"
        ],
    }
    return {kind: names for kind, names in found.items() if names}


# --- the run ---------------------------------------------------------------------------------


def wait_for_line(path: Path, text: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(encoding="utf-8", errors="replace"):
            return
        if proc.poll() is not None:
            pytest.fail(f"the run ended before printing {text!r}:\n{path.read_text()[-6000:]}")
        time.sleep(0.5)
    pytest.fail(f"no {text!r} within {timeout:.0f} s:\n{path.read_text()[-6000:]}")


def test_local_end_to_end(project_copy: Path, provider_mirror: Path, tmp_path: Path):
    project = project_copy
    settings = tfvars(project)
    prefix = f"{find_project(project).settings.app}-{ENV}"
    durations: dict[str, float] = {}
    destroy_proc = None
    try:
        # 1. From a fresh clone: package, start the emulator, bootstrap, init, apply, outputs.
        applied = timed("apply", durations, project, "apply", ENV, "--auto-approve")
        assert applied.returncode == 0, explain(applied)
        assert "api_url" in applied.stdout

        # 2. A second plan finds nothing to change.
        planned = timed("plan", durations, project, "plan", ENV, "--detailed-exitcode", "--json")
        assert planned.returncode == 0, explain(planned)
        assert json.loads(planned.stdout)["has_changes"] is False

        # 3. Every resource as configured, seen through the emulator's AWS APIs.
        aws = Emulator(project, hcl2_region(project))
        check_functions(aws, project, prefix, settings)
        check_api(aws, project, prefix, settings)
        check_tables(aws, prefix, settings)
        check_database(aws, prefix)
        check_log_groups(aws, project, prefix, settings)

        # 4. The items handler, run here with its deployed settings, writes to DynamoDB.
        event = post_item_event({"name": "from the e2e test", "quantity": 3})
        event_file = tmp_path / "event.json"
        event_file.write_text(json.dumps(event), encoding="utf-8")
        invoked = deployer(project, "invoke", ENV, "items", "--event", str(event_file), "--json")
        assert invoked.returncode == 0, explain(invoked)
        response = json.loads(invoked.stdout)["response"]
        assert response["statusCode"] == 201, response
        item_id = json.loads(response["body"])["id"]
        stored = aws("dynamodb").get_item(TableName=f"{prefix}-items", Key={"id": {"S": item_id}})
        assert stored["Item"]["name"] == {"S": "from the e2e test"}
        assert stored["Item"]["quantity"] == {"N": "3"}

        # 5. While a destroy holds the S3 lock (its RDS waiter alone takes a minute), a
        #    second run is refused with the lock message.
        destroy_log = tmp_path / "destroy.log"
        with open(destroy_log, "w", encoding="utf-8") as log:
            started = time.monotonic()
            destroy_proc = subprocess.Popen(
                [sys.executable, "-m", "deployer", "destroy", ENV, "--confirm", ENV],
                cwd=project,
                env=dict(os.environ),
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
        wait_for_line(
            destroy_log, "aws_db_instance.this: Destroying", destroy_proc, COMMAND_TIMEOUT
        )
        refused = deployer(project, "apply", ENV, "--auto-approve")
        assert refused.returncode != 0, explain(refused)
        assert "state is locked" in refused.stderr, explain(refused)

        # 6. The destroy completes and nothing of the stack is left in the emulator.
        destroy_proc.wait(timeout=COMMAND_TIMEOUT)
        durations["destroy"] = round(time.monotonic() - started, 1)
        assert destroy_proc.returncode == 0, destroy_log.read_text()[-6000:]
        assert leftovers(aws, prefix) == {}
    finally:
        if destroy_proc is not None and destroy_proc.poll() is None:
            destroy_proc.terminate()
            destroy_proc.wait(timeout=120)
        # 7. `local stop` leaves no process behind (also on failure: no stray server).
        status = json.loads(deployer(project, "local", "status", "--json").stdout)
        stopped = deployer(project, "local", "stop")
        print(f"\nlocal e2e durations (s): {json.dumps(durations)}")
    assert stopped.returncode == 0, explain(stopped)
    assert status["pid"] is not None
    assert _cmdline(status["pid"]) is None  # gone (or a zombie awaiting its reaper)
    assert not (project / ".deployer" / "local" / "server.json").exists()
    assert str(project) not in _all_command_lines()


def hcl2_region(project: Path) -> str:
    text = (project / "envs" / f"{ENV}.backend.hcl").read_text(encoding="utf-8")
    return hcl2.loads(text)["region"].strip('"')


def post_item_event(body: dict) -> dict:
    from deployer.invoke.run import default_event

    event = default_event("POST /items", ("items:write",), "default")
    event["body"] = json.dumps(body)
    return event


def _all_command_lines() -> str:
    """Every running process's command line (ps works on Linux and macOS alike)."""
    return subprocess.run(
        ["ps", "-eo", "args="], capture_output=True, text=True, check=True, timeout=30
    ).stdout
