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
from typing import Any
from urllib.parse import urlsplit

from deployer.errors import UserInputError
from deployer.project import Project

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
# Names that mean "emulated" to a reader of the environment (and to `deployer invoke`).
EMULATOR_ENDPOINT_VAR = "DEPLOYER_EMULATOR_ENDPOINT"
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
        from deployer.bootstrap import bootstrap

        bootstrap(project, env_name, env)
    return env


def environment(project: Project, env_name: str) -> dict[str, str]:
    """Like `prepare`, without bootstrapping the state bucket (`deployer bootstrap` does it)."""
    if not is_emulated(project, env_name):
        refuse_emulator_endpoint(project, env_name)
        return dict(os.environ)

    from deployer.bootstrap import read_backend_config
    from deployer.local_emulator import ensure_running

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
    from deployer.local_emulator import recorded_port

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


def _botocore_session(environ: Mapping[str, str]) -> Any:
    """A botocore session whose settings (profile, config files, retries, ...) come from
    `environ` instead of os.environ."""
    import botocore.session
    from botocore.configprovider import BOTOCORE_DEFAUT_SESSION_VARIABLES, ConfigChainFactory

    core = botocore.session.Session()
    store = core.get_component("config_store")
    chains = ConfigChainFactory(session=core, environ=dict(environ))
    for name, (
        config_name,
        env_vars,
        default,
        convert,
    ) in BOTOCORE_DEFAUT_SESSION_VARIABLES.items():
        store.set_config_provider(
            name,
            chains.create_config_chain(
                instance_name=name,
                env_var_names=env_vars,
                config_property_names=config_name,
                default=default,
                conversion_func=convert,
            ),
        )
    return core


def client(
    environ: Mapping[str, str], service: str, region: str | None = None, path_style: bool = False
) -> Any:
    """A boto3 client configured from `environ` (credentials, endpoint, region), not os.environ."""
    import boto3
    from botocore.config import Config

    has_keys = bool(environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY"))
    session = boto3.session.Session(
        botocore_session=_botocore_session(environ),
        aws_access_key_id=environ.get("AWS_ACCESS_KEY_ID") if has_keys else None,
        aws_secret_access_key=environ.get("AWS_SECRET_ACCESS_KEY") if has_keys else None,
        aws_session_token=environ.get("AWS_SESSION_TOKEN") if has_keys else None,
        region_name=region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION"),
    )
    config_kwargs: dict[str, Any] = {}
    if path_style:
        config_kwargs["s3"] = {"addressing_style": "path"}
    if EMULATOR_ENDPOINT_VAR in environ:
        config_kwargs.update(connect_timeout=5, read_timeout=120)
    service_var = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
    endpoint = environ.get(service_var) or environ.get("AWS_ENDPOINT_URL") or None
    return session.client(
        service, endpoint_url=endpoint, config=Config(**config_kwargs) if config_kwargs else None
    )
