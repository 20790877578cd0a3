"""The embedded emulator for tests: a small emulated project, boto3 clients for a running
server, and what Lambda needs to create a function there (tests/emulator/)."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path

import boto3
from botocore.config import Config

from deployer.config.project import Project, find_project

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


def aws(server, service: str, **config):
    """A boto3 client of `service` for the running emulator `server`."""
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(**config) if config else None,
    )


def function_zip() -> bytes:
    """A function package with one handler."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


def lambda_role(server) -> str:
    """A new IAM role that Lambda may assume, in the running emulator `server`."""
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
