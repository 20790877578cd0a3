"""The function convention: `lambda_src/<name>/function.toml` folders become function specs."""

from __future__ import annotations

from deployer.functions.discovery import (
    MANIFEST,
    SHARED_DIR,
    FunctionSpec,
    deployed_name,
    load_functions,
)

__all__ = [
    "MANIFEST",
    "SHARED_DIR",
    "FunctionSpec",
    "deployed_name",
    "load_functions",
]
