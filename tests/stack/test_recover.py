"""Resources that exist but that the state does not know (a killed Terraform made them):
the next apply's failure names each and `deployer recover`; `recover` imports them by the
stack's deterministic names and applies, after which a plan converges. Real Terraform, the
AWS provider, the embedded emulator (its S3 holds the state), through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from helpers.stack_project import emulated_copy
from typer.testing import CliRunner

from deployer.cli import app
from deployer.config import find_project
from deployer.emulator import stop as stop_emulator

AWS_RESOURCES = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

# The test is about recover, not credentials: no STS round trip that a loaded emulator
# could drop (the provider makes that call with no retry).
provider "aws" {
  skip_credentials_validation = true
  skip_requesting_account_id  = true
}

resource "aws_dynamodb_table" "orders" {
  name         = "${var.app}-${var.environment}-orders"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "id"
  attribute {
    name = "id"
    type = "S"
  }
}

resource "aws_cloudwatch_log_group" "audit" {
  name              = "/${var.app}/${var.environment}/audit"
  retention_in_days = 7
}

resource "aws_iam_role" "worker" {
  name = "${var.app}-${var.environment}-worker"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })
}
"""
ADDRESSES = {
    "aws_dynamodb_table.orders": "fixture-local-orders",
    "aws_cloudwatch_log_group.audit": "/fixture/local/audit",
    "aws_iam_role.worker": "fixture-local-worker",
}


def run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def lost_state(stack_project: Path):
    """The project applied on `local`, then its state object deleted: the resources stay."""
    root = emulated_copy(stack_project)
    (root / "terraform" / "aws.tf").write_text(AWS_RESOURCES, encoding="utf-8")
    try:
        applied = run("apply", "local", "--auto-approve")
        assert applied.exit_code == 0, applied.output
        server = json.loads((root / ".deployer/local/server.json").read_text(encoding="utf-8"))
        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{server['port']}",
            region_name="eu-west-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        s3.delete_object(Bucket="fixture-local-tfstate", Key="local/terraform.tfstate")
        yield root
    finally:
        stop_emulator(find_project(root))


def test_an_apply_names_what_exists_outside_the_state_and_recover_brings_it_back(lost_state):
    refused = run("apply", "local", "--auto-approve")
    assert refused.exit_code == 1
    said = " ".join(refused.stderr.split())
    assert "3 resource(s) exist in AWS but not in local's state" in said, refused.output
    for address in ADDRESSES:
        assert address in said
    assert "`deployer recover local`" in said
    assert "`deployer local stop`" in said  # on local, the reset too
    assert "Traceback" not in refused.output

    recovered = run("recover", "local", "--auto-approve", "--json")
    assert recovered.exit_code == 0, recovered.output
    report = json.loads(recovered.stdout)
    assert report["imported"] == ADDRESSES and report["applied"] is True
    assert not (lost_state / "terraform" / "deployer_recover_imports.tf").exists()

    converged = run("plan", "local", "--json", "--detailed-exitcode")
    assert converged.exit_code == 0, converged.output
    assert json.loads(converged.stdout)["has_changes"] is False

    # Once everything is under management, there is nothing to recover: one sentence.
    again = run("recover", "local", "--auto-approve")
    assert again.exit_code == 2
    assert "Nothing to recover in local" in again.stderr
