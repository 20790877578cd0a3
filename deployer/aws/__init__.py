"""AWS from Python: boto3 clients, the process environment of an environment, the state bucket."""

from __future__ import annotations

from deployer.aws.clients import client
from deployer.aws.process_env import environment, is_emulated, prepare
from deployer.aws.state_bucket import BootstrapResult, bootstrap

__all__ = [
    "BootstrapResult",
    "bootstrap",
    "client",
    "environment",
    "is_emulated",
    "prepare",
]
