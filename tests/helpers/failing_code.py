"""Breaking a deployed function on `local`, as a bad code-only deploy would: a handler
that raises, published as a new version, the function's aliases moved to it. The served
API reads the deployed state on every request, so the next call fails (smoke tests)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from deployer.config import find_project
from deployer.emulator import status as emulator_status
from deployer.functions import deployed_name
from helpers.emulator import aws


def deploy_failing_code(project: Path, function: str, env: str = "local") -> None:
    """`function`'s code in `env` of the project at `project` replaced by one that raises."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "handler.py", "def handler(event, context):\n    raise RuntimeError('broken')\n"
        )
    found = find_project(project)
    lam = aws(emulator_status(found), "lambda")
    name = deployed_name(found, env, function)
    version = lam.update_function_code(FunctionName=name, ZipFile=buffer.getvalue(), Publish=True)[
        "Version"
    ]
    for alias in lam.list_aliases(FunctionName=name)["Aliases"]:
        lam.update_alias(FunctionName=name, Name=alias["Name"], FunctionVersion=version)
