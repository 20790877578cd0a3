"""A code-only deploy of one function: package it, upload the zip with UpdateFunctionCode
(publishing a version) and point its aliases at that version, as a code-only deploy does
on AWS. Terraform's configuration of the function is untouched; the next plan sees the
same code hash and no change to it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from deployer.aws import client
from deployer.common import DeployerError
from deployer.config import Project
from deployer.functions import deployed_name
from deployer.packaging import build


@dataclass(frozen=True)
class CodeUpdate:
    function: str
    version: str
    rebuilt: bool
    seconds: float


def update_code(
    project: Project, env_name: str, environ: Mapping[str, str], function: str
) -> CodeUpdate:
    """Repackage `function` and deploy only its code to `env_name`."""
    started = time.monotonic()
    built = build(project, only=function, progress=False)
    data = (project.build_dir / f"{function}.zip").read_bytes()
    name = deployed_name(project, env_name, function)
    lam = client(dict(environ), "lambda")
    try:
        updated = lam.update_function_code(FunctionName=name, ZipFile=data, Publish=True)
        version = updated["Version"]
        for alias in lam.list_aliases(FunctionName=name).get("Aliases", []):
            lam.update_alias(FunctionName=name, Name=alias["Name"], FunctionVersion=version)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise DeployerError(
            f"Updating the code of {name} failed ({error.get('Code')}: {error.get('Message')}); "
            f"is it deployed? (deployer apply {env_name})"
        ) from None
    except BotoCoreError as exc:
        raise DeployerError(f"Cannot reach Lambda to update {name} ({exc}).") from None
    return CodeUpdate(function, version, function in built.built, time.monotonic() - started)
