"""`deployer token <env>`: a token of the local emulator's OIDC issuer, for calling the
served API (`curl -H "Authorization: Bearer $(deployer token local)" ...`)."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from deployer.cli.options import EnvArgument, JsonOption
from deployer.cli.output import print_json

ScopeOption = Annotated[
    list[str] | None,
    typer.Option("--scope", metavar="SCOPE", help="A scope the token grants (repeat for several)."),
]
SubOption = Annotated[str, typer.Option("--sub", metavar="ID", help="The token's subject (`sub`).")]
ExpiresOption = Annotated[
    str,
    typer.Option(
        "--expires",
        metavar="DURATION",
        help="How long the token is valid: 1h, 30m, 3600s, 7d or plain seconds.",
    ),
]
AudienceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--audience",
        metavar="AUD",
        help="The audience (`aud`); default: that of the environment's deployed JWT "
        "authorizers of the local issuer. Repeat for several.",
    ),
]

_DURATION = re.compile(r"(\d+)\s*([smhd]?)")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_LIFETIME = 366 * 86400


def parse_expires(text: str) -> int:
    """Seconds from `1h`, `30m`, `3600s`, `7d` or `3600`; a UserInputError otherwise."""
    from deployer.common import UserInputError

    match = _DURATION.fullmatch(text.strip().lower())
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)] if match else 0
    if not 0 < seconds <= MAX_LIFETIME:
        raise UserInputError(
            f"--expires {text!r} is not a lifetime: give a whole number of seconds, minutes, "
            "hours or days (3600s, 30m, 1h, 7d, or 3600 for seconds), at most 366 days."
        )
    return seconds


def token(
    env: EnvArgument,
    scope: ScopeOption = None,
    sub: SubOption = "local-user",
    expires: ExpiresOption = "1h",
    audience: AudienceOption = None,
    json_out: JsonOption = False,
) -> None:
    """Print a token of the local emulator's OIDC issuer (emulated environments only).

    Signed with the running emulator's key (started if needed): its served API accepts it.
    """
    from deployer.config import find_project
    from deployer.devloop import local_token
    from deployer.emulator import unverified_claims

    project = find_project()
    lifetime = parse_expires(expires)
    minted = local_token(
        project, env, scopes=scope or (), subject=sub, lifetime=lifetime, audiences=audience or ()
    )
    if json_out:
        print_json({"environment": env, "token": minted, "claims": unverified_claims(minted)})
    else:
        typer.echo(minted)
