"""Printing helpers shared by the commands: rich for people, JSON for CI.

No colour, nor any other ANSI styling, when the output is not a terminal (rich's own
rule) or when NO_COLOR is set to anything but "" (https://no-color.org); Terraform's
output follows the same rule (`-no-color`, deployer.terraform's adapter).
"""

from __future__ import annotations

import json
import os
import sys

from rich.console import Console
from rich.text import Text


def no_color() -> bool:
    """True when NO_COLOR asks for output without colour."""
    return os.environ.get("NO_COLOR", "") != ""


def _console(*, stderr: bool = False) -> Console:
    # color_system=None: rich's own NO_COLOR mode drops colours but keeps bold and
    # underline; no-color.org asks for plain text, and Terraform's -no-color gives that.
    return Console(stderr=stderr, color_system=None if no_color() else "auto")


console = _console()
err_console = _console(stderr=True)


def print_json(data: object) -> None:
    """JSON on stdout, nothing else, so CI can pipe it to jq."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    sys.stdout.flush()


def print_error(message: str, *, label: str = "error", style: str = "red") -> None:
    """`error: <message>` on stderr: the message literal (no markup), never wrapped."""
    line = Text.assemble((f"{label}:", style), " ", message) if message else Text(label, style)
    err_console.print(line, soft_wrap=True, emoji=False, highlight=False)
