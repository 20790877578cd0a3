"""Where Terraform's output lines go while it runs."""

from __future__ import annotations

import re
import sys

from deployer.common import StreamCallback

# Colour codes, so a coloured "Outputs:" line is recognised too.
_ANSI_CODES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def console(line: str, channel: str) -> None:
    """Default stream: Terraform's stdout to ours, its stderr to ours, flushed per line."""
    target = sys.stderr if channel == "stderr" else sys.stdout
    print(line, file=target, flush=True)


def _without_outputs(stream: StreamCallback) -> StreamCallback:
    """`stream` minus the "Outputs:" section that ends Terraform's apply on stdout."""
    hiding = False

    def forward(line: str, channel: str) -> None:
        nonlocal hiding
        if channel == "stdout" and _ANSI_CODES.sub("", line).strip() == "Outputs:":
            hiding = True
        if not (hiding and channel == "stdout"):
            stream(line, channel)

    return forward
