"""`deployer deploy-code ENV [FUNCTION...]`: the fast path for a change of code only.

Package, compare each function's zip with what is deployed (`code_changes`), and for each
one whose code changed: upload it as Terraform would, UpdateFunctionCode, wait until
Lambda has taken it, PublishVersion and move `live` there. Anything that is not code (a
function.toml setting, a new or a removed function) is refused: that is `deployer apply`.

The next plan shows no changes: the zip goes to the key modules/lambda_function stores it
under (`<function name>/package.zip`) with the same `code-sha256` metadata and the
object's own tags, and the AWS provider reads the function's code hash and latest
published version back from Lambda, which now match the build.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from botocore.exceptions import ClientError

from deployer.aws import client
from deployer.common import DeployerError
from deployer.config import Project
from deployer.functions import load_functions
from deployer.packaging import build
from deployer.release.code_changes import CodeChange, find_code_changes
from deployer.release.lambda_errors import NOT_FOUND, aws_calls, aws_error, error_code
from deployer.release.versions import ALIAS

# modules/lambda_function's aws_s3_object.package: one stable key per function.
PACKAGE_KEY = "{function_name}/package.zip"
# ... and the metadata that holds the zip's hash (what makes Terraform upload a new build).
HASH_METADATA = "code-sha256"
_DEPLOYS = 4  # functions deployed side by side


@dataclass(frozen=True)
class CodeDeployPlan:
    """What a deploy-code run would do: the functions compared, and where zips go."""

    environment: str
    changes: tuple[CodeChange, ...]
    bucket: str | None  # the packages bucket; None: zips go with UpdateFunctionCode
    built: tuple[str, ...]  # functions repackaged by this run's build
    started: float

    @property
    def to_deploy(self) -> tuple[CodeChange, ...]:
        return tuple(c for c in self.changes if c.changed)


@dataclass(frozen=True)
class FunctionDeploy:
    """One function whose code was deployed: from which version to which."""

    change: CodeChange
    version: str
    uploaded: bool
    seconds: float

    def as_dict(self) -> dict:
        c = self.change
        return {
            "function": c.function,
            "deployed_name": c.deployed_name,
            "previous_version": c.live_version,
            "version": self.version,
            "previous_code_sha256": c.live_sha256,
            "code_sha256": c.code_sha256,
            "uploaded": self.uploaded,
            "seconds": round(self.seconds, 2),
        }


@dataclass(frozen=True)
class CodeDeployResult:
    """A finished deploy-code run."""

    environment: str
    deployed: tuple[FunctionDeploy, ...]
    unchanged: tuple[str, ...]
    seconds: float

    def as_dict(self) -> dict:
        return {
            "environment": self.environment,
            "deployed": [d.as_dict() for d in self.deployed],
            "unchanged": list(self.unchanged),
            "seconds": round(self.seconds, 2),
        }


def _packages_bucket(outputs: Mapping[str, Any], env_name: str) -> str | None:
    if "function_names" not in outputs:
        raise DeployerError(
            f"{env_name} has no functions deployed yet: run deployer apply {env_name}."
        )
    if "packages_bucket" not in outputs:
        raise DeployerError(
            f"{env_name}'s stack has no packages_bucket output yet (it was applied before "
            f"deploy-code existed): run deployer apply {env_name} once."
        )
    return outputs["packages_bucket"] or None


def plan_code_deploy(
    project: Project,
    env_name: str,
    environ: Mapping[str, str],
    outputs: Mapping[str, Any],
    functions: Sequence[str] | None = None,
    *,
    progress: bool | None = None,
) -> CodeDeployPlan:
    """Package and compare with what `env_name` runs; refuse anything that is not code.

    `outputs`: the stack's outputs (`function_names`, `packages_bucket`).
    """
    started = time.monotonic()
    bucket = _packages_bucket(outputs, env_name)
    only = functions[0] if functions and len(set(functions)) == 1 else None
    result = build(project, only=only, progress=progress)
    sources = {
        s.name: s.manifest_path.relative_to(project.root).as_posix()
        for s in load_functions(project)
    }
    changes = find_code_changes(
        client(dict(environ), "lambda"),
        env_name,
        result.manifest["functions"],
        outputs["function_names"] or {},
        root=project.root,
        sources=sources,
        selected=list(functions or ()),
    )
    return CodeDeployPlan(env_name, tuple(changes), bucket, tuple(result.built), started)


def _upload(s3: Any, bucket: str, change: CodeChange, data: bytes, env_name: str) -> dict:
    """The zip at the module's key, with its metadata and the object's tags kept as they are."""
    key = PACKAGE_KEY.format(function_name=change.deployed_name)
    try:
        tags = s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
    except ClientError as exc:
        if error_code(exc) not in NOT_FOUND:
            raise aws_error(exc, f"reading the tags of s3://{bucket}/{key}", env_name) from None
        raise DeployerError(
            f"{change.function}'s package is not at s3://{bucket}/{key} (the stack was applied "
            f"with another key scheme): run deployer apply {env_name} once."
        ) from None
    with aws_calls(f"uploading {change.function}'s package to s3://{bucket}/{key}", env_name):
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=data,
            Metadata={HASH_METADATA: change.code_sha256},
            Tagging=urlencode([(t["Key"], t["Value"]) for t in tags]),
        )
    return {"S3Bucket": bucket, "S3Key": key}


def _deploy_one(
    environ: Mapping[str, str], plan: CodeDeployPlan, change: CodeChange
) -> FunctionDeploy:
    started = time.monotonic()
    env_name, name = plan.environment, change.deployed_name
    lam = client(dict(environ), "lambda")
    if change.needs_upload:
        data = change.zip_path.read_bytes()
        if plan.bucket:
            path_style = bool(environ.get("AWS_ENDPOINT_URL"))
            s3 = client(dict(environ), "s3", path_style=path_style)
            code = _upload(s3, plan.bucket, change, data, env_name)
        else:
            code = {"ZipFile": data}
        with aws_calls(f"updating the code of {name}", env_name):
            lam.update_function_code(FunctionName=name, **code)
        with aws_calls(f"the code update of {name}", env_name):
            lam.get_waiter("function_updated_v2").wait(
                FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 300}
            )
    with aws_calls(f"publishing a version of {name}", env_name):
        # CodeSha256: publish only the code this run built, never someone else's upload.
        version = str(
            lam.publish_version(FunctionName=name, CodeSha256=change.code_sha256)["Version"]
        )
    with aws_calls(f"moving {ALIAS} of {name} to version {version}", env_name):
        lam.update_alias(FunctionName=name, Name=ALIAS, FunctionVersion=version)
    return FunctionDeploy(change, version, change.needs_upload, time.monotonic() - started)


def apply_code_deploy(environ: Mapping[str, str], plan: CodeDeployPlan) -> CodeDeployResult:
    """Deploy the code of every changed function of `plan`, side by side."""
    todo = plan.to_deploy
    with ThreadPoolExecutor(max_workers=_DEPLOYS, thread_name_prefix="deploy") as pool:
        deployed = list(pool.map(lambda c: _deploy_one(environ, plan, c), todo))
    unchanged = tuple(c.function for c in plan.changes if not c.changed)
    return CodeDeployResult(
        plan.environment, tuple(deployed), unchanged, time.monotonic() - plan.started
    )


def deploy_code(
    project: Project,
    env_name: str,
    environ: Mapping[str, str],
    outputs: Mapping[str, Any],
    functions: Sequence[str] | None = None,
    *,
    progress: bool | None = False,
) -> CodeDeployResult:
    """`plan_code_deploy` then `apply_code_deploy`, without asking (`deployer dev`)."""
    return apply_code_deploy(
        environ, plan_code_deploy(project, env_name, environ, outputs, functions, progress=progress)
    )
