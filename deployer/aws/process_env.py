"""The process environment for an environment's Terraform and boto3 calls.

Emulated environments (`[tool.deployer] emulated`, default `["local"]`) get the
embedded emulator's endpoint, fake credentials and the backend's region, and nothing
of the user's own AWS setup (profile, SSO, config file). Every other environment gets
`os.environ` as it is, plus the backend's region as AWS_REGION when the shell sets none;
when its backend is S3 (a `bucket` in the backend file) its credentials must exist, or
the error says how to log in. `os.environ` itself is never changed: these values only
ever live in the dict handed to a child process or a boto3 client.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from urllib.parse import urlsplit

from deployer.aws.clients import EMULATOR_ENDPOINT_VAR
from deployer.aws.identity import require_credentials
from deployer.aws.state_bucket import bootstrap
from deployer.common import UserInputError
from deployer.config import Project, read_backend_config, read_hcl
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


def backend_settings(project: Project, env_name: str) -> dict:
    """What `envs/<env>.backend.hcl` says, as it is ({} without the file): any backend."""
    path = project.envs_dir / f"{env_name}.backend.hcl"
    return read_hcl(path, root=project.root).values if path.is_file() else {}


def region(project: Project, env_name: str, environ: Mapping[str, str]) -> tuple[str, str]:
    """The AWS region `env_name`'s commands use and where it is set; ("", "") for none.

    The shell's AWS_REGION (or AWS_DEFAULT_REGION) wins; else the backend file's region.
    """
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if environ.get(name):
            return environ[name], name
    value = backend_settings(project, env_name).get("region")
    if isinstance(value, str) and value:
        return value, f"envs/{env_name}.backend.hcl"
    return "", ""


def state_credentials_environ(
    project: Project, env_name: str, environ: Mapping[str, str]
) -> dict[str, str] | None:
    """`environ` as Terraform's S3 backend takes its credentials from it (the backend
    file's `profile` wins over AWS_PROFILE); None when the state is not in S3."""
    settings = backend_settings(project, env_name)
    if not settings.get("bucket"):
        return None
    found = dict(environ)
    profile = settings.get("profile")
    if isinstance(profile, str) and profile:
        found["AWS_PROFILE"] = profile
    return found


def environment(project: Project, env_name: str) -> dict[str, str]:
    """Like `prepare`, without bootstrapping the state bucket (`deployer bootstrap` does it)."""
    if not is_emulated(project, env_name):
        refuse_emulator_endpoint(project, env_name)
        env = dict(os.environ)
        name, source = region(project, env_name, env)
        if name and source not in ("AWS_REGION", "AWS_DEFAULT_REGION"):
            env["AWS_REGION"] = name
        state_environ = state_credentials_environ(project, env_name, env)
        if state_environ is not None:  # an S3 state: nothing works without credentials
            require_credentials(state_environ, env_name)
        return env

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
