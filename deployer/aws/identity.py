"""Who an environment's commands act as on AWS: credentials found here, confirmed by STS.

`require_credentials` looks without calling AWS (before Terraform runs, so a missing login
is one line with the fix, not Terraform's error printed twice); `caller_identity` asks
STS GetCallerIdentity, with a short timeout and no retries (`deployer doctor ENV`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    HTTPClientError,
    NoCredentialsError,
    ProfileNotFound,
    SSOError,
    TokenRetrievalError,
)

from deployer.aws.clients import client, credentials
from deployer.common import DeployerError

# Seconds to connect and to read: an STS answer takes milliseconds; more means no network.
STS_TIMEOUT = 3
CREDENTIALS_FIX = (
    "log in with a profile (`aws sso login --profile NAME` or `aws configure --profile NAME`, "
    "then `export AWS_PROFILE=NAME`), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
)


# botocore's names for where credentials came from, as a user would say it. "explicit":
# the keys in the process environment, which `clients` hands to boto3 itself.
_SOURCES = {
    "explicit": "AWS_ACCESS_KEY_ID",
    "env": "AWS_ACCESS_KEY_ID",
    "shared-credentials-file": "the shared credentials file",
    "config-file": "the config file",
    "sso": "SSO",
    "assume-role": "an assumed role",
    "assume-role-with-web-identity": "web identity (AWS_WEB_IDENTITY_TOKEN_FILE)",
    "custom-process": "credential_process",
    "container-role": "container credentials",
    "iam-role": "instance metadata",
}


class CredentialsError(DeployerError):
    """The AWS credentials of an environment are missing, unusable or unreachable."""

    def __init__(self, problem: str, fix: str) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}: {fix}.")


@dataclass(frozen=True)
class Identity:
    """What STS GetCallerIdentity answered, and where the credentials came from."""

    account: str
    arn: str
    user_id: str
    source: str  # botocore's name for it: explicit, shared-credentials-file, sso, ...
    profile: str

    @property
    def described(self) -> str:
        """`account 123456789012, arn:aws:... (from SSO, profile dev)`."""
        where = _SOURCES.get(self.source, self.source)
        if self.source not in ("explicit", "env", "iam-role", "container-role"):
            where += f", profile {self.profile}"
        return f"account {self.account}, {self.arn} (from {where})"

    def as_dict(self) -> dict:
        return {
            "account": self.account,
            "arn": self.arn,
            "user_id": self.user_id,
            "source": self.source,
            "profile": self.profile,
        }


def _profile(environ: Mapping[str, str]) -> str:
    return environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE") or "default"


def _no_credentials(env_name: str) -> CredentialsError:
    return CredentialsError(
        f"No AWS credentials for {env_name}: none in the environment, an AWS profile "
        "(AWS_PROFILE, ~/.aws) or instance metadata",
        CREDENTIALS_FIX,
    )


def _unusable(env_name: str, environ: Mapping[str, str], exc: BotoCoreError) -> CredentialsError:
    profile = _profile(environ)
    if isinstance(exc, ProfileNotFound):
        return CredentialsError(
            f"The AWS profile {profile!r} of {env_name} does not exist (AWS_PROFILE; "
            "profiles live in ~/.aws/config or AWS_CONFIG_FILE)",
            f"create it (`aws configure sso --profile {profile}`) or export another AWS_PROFILE",
        )
    if isinstance(exc, SSOError | TokenRetrievalError):
        return CredentialsError(
            f"The SSO login of AWS profile {profile!r} for {env_name} has expired or is missing "
            f"({exc})",
            f"run `aws sso login --profile {profile}`",
        )
    return CredentialsError(
        f"The AWS credentials of {env_name} cannot be loaded ({exc})",
        f"fix the profile {profile!r} in ~/.aws/config, or {CREDENTIALS_FIX}",
    )


def require_credentials(environ: Mapping[str, str], env_name: str) -> str:
    """Where `environ`'s credentials come from (`env`, `sso`, ...); a `CredentialsError`
    with the fix when there are none. Nothing is sent to AWS but an instance-metadata
    request, and only when every other source is empty."""
    try:
        found = credentials(environ)
    except BotoCoreError as exc:
        raise _unusable(env_name, environ, exc) from None
    if found is None:
        raise _no_credentials(env_name)
    return str(getattr(found, "method", "") or "unknown")


def caller_identity(environ: Mapping[str, str], env_name: str) -> Identity:
    """STS GetCallerIdentity with `environ`'s credentials: account and ARN, or the fix."""
    source = require_credentials(environ, env_name)
    sts = client(
        environ,
        "sts",
        region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        connect_timeout=STS_TIMEOUT,
        read_timeout=STS_TIMEOUT,
        max_attempts=1,
    )
    try:
        answer = sts.get_caller_identity()
    except NoCredentialsError:
        raise _no_credentials(env_name) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise CredentialsError(
            f"AWS refused the credentials of {env_name} ({source}): {error.get('Code')}: "
            f"{error.get('Message')}",
            f"renew them (`aws sso login --profile {_profile(environ)}`, or new access keys)",
        ) from None
    except (ConnectionError, HTTPClientError) as exc:
        raise CredentialsError(
            f"AWS STS did not answer at {sts.meta.endpoint_url} within {STS_TIMEOUT} s ({exc})",
            "check the network, the proxy (HTTPS_PROXY) or AWS_ENDPOINT_URL_STS",
        ) from None
    except BotoCoreError as exc:
        raise _unusable(env_name, environ, exc) from None
    return Identity(
        account=str(answer.get("Account", "")),
        arn=str(answer.get("Arn", "")),
        user_id=str(answer.get("UserId", "")),
        source=source,
        profile=_profile(environ),
    )
