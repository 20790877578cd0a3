"""What a failed Terraform command means: the error types and how they are told apart.

Every failure is a `TerraformError` (a `DeployerError`) whose message names the command
(argv without secrets), the exit code and the tail of what Terraform printed; the cases a
user must act on in a particular way get their own type and first sentence.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Callable, Mapping, Sequence

from deployer.common import (
    OUTPUT_TAIL_LINES,
    Completed,
    DeployerError,
    Interrupted,
    describe_failure,
)

# How many lines of Terraform's stderr an error message quotes.
ERROR_TAIL_LINES = OUTPUT_TAIL_LINES
MIRROR_HINT = (
    "set DEPLOYER_PROVIDER_MIRROR (or `provider_mirror` under [tool.deployer] in "
    "pyproject.toml) to a folder holding registry.terraform.io/hashicorp/aws, or give this "
    "machine access to registry.terraform.io"
)


class TerraformError(DeployerError):
    """A Terraform command failed: the message names the command, exit code and stderr tail."""

    def __init__(
        self, command: str, returncode: int, stderr: str, stdout: str = "", *, summary: str = ""
    ) -> None:
        self.command = command
        self.returncode = returncode
        self.stderr = stderr
        self.stdout = stdout
        super().__init__(format_failure(command, returncode, stderr or stdout, summary=summary))


class StateLockedError(TerraformError):
    """Another run holds the state lock."""

    def __init__(self, command: str, returncode: int, stderr: str, stdout: str = "", *,
                 lock: Mapping[str, str], unlock_command: str) -> None:  # fmt: skip
        self.lock_id = lock.get("ID", "")
        self.who = lock.get("Who", "")
        self.operation = lock.get("Operation", "")
        self.created = lock.get("Created", "")
        holder = ", ".join(
            part
            for part in (
                f"lock ID {self.lock_id}" if self.lock_id else "",
                self.operation,
                f"since {self.created}" if self.created else "",
            )
            if part
        )
        summary = (
            f"The state is locked by {self.who or 'another Terraform run'} ({holder}): wait "
            "for that run with `--lock-timeout 30s` (or longer), or, if it is dead, release "
            f"the lock with `{unlock_command}`"
        )
        super().__init__(command, returncode, stderr, stdout, summary=summary)


class StalePlanError(TerraformError):
    """The saved plan no longer matches the state: it must be planned again."""


class ProviderRegistryUnreachableError(TerraformError):
    """`init` could not reach the provider registry."""


class TerraformInterrupted(Interrupted):
    """Terraform was interrupted (Ctrl-C or SIGTERM): exit code 130."""

    def __init__(self, message: str, completed: Completed) -> None:
        super().__init__(message)
        self.completed = completed


def _plain_lines(text: str) -> list[str]:
    """Terraform's diagnostics without their box drawing, blank lines dropped."""
    lines = []
    for line in text.splitlines():
        line = re.sub(r"^[\s│╷╵]+", "", line).rstrip()
        if line:
            lines.append(line)
    return lines


def format_failure(command: str, returncode: int, output: str, *, summary: str = "") -> str:
    """One sentence (plus Terraform's last lines) for a failed Terraform command.

    The shape every failed child process has (`describe_failure`); the command is
    `display_command`'s, with secrets hidden, and the lines lose Terraform's box drawing.
    """
    tail = _plain_lines(output)[-ERROR_TAIL_LINES:]
    outcome = f"failed with exit code {returncode}"
    return describe_failure(command, outcome, tail, summary=summary, speaker="Terraform")


def display_command(argv: Sequence[str]) -> str:
    """argv for messages: the binary as `terraform`, values of `-var`/`-backend-config` hidden."""
    shown = ["terraform"]
    for arg in argv[1:]:
        if arg.startswith("-var="):
            arg = "-var=<hidden>"
        elif arg.startswith("-backend-config=") and "=" in arg[len("-backend-config=") :]:
            key = arg[len("-backend-config=") :].split("=", 1)[0]
            arg = f"-backend-config={key}=<hidden>"
        shown.append(arg)
    return " ".join(shown)


def parse_lock_info(text: str) -> dict[str, str]:
    """The `Lock Info:` block of Terraform's "Error acquiring the state lock"."""
    info = {}
    for line in _plain_lines(text):
        match = re.fullmatch(r"(ID|Path|Operation|Who|Version|Created|Info):\s*(.*)", line)
        if match and match.group(1) not in info:
            info[match.group(1)] = match.group(2).strip()
    return info


def killed_summary(signum: int, unlock_command: Callable[[str], str]) -> str:
    """What a Terraform killed from outside (OOM killer, `kill -9`) leaves, and what to do."""
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    return (
        f"Terraform was killed by {name}, not by the deployer: it could not save what it had "
        "done, so resources it created may be missing from the state, and its state lock may "
        "still be held. Run the command again: a held lock is then named with its ID (when no "
        f"other run holds it, release it with `{unlock_command('<LOCK_ID>')}`)"
    )


def classify_failure(
    command: str,
    returncode: int,
    stderr: str,
    stdout: str,
    *,
    unlock_command: Callable[[str], str],
    mirror_configured: bool,
) -> TerraformError:
    """The most specific error for a failed command (`unlock_command(lock_id)`: the hint)."""
    text = stderr + stdout
    flat = " ".join(text.split())  # Terraform wraps its messages at 80 columns
    args = (command, returncode, stderr, stdout)
    if returncode < 0:  # killed by a signal the deployer did not send
        return TerraformError(*args, summary=killed_summary(-returncode, unlock_command))
    if "Error acquiring the state lock" in flat:
        lock = parse_lock_info(text)
        hint = unlock_command(lock.get("ID") or "<LOCK_ID>")
        return StateLockedError(*args, lock=lock, unlock_command=hint)
    if "Saved plan is stale" in flat:
        return StalePlanError(
            *args,
            summary=(
                "The saved plan is stale: the state changed after it was made, so it was not "
                "applied; plan again, review, and apply the new plan"
            ),
        )
    if re.search(r"could not connect to registry|failed to request discovery document", flat):
        if not mirror_configured:
            summary = (
                "terraform init could not reach the provider registry and no provider mirror "
                f"is configured: {MIRROR_HINT}"
            )
        else:
            summary = (
                "terraform init could not reach the provider registry for a provider the "
                "configured offline mirror does not hold: add that provider to the mirror, "
                "or give this machine registry access"
            )
        return ProviderRegistryUnreachableError(*args, summary=summary)
    return TerraformError(*args)
