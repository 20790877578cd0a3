"""The state bucket of an environment, created with boto3 (Terraform cannot create its own).

`envs/<env>.backend.hcl` names the bucket and its region. `bootstrap` makes the bucket
what a Terraform state bucket should be: versioned, encrypted by default, every kind
of public access blocked, and reachable over TLS only. It is idempotent: a second run
changes nothing and says so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from deployer.aws.clients import client
from deployer.common import DeployerError, UserInputError
from deployer.config import BackendConfig, Project, read_backend_config

TLS_ONLY_SID = "DenyInsecureTransport"


@dataclass
class BootstrapResult:
    """What `bootstrap` found and did."""

    env: str
    bucket: str
    region: str
    created: bool = False
    changed: list[str] = field(default_factory=list)
    skipped: str = ""  # a setting left out on purpose, and why

    @property
    def already_set_up(self) -> bool:
        return not self.created and not self.changed

    @property
    def summary(self) -> str:
        if self.already_set_up:
            text = f"State bucket {self.bucket} ({self.region}) is already set up."
        else:
            verb = "Created" if self.created else "Updated"
            done = [c for c in self.changed if c != "created"]
            text = f"{verb} state bucket {self.bucket} ({self.region}): {', '.join(done)}."
        return f"{text} {self.skipped}" if self.skipped else text

    def as_dict(self) -> dict:
        return {
            "env": self.env,
            "bucket": self.bucket,
            "region": self.region,
            "created": self.created,
            "changed": list(self.changed),
            "already_set_up": self.already_set_up,
            "skipped": self.skipped,
        }


def s3_client(environ: Mapping[str, str], region: str, path_style: bool = False) -> Any:
    """An S3 client built from `environ` (never from os.environ's emulator-free state)."""
    return client(environ, "s3", region, path_style=path_style)


def bootstrap(project: Project, env_name: str, environ: Mapping[str, str]) -> BootstrapResult:
    """Create or complete the state bucket of `env_name` using the AWS environment `environ`."""
    config = read_backend_config(project, env_name)
    s3 = s3_client(environ, config.region, config.use_path_style)
    result = BootstrapResult(env=env_name, bucket=config.bucket, region=config.region)
    try:
        result.created = _ensure_bucket(s3, config)
        _ensure_versioning(s3, config, result)
        _ensure_encryption(s3, config, result)
        _ensure_public_access_block(s3, config, result)
        endpoint = s3.meta.endpoint_url or ""
        if endpoint.startswith("http://"):
            # A plain-HTTP endpoint (the embedded emulator on loopback) cannot meet the
            # policy: every request would rightly be denied, the lock file's included.
            result.skipped = f"No TLS-only policy: the S3 endpoint {endpoint} is plain HTTP."
        else:
            _ensure_tls_only_policy(s3, config, result)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        raise DeployerError(
            f"Setting up state bucket {config.bucket} failed: {err.get('Code')}: "
            f"{err.get('Message') or exc}; check the credentials' S3 permissions."
        ) from None
    except BotoCoreError as exc:
        raise DeployerError(
            f"Cannot reach S3 to set up state bucket {config.bucket} ({exc}); check the "
            "network and the AWS credentials."
        ) from None
    if result.created:
        result.changed.insert(0, "created")
    return result


def _bucket_region(response_or_error: Mapping[str, Any]) -> str | None:
    meta = response_or_error.get("ResponseMetadata", {})
    headers = meta.get("HTTPHeaders", {}) if isinstance(meta, Mapping) else {}
    return response_or_error.get("BucketRegion") or headers.get("x-amz-bucket-region")


def _wrong_region(config: BackendConfig, actual: str) -> DeployerError:
    return UserInputError(
        f"State bucket {config.bucket} exists in region {actual}, but {config.path.name} says "
        f'region = "{config.region}": set region = "{actual}" there (or pick another bucket '
        "name)."
    )


def _other_account(config: BackendConfig) -> DeployerError:
    return UserInputError(
        f"State bucket {config.bucket} exists but belongs to another AWS account (or these "
        f"credentials may not use it): pick another bucket name in {config.path.name}; "
        "bucket names are global across all accounts."
    )


def _ensure_bucket(s3: Any, config: BackendConfig) -> bool:
    """True when the bucket was created now; errors for another account or region."""
    try:
        head = s3.head_bucket(Bucket=config.bucket)
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = str(exc.response.get("Error", {}).get("Code"))
        if status == 403 or code in ("403", "AccessDenied", "Forbidden"):
            raise _other_account(config) from None
        if status == 301 or code in ("301", "PermanentRedirect"):
            raise _wrong_region(config, _bucket_region(exc.response) or "another region") from None
        if status != 404 and code not in ("404", "NoSuchBucket", "NotFound"):
            raise
    else:
        actual = _bucket_region(head)
        if actual and actual != config.region:
            raise _wrong_region(config, actual)
        return False
    kwargs: dict[str, Any] = {"Bucket": config.bucket}
    if config.region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": config.region}
    try:
        s3.create_bucket(**kwargs)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code == "BucketAlreadyExists":
            raise _other_account(config) from None
        if code != "BucketAlreadyOwnedByYou":
            raise
        location = s3.get_bucket_location(Bucket=config.bucket).get("LocationConstraint")
        actual = location or "us-east-1"
        if actual != config.region:
            raise _wrong_region(config, actual) from None
        return False
    return True


def _ensure_versioning(s3: Any, config: BackendConfig, result: BootstrapResult) -> None:
    if s3.get_bucket_versioning(Bucket=config.bucket).get("Status") == "Enabled":
        return
    s3.put_bucket_versioning(Bucket=config.bucket, VersioningConfiguration={"Status": "Enabled"})
    result.changed.append("versioning enabled")


def _ensure_encryption(s3: Any, config: BackendConfig, result: BootstrapResult) -> None:
    try:
        rules = s3.get_bucket_encryption(Bucket=config.bucket)["ServerSideEncryptionConfiguration"][
            "Rules"
        ]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in (
            "ServerSideEncryptionConfigurationNotFoundError",
            "NoSuchEncryptionConfiguration",
        ):
            raise
        rules = []
    if any(r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules):
        return  # encrypted already: SSE-S3 or a KMS key the owner chose; keep theirs
    s3.put_bucket_encryption(
        Bucket=config.bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    result.changed.append("default encryption (SSE-S3)")


_BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def _ensure_public_access_block(s3: Any, config: BackendConfig, result: BootstrapResult) -> None:
    try:
        current = s3.get_public_access_block(Bucket=config.bucket)["PublicAccessBlockConfiguration"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchPublicAccessBlockConfiguration":
            raise
        current = {}
    if all(current.get(k) is True for k in _BLOCK_ALL):
        return
    s3.put_public_access_block(Bucket=config.bucket, PublicAccessBlockConfiguration=_BLOCK_ALL)
    result.changed.append("public access blocked")


def tls_only_statement(bucket: str) -> dict:
    """The bucket-policy statement that refuses every request made without TLS."""
    return {
        "Sid": TLS_ONLY_SID,
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _ensure_tls_only_policy(s3: Any, config: BackendConfig, result: BootstrapResult) -> None:
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=config.bucket)["Policy"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchBucketPolicy":
            raise
        policy = {"Version": "2012-10-17", "Statement": []}
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    if any(s.get("Sid") == TLS_ONLY_SID for s in statements if isinstance(s, dict)):
        return
    # Keep whatever the owner put there; only add the TLS-only statement.
    policy["Statement"] = [*statements, tls_only_statement(config.bucket)]
    policy.setdefault("Version", "2012-10-17")
    s3.put_bucket_policy(Bucket=config.bucket, Policy=json.dumps(policy))
    result.changed.append("TLS-only bucket policy")
