"""The process environment for an environment's Terraform and boto3 calls.

Emulated environments (`[tool.deployer] emulated`, default `["local"]`) get the
embedded emulator's endpoint, fake credentials and the backend's region, and nothing
of the user's own AWS setup (profile, SSO, config file). Every other environment gets
`os.environ` as it is. `os.environ` itself is never changed: the emulator's values only
ever live in the dict handed to a child process or a boto3 client.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from urllib.parse import urlsplit

from deployer.aws.clients import EMULATOR_ENDPOINT_VAR
from deployer.aws.state_bucket import bootstrap
from deployer.common import UserInputError
from deployer.config import Project, read_backend_config
from deployer.emulator import ensure_running, recorded_port

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
# Retrying against a local, deterministic emulator only delays the error.
EMULATED_MAX_ATTEMPTS = "3"
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}  # noqa: S104 (compared, not bound)


def is_emulated(project: Project, env_name: str) -> bool:
    """True when `env_name` runs on the embedded emulator."""
    return env_name in project.settings.emulated


def emulated_environment(
    endpoint: str, region: str, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`base` (default os.environ) without any AWS_* setting, plus the emulator's."""
    base = os.environ if base is None else base
    env = {k: v for k, v in base.items() if not k.startswith("AWS_")}
    env.update(FAKE_CREDENTIALS)
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            # The user's ~/.aws files (profiles, SSO, endpoint_url) must not reach the emulator.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_RETRY_MODE": "standard",
            "AWS_MAX_ATTEMPTS": EMULATED_MAX_ATTEMPTS,
            EMULATOR_ENDPOINT_VAR: endpoint,
        }
    )
    return env


def prepare(project: Project, env_name: str) -> dict[str, str]:
    """The environment for Terraform and boto3 in `env_name`; starts the emulator if needed.

    For an emulated environment: ensures the emulator runs, returns os.environ minus
    AWS_* plus the endpoint, fake credentials and the backend's region, and bootstraps
    the state bucket (quietly, idempotently). For any other environment: a copy of
    os.environ, after refusing an AWS_ENDPOINT_URL that points at our emulator.
    """
    env = environment(project, env_name)
    if is_emulated(project, env_name):
        bootstrap(project, env_name, env)
    return env


def environment(project: Project, env_name: str) -> dict[str, str]:
    """Like `prepare`, without bootstrapping the state bucket (`deployer bootstrap` does it)."""
    if not is_emulated(project, env_name):
        refuse_emulator_endpoint(project, env_name)
        return dict(os.environ)

    backend = read_backend_config(project, env_name)
    status = ensure_running(project)
    if status.note:
        sys.stderr.write(f"local emulator: {status.note}\n")
    if status.started:
        sys.stderr.write(f"local emulator: started on {status.endpoint} (pid {status.pid})\n")
    return emulated_environment(status.endpoint or "", backend.region)


def _endpoint_port(url: str) -> tuple[str, int | None]:
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        return (parts.hostname or "", parts.port)
    except ValueError:
        return ("", None)


def refuse_emulator_endpoint(project: Project, env_name: str) -> None:
    """A non-emulated environment must never talk to our emulator through the user's shell."""
    port = recorded_port(project)
    if port is None:
        return
    for name, value in sorted(os.environ.items()):
        if not name.startswith("AWS_ENDPOINT_URL"):
            continue
        host, url_port = _endpoint_port(value)
        if host in _LOOPBACK and url_port == port:
            raise UserInputError(
                f"{name}={value} points at the local emulator, but {env_name!r} is not an "
                f"emulated environment: unset {name} in this shell (deployer sets the "
                "emulator's endpoint itself, for emulated environments only)."
            )
