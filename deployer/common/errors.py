"""The error types core modules raise; the CLI turns each into one message and an exit code."""

from __future__ import annotations

import os
import shlex
import signal
from collections.abc import Sequence

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


# How many lines of a failed command's output an error message quotes: enough for the
# error itself and its context, not a whole log.
OUTPUT_TAIL_LINES = 20


def describe_failure(
    command: str, outcome: str, tail: Sequence[str], *, summary: str = "", speaker: str = "it"
) -> str:
    """The message of a failed child process: `command` and `outcome`, then its last lines.

    Every failed child (Terraform's own errors too) reads the same way: the fix first when
    the caller knows one (`summary`), the command in backquotes so it can be copied, and
    the program's own last words, indented under "<speaker> said:".
    """
    head = f"`{command}` {outcome}"
    if summary:
        head = f"{summary} ({head})"
    if not tail:
        return head + "."
    return f"{head}; {speaker} said:\n" + "\n".join(f"  {line}" for line in tail)


def output_tail(output: str, count: int = OUTPUT_TAIL_LINES) -> list[str]:
    """The last `count` non-blank lines of `output`: where a failing program says why."""
    return [line.rstrip() for line in output.splitlines() if line.strip()][-count:]


class ProcessError(DeployerError):
    """A child process failed: the message shows the command, how it ended and its last output.

    The command is shown in full (shell-quoted, so it can be pasted into a shell to retry):
    a caller whose argv holds secrets formats its own message instead (Terraform's errors
    hide `-var` values with `display_command`).
    """

    def __init__(
        self,
        argv: Sequence[str],
        returncode: int | None,
        output: str = "",
        *,
        summary: str = "",
        timeout: float | None = None,
        reason: str = "",
    ) -> None:
        self.argv = tuple(argv)
        self.returncode = returncode  # None: it never started (`reason` says why)
        self.output = output
        self.summary = summary
        self.timeout = timeout  # the limit it ran into, None when it ended by itself
        self.reason = reason
        tail = output_tail(output)
        super().__init__(
            describe_failure(
                self.command, self._outcome(), tail, summary=summary, speaker=self._speaker()
            )
        )

    @property
    def command(self) -> str:
        return shlex.join(self.argv)

    def _speaker(self) -> str:
        # `python -m pip ...`: it is pip that speaks.
        if len(self.argv) > 2 and self.argv[1] == "-m":
            return self.argv[2]
        return os.path.basename(self.argv[0]) if self.argv else "it"

    def _outcome(self) -> str:
        if self.timeout is not None:
            return f"did not finish within {self.timeout:g} s and was killed"
        if self.returncode is None:
            return f"could not start ({self.reason or 'no reason given'})"
        if self.returncode < 0:
            try:
                return f"was killed by {signal.Signals(-self.returncode).name}"
            except ValueError:
                pass
        return f"failed with exit code {self.returncode}"

    def with_summary(self, summary: str) -> ProcessError:
        """The same failure, led by what it means for the caller and how to fix it."""
        return ProcessError(
            self.argv,
            self.returncode,
            self.output,
            summary=summary,
            timeout=self.timeout,
            reason=self.reason,
        )
