"""Lambda's Python runtime on this machine: warm worker processes per function.

The embedded emulator runs every function it serves through a `Runtime`; each function
gets a pool of long-lived workers (`deployer/runtime/bootstrap.py` in a child Python),
like Lambda's execution environments.
"""

from __future__ import annotations

from deployer.runtime.environment import lambda_variables
from deployer.runtime.package import unpack_package
from deployer.runtime.pool import Runtime
from deployer.runtime.workers import DEFAULT_CONCURRENCY, FunctionCode, Invocation

__all__ = [
    "DEFAULT_CONCURRENCY",
    "FunctionCode",
    "Invocation",
    "Runtime",
    "lambda_variables",
    "unpack_package",
]
