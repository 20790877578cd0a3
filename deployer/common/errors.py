"""The one error type core modules raise; the CLI turns it into one line and an exit code."""

from __future__ import annotations

# Documented exit codes (README, "Exit codes").
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class DeployerError(Exception):
    """An expected failure: the message is one sentence for the user, plus the fix."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class UserInputError(DeployerError):
    """Bad input from the user (a file, a field, an argument): exit code 2."""

    exit_code = EXIT_USAGE


class Interrupted(DeployerError):
    """The user (or CI) interrupted the run: exit code 130."""

    exit_code = EXIT_INTERRUPTED
