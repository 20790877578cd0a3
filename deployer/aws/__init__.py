"""AWS from Python: boto3 clients, the process environment of an environment, the state
bucket, and the checks of what an environment would reach (`doctor ENV`)."""

from __future__ import annotations

from deployer.aws.clients import client
from deployer.aws.identity import CredentialsError, Identity, caller_identity
from deployer.aws.process_env import environment, is_emulated, prepare
from deployer.aws.readiness import AwsCheck, aws_checks
from deployer.aws.state_bucket import BootstrapResult, bootstrap

__all__ = [
    "AwsCheck",
    "BootstrapResult",
    "CredentialsError",
    "Identity",
    "aws_checks",
    "bootstrap",
    "caller_identity",
    "client",
    "environment",
    "is_emulated",
    "prepare",
]
