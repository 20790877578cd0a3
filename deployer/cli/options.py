"""The options and arguments several commands share, declared once (one `Annotated` style)."""

from __future__ import annotations

from typing import Annotated

import typer

JsonOption = Annotated[
    bool,
    typer.Option("--json", help="Print JSON on stdout for CI (anything else goes to stderr)."),
]
EnvArgument = Annotated[str, typer.Argument(help="The environment (envs/<env>.tfvars).")]
LockTimeoutOption = Annotated[
    str | None,
    typer.Option(
        "--lock-timeout",
        metavar="DURATION",
        help="Wait this long for a held state lock (e.g. 30s, 5m) instead of failing at once.",
    ),
]
