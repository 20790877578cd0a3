"""The embedded AWS emulator behind emulated environments: start, status, stop.

The server process (`python -m deployer.emulator.server`) and its moto additions are
not part of this face: they run in the emulator's own process."""

from __future__ import annotations

from deployer.emulator.control import death_watch, ensure_running, status, stop
from deployer.emulator.oidc import LOCAL_ISSUER, local_audiences, mint_token, unverified_claims
from deployer.emulator.state import FUNCTIONS_LOG, recorded_port, state_dir, take_notices

__all__ = [
    "FUNCTIONS_LOG",
    "LOCAL_ISSUER",
    "death_watch",
    "ensure_running",
    "local_audiences",
    "mint_token",
    "recorded_port",
    "state_dir",
    "status",
    "stop",
    "take_notices",
    "unverified_claims",
]
