"""`deployer doctor ENV`, and missing AWS credentials wherever a command needs them.

A copy of this repository's project (its `dev` keeps its state in S3, eu-west-1) and no
AWS credentials at all: no AWS_* variable, empty config and credentials files, instance
metadata off. Where credentials are given they are fake, and STS (or Lambda) is a running
emulator's, found through AWS_ENDPOINT_URL_STS (AWS_ENDPOINT_URL): nothing leaves the
machine.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from helpers.emulator import aws, function_zip, lambda_role, make_project
from typer.testing import CliRunner

from deployer.cli import app
from deployer.emulator import ensure_running, stop


def run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def sts_server(tmp_path_factory):
    """A running emulator, of a project of its own: an AWS endpoint on loopback."""
    project = make_project(tmp_path_factory.mktemp("sts") / "proj")
    server = ensure_running(project)
    yield server
    stop(project)


@pytest.fixture
def no_aws(tmp_path: Path, monkeypatch) -> None:
    """No AWS credentials anywhere (the autouse fixture already removed every AWS_*)."""
    empty = tmp_path / "empty"
    empty.write_text("", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def no_credentials(no_aws, project_copy: Path, monkeypatch) -> Path:
    """The project copy, current, with no AWS credentials anywhere."""
    monkeypatch.setenv("DEPLOYER_PROJECT_DIR", str(project_copy))
    return project_copy


def fake_credentials(monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")


def checks_of(result) -> dict:
    return {c["name"]: c for c in json.loads(result.stdout)["checks"]}


def test_doctor_env_without_credentials_fails_with_the_fix(no_credentials: Path) -> None:
    result = run("doctor", "dev", "--json")
    assert result.exit_code == 1, result.output
    checks = checks_of(result)
    creds = checks["aws credentials"]
    assert creds["ok"] is False and creds["required"] is True
    assert creds["detail"].startswith("No AWS credentials for dev: none in the environment")
    assert "aws sso login --profile NAME" in creds["fix"]
    assert "AWS_ACCESS_KEY_ID" in creds["fix"]
    # The region comes from the environment's backend file when AWS_REGION is unset.
    assert checks["aws region"]["ok"] is True
    assert checks["aws region"]["detail"] == "eu-west-1 (envs/dev.backend.hcl)"

    table = run("doctor", "dev")
    assert table.exit_code == 1
    assert "aws credentials" in table.stdout and "failed" in table.stdout
    assert "fix:" in table.stdout and "aws sso login" in table.stdout


def test_doctor_env_confirms_the_credentials_with_sts(
    no_credentials: Path, sts_server, monkeypatch
) -> None:
    fake_credentials(monkeypatch)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts_server.endpoint)
    result = run("doctor", "dev", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["environment"] == "dev"
    creds = checks_of(result)["aws credentials"]
    assert creds["account"] == "123456789012"  # what the emulator's STS answers
    assert creds["arn"].startswith("arn:aws:sts::123456789012:")
    assert creds["source"] == "explicit"  # the keys in the environment
    assert creds["detail"] == f"account 123456789012, {creds['arn']} (from AWS_ACCESS_KEY_ID)"


def test_doctor_env_says_when_sts_does_not_answer(no_credentials: Path, monkeypatch) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fake_credentials(monkeypatch)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    result = run("doctor", "dev", "--json")
    assert result.exit_code == 1, result.output
    assert time.monotonic() - started < 30  # one attempt, no retries with back-off
    creds = checks_of(result)["aws credentials"]
    assert creds["detail"].startswith(f"AWS STS did not answer at http://127.0.0.1:{port}")
    assert "within 3 s" in creds["detail"]
    assert "check the network" in creds["fix"]


def test_doctor_without_env_checks_no_credentials(no_credentials: Path) -> None:
    result = run("doctor", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["environment"] is None
    names = set(checks_of(result))
    assert names == {"terraform", "provider mirror", "python"}  # nothing that cannot fail
    table = run("doctor")
    assert "deployer doctor ENV" in table.stderr


def test_doctor_of_an_emulated_environment_checks_the_emulator(no_credentials: Path) -> None:
    stopped = run("doctor", "local", "--json")
    assert stopped.exit_code == 0, stopped.output
    checks = checks_of(stopped)
    assert "aws credentials" not in checks  # the emulator's are fake, and the deployer's own
    assert checks["emulator"]["ok"] is True
    assert checks["emulator"]["detail"].startswith("not running; any command on local starts")

    assert run("local", "start").exit_code == 0
    running = checks_of(run("doctor", "local", "--json"))["emulator"]
    assert running["ok"] is True
    assert running["detail"].endswith("answers as account 123456789012")


def test_doctor_of_an_unknown_environment_is_exit_2(no_credentials: Path) -> None:
    result = run("doctor", "nope")
    assert result.exit_code == 2
    assert "Unknown environment 'nope'" in result.stderr


def test_output_without_credentials_is_one_line_and_terraform_never_runs(
    no_credentials: Path,
) -> None:
    result = run("output", "dev")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # not Terraform's error, twice
    assert lines[0].startswith("error: No AWS credentials for dev: ")
    assert "IMDS" not in result.output
    assert not (no_credentials / ".deployer" / "dev" / "tfdata").exists()


def test_invoke_without_credentials_says_so_not_region(no_credentials: Path) -> None:
    result = run("invoke", "dev", "health")
    assert result.exit_code == 1
    assert "You must specify a region" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: No AWS credentials for dev: "), lines


def test_invoke_uses_the_backend_region_when_aws_region_is_unset(
    no_credentials: Path, sts_server, monkeypatch
) -> None:
    # "Deployed" in the backend's region (eu-west-1) of the emulator standing in for AWS.
    aws(sts_server, "lambda").create_function(
        FunctionName="deployer-dev-health",
        Runtime="python3.12",
        Role=lambda_role(sts_server),
        Handler="handler.handler",
        Code={"ZipFile": function_zip()},
        Environment={"Variables": {"STAGE": "dev"}},
    )
    fake_credentials(monkeypatch)
    monkeypatch.setenv("AWS_ENDPOINT_URL", sts_server.endpoint)
    result = run("invoke", "dev", "health", "--json")
    assert result.exit_code == 0, result.output
    response = json.loads(result.stdout)
    assert response["ok"] is True
    assert response["function_name"] == "deployer-dev-health"
    assert json.loads(response["response"]["body"]) == {"status": "ok"}


def test_plan_without_credentials_is_one_line_per_environment(stack_project: Path, no_aws) -> None:
    # The built-in-only fixture (the current project), its dev and qa states in S3 as on AWS.
    main = stack_project / "terraform" / "main.tf"
    main.write_text(main.read_text().replace('backend "local" {}', 'backend "s3" {}'))
    for env in ("dev", "qa"):
        (stack_project / "envs" / f"{env}.backend.hcl").write_text(
            f'bucket = "fixture-{env}-tfstate"\nkey = "{env}/terraform.tfstate"\n'
            'region = "eu-west-1"\nuse_lockfile = true\n',
            encoding="utf-8",
        )
    result = run("plan", "dev")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: No AWS credentials for dev: "), result.stderr
    assert "Terraform" not in result.output and "IMDS" not in result.output
    assert not (stack_project / ".deployer" / "dev" / "tfdata").exists()

    several = run("plan", "dev", "qa", "--detailed-exitcode", "--json")
    assert several.exit_code == 1, several.output  # an error, not "changes" nor bad input
    errors = {d["environment"]: d["error"] for d in json.loads(several.stdout)}
    assert errors["dev"].startswith("No AWS credentials for dev: ")
    assert errors["qa"].startswith("No AWS credentials for qa: ")


def test_no_region_anywhere_is_one_line_with_the_fix(stack_project: Path) -> None:
    # The fixture's local backend names no region, and the shell sets none.
    result = run("invoke", "dev", "hello")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        'error: No AWS region to call lambda in: set region = "..." in the environment\'s '
        "envs/<env>.backend.hcl, or export AWS_REGION (e.g. AWS_REGION=eu-west-1)."
    ]


def test_doctor_env_without_a_region_says_where_to_set_one(stack_project: Path, no_aws) -> None:
    result = run("doctor", "dev", "--json")  # the fixture's local backend names no region
    assert result.exit_code == 1, result.output
    region = checks_of(result)["aws region"]
    assert region["ok"] is False
    assert region["detail"] == "none: neither AWS_REGION nor envs/dev.backend.hcl sets one"
    assert "to envs/dev.backend.hcl, or export AWS_REGION" in region["fix"]
