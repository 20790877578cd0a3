"""Lambda's and S3's errors as one line that names what was being done and the fix."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from deployer.common import DeployerError

# Error codes that mean "this function, alias, version or object is not there".
NOT_FOUND = ("ResourceNotFoundException", "NoSuchKey", "404")


def error_code(exc: ClientError) -> str:
    """The AWS error code of a failed call ("" when the answer had none)."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def aws_error(exc: Exception, doing: str, env_name: str) -> DeployerError:
    """One line for a failed call; `doing` reads as "updating the code of demo-dev-items"."""
    what = f"{doing[:1].upper()}{doing[1:]}"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return DeployerError(
            f"{what} failed in {env_name} ({error.get('Code')}: {error.get('Message')}); "
            f"check the environment's AWS credentials, or run deployer apply {env_name} "
            "if it is not deployed."
        )
    if isinstance(exc, WaiterError):
        reason = (exc.last_response or {}).get("Configuration", {}).get("LastUpdateStatusReason")
        return DeployerError(
            f"{what} did not finish in {env_name} ({reason or exc}); see the function's "
            "configuration in the Lambda console."
        )
    return DeployerError(f"Cannot reach AWS in {env_name} while {doing} ({exc}).")


@contextmanager
def aws_calls(doing: str, env_name: str) -> Iterator[None]:
    """Turn a failed AWS call inside the block into one `DeployerError` (`aws_error`)."""
    try:
        yield
    except (ClientError, WaiterError, BotoCoreError) as exc:
        raise aws_error(exc, doing, env_name) from None
