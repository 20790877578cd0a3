"""Printing helpers shared by the commands: rich for people, JSON for CI."""

from __future__ import annotations

import json
import sys

from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def print_json(data: object) -> None:
    """JSON on stdout, nothing else, so CI can pipe it to jq."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
    sys.stdout.flush()
