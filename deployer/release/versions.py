"""`deployer versions ENV FUNCTION`: a function's published versions, and which one its
`live` alias points at (what callers get). Rollback reads the same list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from deployer.aws import client
from deployer.common import DeployerError, UserInputError, did_you_mean
from deployer.config import Project
from deployer.functions import deployed_name, load_functions
from deployer.release.lambda_errors import NOT_FOUND, aws_calls, aws_error, error_code

# The alias modules/lambda_function points at the version each apply publishes.
ALIAS = "live"


@dataclass(frozen=True)
class PublishedVersion:
    """One published version of a function: its number, code and when it was made."""

    version: str
    code_sha256: str
    last_modified: str
    description: str = ""

    def as_dict(self) -> dict:
        return {
            "version": self.version,
            "code_sha256": self.code_sha256,
            "last_modified": self.last_modified,
            "description": self.description,
        }


@dataclass(frozen=True)
class FunctionVersions:
    """A function's published versions, oldest first, and the one `live` points at."""

    environment: str
    function: str
    deployed_name: str
    live: str
    versions: tuple[PublishedVersion, ...]

    def find(self, version: str) -> PublishedVersion | None:
        return next((v for v in self.versions if v.version == version), None)

    @property
    def latest(self) -> PublishedVersion | None:
        """The newest published version: where the next apply points `live`."""
        return self.versions[-1] if self.versions else None

    def as_dict(self) -> dict:
        return {
            "environment": self.environment,
            "function": self.function,
            "deployed_name": self.deployed_name,
            "alias": ALIAS,
            "live": self.live,
            "latest": self.latest.version if self.latest else None,
            "versions": [{**v.as_dict(), "live": v.version == self.live} for v in self.versions],
        }


def known_function(project: Project, env_name: str, function: str) -> str:
    """The deployed name of a function of lambda_src/; an unknown name is bad input."""
    names = [s.name for s in load_functions(project)]
    if function not in names:
        raise UserInputError(
            f"No function named {function!r} under lambda_src/{did_you_mean(function, names)}; "
            f"functions: {', '.join(names) or 'none'}."
        )
    return deployed_name(project, env_name, function)


def read_versions(lam: Any, env_name: str, function: str, name: str) -> FunctionVersions:
    """The published versions of the deployed function `name` and its `live` alias."""
    try:
        alias = lam.get_alias(FunctionName=name, Name=ALIAS)
    except ClientError as exc:
        if error_code(exc) not in NOT_FOUND:
            raise aws_error(exc, f"reading the {ALIAS} alias of {name}", env_name) from None
        raise DeployerError(
            f"{function} is not deployed in {env_name} ({name} has no {ALIAS} alias): "
            f"run deployer apply {env_name}."
        ) from None
    versions = []
    with aws_calls(f"listing the versions of {name}", env_name):
        for page in lam.get_paginator("list_versions_by_function").paginate(FunctionName=name):
            for entry in page.get("Versions", []):
                if entry.get("Version") == "$LATEST":
                    continue  # the unpublished draft: nothing can point at it
                versions.append(
                    PublishedVersion(
                        version=str(entry["Version"]),
                        code_sha256=entry.get("CodeSha256", ""),
                        last_modified=entry.get("LastModified", ""),
                        description=entry.get("Description", ""),
                    )
                )
    versions.sort(key=lambda v: int(v.version))
    return FunctionVersions(
        env_name, function, name, str(alias["FunctionVersion"]), tuple(versions)
    )


def list_versions(
    project: Project, env_name: str, environ: Mapping[str, str], function: str
) -> FunctionVersions:
    """`deployer versions`: the published versions of `function` in `env_name`."""
    name = known_function(project, env_name, function)
    return read_versions(client(dict(environ), "lambda"), env_name, function, name)
