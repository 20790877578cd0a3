"""Shared basics every layer may use: the error types, child processes, atomic file
writes, did-you-mean hints."""

from __future__ import annotations

from deployer.common.errors import (
    EXIT_INTERRUPTED,
    OUTPUT_TAIL_LINES,
    DeployerError,
    Interrupted,
    ProcessError,
    UserInputError,
    describe_failure,
)
from deployer.common.files import atomic_write
from deployer.common.interrupts import forward_interrupts
from deployer.common.liveness import process_command_line, process_gone, terminate_session
from deployer.common.processes import (
    Completed,
    StreamCallback,
    run_captured,
    run_streaming,
    spawn_detached,
)
from deployer.common.suggest import closest, did_you_mean

__all__ = [
    "EXIT_INTERRUPTED",
    "OUTPUT_TAIL_LINES",
    "Completed",
    "DeployerError",
    "Interrupted",
    "ProcessError",
    "StreamCallback",
    "UserInputError",
    "atomic_write",
    "closest",
    "describe_failure",
    "did_you_mean",
    "forward_interrupts",
    "process_command_line",
    "process_gone",
    "run_captured",
    "run_streaming",
    "spawn_detached",
    "terminate_session",
]
