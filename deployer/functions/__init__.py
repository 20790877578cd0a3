"""The function convention: `lambda_src/<name>/function.toml` folders become function specs."""

from __future__ import annotations

from deployer.functions.discovery import SHARED_DIR, FunctionSpec, load_functions

__all__ = [
    "SHARED_DIR",
    "FunctionSpec",
    "load_functions",
]
