"""The embedded AWS emulator behind emulated environments: start, status, stop.

The server process (`python -m deployer.emulator.server`) and its moto additions are
not part of this face: they run in the emulator's own process."""

from __future__ import annotations

from deployer.emulator.control import ensure_running, status, stop
from deployer.emulator.state import recorded_port

__all__ = [
    "ensure_running",
    "recorded_port",
    "status",
    "stop",
]
