"""Shared basics every layer may use: the error types, child processes."""

from __future__ import annotations

from deployer.common.errors import EXIT_INTERRUPTED, DeployerError, Interrupted, UserInputError
from deployer.common.processes import Completed, StreamCallback, forward_interrupts

__all__ = [
    "EXIT_INTERRUPTED",
    "Completed",
    "DeployerError",
    "Interrupted",
    "StreamCallback",
    "UserInputError",
    "forward_interrupts",
]
