"""modules/observability through real Terraform and the AWS provider against the emulator:
apply, a second plan with no changes, the alarms, topic, key and dashboard as AWS reports
them, destroy."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers.emulator import REGION, aws
from helpers.paths import REPO_ROOT
from helpers.terraform_driver import run_terraform

ROOT_TF = """
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

provider "aws" {
  region = "eu-west-1"
}

module "observability" {
  source = "MODULE"

  name = "shop-local"
  functions = {
    shop-local-items  = { timeout = 10 }
    shop-local-worker = { timeout = 60, asynchronous = true }
  }
  api      = { id = "a1b2c3d4" }
  database = { identifier = "shop-local", instance_class = "db.t4g.micro" }
  tables   = { items = "shop-local-items" }
  subscriptions = [
    { protocol = "email", endpoint = "oncall@example.com" },
    { protocol = "https", endpoint = "https://hooks.example.com/alarms" },
  ]
  tags = { env = "local" }
}

output "topic_arn" {
  value = module.observability.sns_topic_arn
}

output "key_arn" {
  value = module.observability.kms_key_arn
}

output "dashboard_name" {
  value = module.observability.cloudwatch_dashboard_name
}

output "alarm_names" {
  value = module.observability.cloudwatch_metric_alarm_names
}
"""


def _check(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr


@pytest.mark.slow
def test_the_module_applies_replans_clean_and_destroys(server, terraform_env, tmp_path: Path):
    from deployer.aws.process_env import emulated_environment

    folder = tmp_path / "tf"
    folder.mkdir()
    module = REPO_ROOT / "modules" / "observability"
    (folder / "main.tf").write_text(ROOT_TF.replace("MODULE", str(module)), encoding="utf-8")
    env = emulated_environment(server.endpoint, REGION, terraform_env)

    _check(run_terraform(folder, env, "init"))
    _check(run_terraform(folder, env, "apply", "-auto-approve"))
    _check(run_terraform(folder, env, "plan", "-detailed-exitcode"))
    outputs = {
        k: v["value"]
        for k, v in json.loads(run_terraform(folder, env, "output", "-json").stdout).items()
    }

    cloudwatch = aws(server, "cloudwatch")
    alarms = {
        a["AlarmName"]: a
        for page in cloudwatch.get_paginator("describe_alarms").paginate(
            AlarmNamePrefix="shop-local"
        )
        for a in page["MetricAlarms"]
    }
    assert sorted(alarms) == sorted(outputs["alarm_names"])
    # Every function, the API, the database and the table, each notifying the topic both ways.
    for name in (
        "shop-local-items-lambda-errors",
        "shop-local-items-lambda-throttles",
        "shop-local-items-lambda-duration-p99",
        "shop-local-worker-lambda-dead-letter-errors",
        "shop-local-worker-lambda-destination-delivery-failures",
        "shop-local-api-5xx-rate",
        "shop-local-api-latency-p99",
        "shop-local-rds-cpu",
        "shop-local-rds-free-storage",
        "shop-local-rds-connections",
        "shop-local-rds-freeable-memory",
        "shop-local-items-dynamodb-throttles",
        "shop-local-items-dynamodb-system-errors",
    ):
        assert alarms[name]["AlarmActions"] == [outputs["topic_arn"]], name
        assert alarms[name]["OKActions"] == [outputs["topic_arn"]], name
    assert "shop-local-items-lambda-dead-letter-errors" not in alarms  # synchronous

    duration = alarms["shop-local-items-lambda-duration-p99"]
    assert (duration["ExtendedStatistic"], duration["Threshold"]) == ("p99", 8000.0)
    connections = alarms["shop-local-rds-connections"]
    # db.t4g.micro: LEAST(1 GiB / 9531392, 5000) = 112 connections, 80 % of them.
    assert connections["Threshold"] == 89.0
    rate = alarms["shop-local-api-5xx-rate"]
    returned = [q for q in rate["Metrics"] if q.get("ReturnData")]
    assert [q["Expression"] for q in returned] == ["errors / requests"]
    stats = {
        q["Id"]: q["MetricStat"]["Metric"]["MetricName"]
        for q in rate["Metrics"]
        if "MetricStat" in q
    }
    assert stats == {"errors": "5xx", "requests": "Count"}

    sns = aws(server, "sns")
    attributes = sns.get_topic_attributes(TopicArn=outputs["topic_arn"])["Attributes"]
    assert attributes["KmsMasterKeyId"] == outputs["key_arn"]
    topic_policy = json.loads(attributes["Policy"])
    publishers = [
        s
        for s in topic_policy["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert publishers and publishers[0]["Action"] == "sns:Publish"
    protocols = sorted(
        s["Protocol"]
        for s in sns.list_subscriptions_by_topic(TopicArn=outputs["topic_arn"])["Subscriptions"]
    )
    assert protocols == ["email", "https"]

    kms = aws(server, "kms")
    key_policy = json.loads(
        kms.get_key_policy(KeyId=outputs["key_arn"], PolicyName="default")["Policy"]
    )
    cloudwatch_use = [
        s
        for s in key_policy["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert cloudwatch_use and set(cloudwatch_use[0]["Action"]) == {
        "kms:Decrypt",
        "kms:GenerateDataKey*",
    }
    assert kms.get_key_rotation_status(KeyId=outputs["key_arn"])["KeyRotationEnabled"]

    body = json.loads(
        cloudwatch.get_dashboard(DashboardName=outputs["dashboard_name"])["DashboardBody"]
    )
    titles = [w["properties"]["title"] for w in body["widgets"]]
    assert "shop-local-items: duration (timeout 10 s)" in titles
    assert "API: 5xx rate" in titles
    assert "shop-local: CPU (%)" in titles
    assert "shop-local-items: system errors" in titles

    _check(run_terraform(folder, env, "destroy", "-auto-approve"))
    left = cloudwatch.describe_alarms(AlarmNamePrefix="shop-local")["MetricAlarms"]
    assert left == []
    assert cloudwatch.list_dashboards(DashboardNamePrefix="shop-local")["DashboardEntries"] == []
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert outputs["topic_arn"] not in topics
    assert (
        kms.describe_key(KeyId=outputs["key_arn"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    )
