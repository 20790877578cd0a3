"""Our additions to moto (deployer.emulator.patches), each against the real running
emulator with boto3 over HTTP, then all of them through Terraform and the AWS provider."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from helpers.emulator import REGION, aws, function_zip, lambda_role


def test_apigatewayv2_update_route_clears_scopes_with_an_empty_list(server):
    api = aws(server, "apigatewayv2")
    api_id = api.create_api(Name="scopes", ProtocolType="HTTP")["ApiId"]
    route = api.create_route(
        ApiId=api_id,
        RouteKey="GET /items",
        AuthorizationType="JWT",
        AuthorizationScopes=["items:read"],
    )
    api.update_route(
        ApiId=api_id, RouteId=route["RouteId"], AuthorizationType="CUSTOM", AuthorizationScopes=[]
    )
    updated = api.get_route(ApiId=api_id, RouteId=route["RouteId"])
    assert updated["AuthorizationType"] == "CUSTOM"
    assert not updated.get("AuthorizationScopes")
    # Scopes left out of a request stay as they are.
    api.update_route(ApiId=api_id, RouteId=route["RouteId"], AuthorizationScopes=["a"])
    api.update_route(ApiId=api_id, RouteId=route["RouteId"], RouteKey="GET /things")
    assert api.get_route(ApiId=api_id, RouteId=route["RouteId"])["AuthorizationScopes"] == ["a"]


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


def test_lambda_without_docker_and_tracing_updates(server):
    lam = aws(server, "lambda")
    created = lam.create_function(
        FunctionName="demo-fn",
        Runtime="python3.12",
        Role=lambda_role(server),
        Handler="handler.handler",
        Code={"ZipFile": function_zip()},
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
    # Invoking needs no Docker either: the handler runs in the emulator's own workers.
    answer = lam.invoke(FunctionName="demo-fn", Payload=b'{"ping": 1}')
    assert answer["StatusCode"] == 200
    assert answer["Payload"].read() == b"1"


def test_lambda_permission_statement_ids_are_unique(server):
    """A replayed AddPermission (an SDK retry after a lost answer) must not add a twin.

    With a twin, RemovePermission took one of the two away and the AWS provider waited
    five minutes for the other to go before failing the destroy.
    """
    lam = aws(server, "lambda")
    lam.create_function(
        FunctionName="demo-perms",
        Runtime="python3.12",
        Role=lambda_role(server),
        Handler="handler.handler",
        Code={"ZipFile": function_zip()},
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
    (folder / "fn.zip").write_bytes(function_zip())
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
