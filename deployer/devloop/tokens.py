"""Tokens of the local emulator's OIDC issuer, for calling the API it serves."""

from __future__ import annotations

from collections.abc import Sequence

from deployer.aws import client, environment, is_emulated
from deployer.common import UserInputError
from deployer.config import Project, get_environment
from deployer.emulator import LOCAL_ISSUER, local_audiences, mint_token, state_dir
from deployer.functions import load_functions


def local_token(
    project: Project,
    env_name: str,
    scopes: Sequence[str] = (),
    subject: str = "local-user",
    lifetime: int = 3600,
    audiences: Sequence[str] = (),
) -> str:
    """A token the environment's served API accepts; the audience defaults to that of its
    deployed JWT authorizers of the local issuer. Starts the emulator if needed."""
    get_environment(project, env_name)
    if not is_emulated(project, env_name):
        raise UserInputError(
            f"Tokens for {env_name} come from your identity provider (the issuer in "
            f"envs/{env_name}.tfvars); `deployer token` mints tokens of the local emulator, "
            "for emulated environments only."
        )
    aws_env = environment(project, env_name)  # starts the emulator if it is not running
    chosen = list(audiences)
    if not chosen:
        api = client(aws_env, "apigatewayv2")
        chosen = local_audiences(api, api_name=f"{project.settings.app}-{env_name}")
    if not chosen:
        raise UserInputError(
            f"No JWT authorizer of the issuer {LOCAL_ISSUER} is deployed on {env_name} (apply "
            f"it first: deployer apply {env_name}), so name the token's audience with --audience."
        )
    return mint_token(
        state_dir(project), chosen, scopes=scopes, subject=subject, expires_in=lifetime
    )


def route_scopes(project: Project) -> list[str]:
    """Every scope a route of the project's functions asks for (a token that opens them all)."""
    return sorted({s for spec in load_functions(project) for r in spec.routes for s in r.scopes})
