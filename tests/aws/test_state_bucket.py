"""The state bucket: created and completed with boto3, under moto's in-process mock."""

from __future__ import annotations

import json
import os
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from helpers.backend_projects import BUCKET, REGION, write_project
from moto import mock_aws
from typer.testing import CliRunner

from deployer.aws import state_bucket as bootstrap_module
from deployer.aws.state_bucket import TLS_ONLY_SID, bootstrap
from deployer.cli import app
from deployer.common.errors import UserInputError
from deployer.config.project import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return write_project(tmp_path / "proj")


@pytest.fixture
def aws():
    """moto's in-process mock with fake credentials in a copy of the environment."""
    with mock_aws():
        env = dict(os.environ)
        env.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
        yield env


def s3(region: str = REGION):
    return boto3.client(
        "s3", region_name=region, aws_access_key_id="test", aws_secret_access_key="test"
    )


# --- bootstrap -------------------------------------------------------------------------------


def test_creates_a_versioned_encrypted_private_tls_only_bucket(project: Project, aws):
    result = bootstrap(project, "dev", aws)
    assert result.created and not result.already_set_up
    assert "Created state bucket demo-dev-tfstate (eu-west-1)" in result.summary

    client = s3()
    assert client.head_bucket(Bucket=BUCKET)["BucketRegion"] == REGION
    assert client.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    (rule,) = client.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"][
        "Rules"
    ]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = client.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    (statement,) = json.loads(client.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    assert statement["Effect"] == "Deny" and statement["Action"] == "s3:*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert f"arn:aws:s3:::{BUCKET}/*" in statement["Resource"]


def test_second_run_changes_nothing(project: Project, aws):
    bootstrap(project, "dev", aws)
    again = bootstrap(project, "dev", aws)
    assert again.already_set_up and again.changed == []
    assert again.summary == f"State bucket {BUCKET} ({REGION}) is already set up."


def test_an_existing_bucket_is_completed_and_its_own_settings_kept(project: Project, aws):
    client = s3()
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    kms = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/state"}
    client.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": kms}]},
    )
    theirs = {
        "Sid": "AllowCi",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:role/ci"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
    }
    client.put_bucket_policy(
        Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [theirs]})
    )

    result = bootstrap(project, "dev", aws)
    assert not result.created
    assert result.changed == [
        "versioning enabled",
        "public access blocked",
        "TLS-only bucket policy",
    ]
    rules = client.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]
    assert rules["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    sids = [
        s["Sid"] for s in json.loads(client.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    ]
    assert sids == ["AllowCi", TLS_ONLY_SID]


def test_bucket_in_another_region_is_a_clear_error(project: Project, aws):
    s3("us-west-2").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
    )
    with pytest.raises(UserInputError) as caught:
        bootstrap(project, "dev", aws)
    message = str(caught.value)
    assert "exists in region us-west-2" in message
    assert 'region = "eu-west-1"' in message and 'set region = "us-west-2"' in message


def test_bucket_name_taken_by_another_account_on_create(project: Project, aws, monkeypatch):
    # AWS: HeadBucket may say 404 to a caller without access, then CreateBucket says the name
    # is taken (moto cannot show this: its HeadBucket answers for every account's bucket).
    client = s3()
    stubber = Stubber(client)
    stubber.add_client_error("head_bucket", "404", http_status_code=404)
    stubber.add_client_error("create_bucket", "BucketAlreadyExists", http_status_code=409)
    stubber.activate()
    monkeypatch.setattr(bootstrap_module, "s3_client", lambda *a, **k: client)
    with pytest.raises(UserInputError, match="belongs to another AWS account"):
        bootstrap(project, "dev", aws)
    stubber.assert_no_pending_responses()


def test_bucket_of_another_account_forbidden_on_head(project: Project, aws, monkeypatch):
    client = s3()
    stubber = Stubber(client)
    stubber.add_client_error("head_bucket", "403", "Forbidden", http_status_code=403)
    stubber.activate()
    monkeypatch.setattr(bootstrap_module, "s3_client", lambda *a, **k: client)
    with pytest.raises(UserInputError, match=r"another AWS account.*dev\.backend\.hcl"):
        bootstrap(project, "dev", aws)
    stubber.assert_no_pending_responses()


def test_us_east_1_buckets_are_created_without_location_constraint(tmp_path: Path, aws):
    project = write_project(
        tmp_path / "p", 'bucket = "use1-state"\nkey = "k"\nregion = "us-east-1"\n'
    )
    assert bootstrap(project, "dev", aws).created
    assert s3("us-east-1").get_bucket_location(Bucket="use1-state")["LocationConstraint"] in (
        None,
        "us-east-1",
    )


# --- the command -----------------------------------------------------------------------------


def test_cli_bootstrap(project: Project, monkeypatch):
    monkeypatch.chdir(project.root)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    runner = CliRunner()
    with mock_aws():
        first = runner.invoke(app, ["bootstrap", "dev", "--json"])
        assert first.exit_code == 0, first.output
        data = json.loads(first.stdout)
        assert data["created"] and data["bucket"] == BUCKET and data["region"] == REGION
        second = runner.invoke(app, ["bootstrap", "dev"])
        assert second.exit_code == 0 and "already set up" in second.stdout

    unknown = runner.invoke(app, ["bootstrap", "nope"])
    assert unknown.exit_code == 2
    assert "Unknown environment 'nope'" in unknown.stderr
