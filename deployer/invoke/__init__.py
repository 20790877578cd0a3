"""Running a function's handler here, in a child Python process, against an environment."""

from __future__ import annotations

from deployer.invoke.run import invoke, load_event

__all__ = [
    "invoke",
    "load_event",
]
