"""boto3 clients built from a given process environment, never from os.environ's own state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.configprovider import BOTOCORE_DEFAUT_SESSION_VARIABLES, ConfigChainFactory
from botocore.exceptions import NoRegionError

from deployer.common import DeployerError

# Set in the environment of an emulated environment's child processes and clients.
EMULATOR_ENDPOINT_VAR = "DEPLOYER_EMULATOR_ENDPOINT"


def _botocore_session(environ: Mapping[str, str]) -> Any:
    """A botocore session whose settings (profile, config files, retries, ...) come from
    `environ` instead of os.environ."""
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


def _session(environ: Mapping[str, str], region: str | None = None) -> Any:
    has_keys = bool(environ.get("AWS_ACCESS_KEY_ID") and environ.get("AWS_SECRET_ACCESS_KEY"))
    return boto3.session.Session(
        botocore_session=_botocore_session(environ),
        aws_access_key_id=environ.get("AWS_ACCESS_KEY_ID") if has_keys else None,
        aws_secret_access_key=environ.get("AWS_SECRET_ACCESS_KEY") if has_keys else None,
        aws_session_token=environ.get("AWS_SESSION_TOKEN") if has_keys else None,
        region_name=region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION"),
    )


def credentials(environ: Mapping[str, str]) -> Any | None:
    """The credentials a client made from `environ` would sign with; None when there are none.

    Found without calling AWS for keys and profiles (SSO and assume-role credentials are
    fetched on first use); only instance metadata is asked, as the last source. A profile
    that does not exist or cannot be loaded raises botocore's error.
    """
    return _session(environ).get_credentials()


def client(
    environ: Mapping[str, str],
    service: str,
    region: str | None = None,
    path_style: bool = False,
    read_timeout: float | None = None,
    connect_timeout: float | None = None,
    max_attempts: int | None = None,
) -> Any:
    """A boto3 client configured from `environ` (credentials, endpoint, region), not os.environ.

    `read_timeout` (seconds): for a call that waits on purpose, e.g. a synchronous Lambda
    invoke that lasts as long as the function runs. `max_attempts` 1: no retries.
    """
    session = _session(environ, region)
    config_kwargs: dict[str, Any] = {}
    if path_style:
        config_kwargs["s3"] = {"addressing_style": "path"}
    if EMULATOR_ENDPOINT_VAR in environ:
        config_kwargs.update(connect_timeout=5, read_timeout=120)
    if read_timeout is not None:
        config_kwargs["read_timeout"] = read_timeout
    if connect_timeout is not None:
        config_kwargs["connect_timeout"] = connect_timeout
    if max_attempts is not None:
        config_kwargs["retries"] = {"total_max_attempts": max_attempts}
    service_var = "AWS_ENDPOINT_URL_" + service.upper().replace("-", "_")
    endpoint = environ.get(service_var) or environ.get("AWS_ENDPOINT_URL") or None
    try:
        return session.client(
            service,
            endpoint_url=endpoint,
            config=Config(**config_kwargs) if config_kwargs else None,
        )
    except NoRegionError:
        raise DeployerError(
            f'No AWS region to call {service} in: set region = "..." in the environment\'s '
            "envs/<env>.backend.hcl, or export AWS_REGION (e.g. AWS_REGION=eu-west-1)."
        ) from None
