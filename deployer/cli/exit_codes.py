"""The exit codes of `deployer plan --detailed-exitcode`, Terraform's convention plus one.

Terraform's `plan -detailed-exitcode` says 0 no changes, 1 error, 2 changes present; the
deployer's own code for bad input or usage is 2 as well (deployer.common), so under that
flag bad input exits 3 instead: a drift job can tell a typo from drift.
"""

from __future__ import annotations

from deployer.common import EXIT_INTERRUPTED, DeployerError, UserInputError

EXIT_OK = 0
EXIT_FAILURE = DeployerError.exit_code
EXIT_USAGE = UserInputError.exit_code

DETAILED_EXITCODE_FLAG = "--detailed-exitcode"
EXIT_CHANGES = 2
EXIT_USAGE_DETAILED = 3
DETAILED_EXITCODE_HELP = (
    "Exit codes for CI, Terraform's plus one: 0 no changes, 1 error, 2 changes present, "
    "3 bad input or usage, 130 interrupted."
)


def detailed_exit_code(code: int) -> int:
    """`code` as `--detailed-exitcode` reports it: bad input moves out of the way of 2."""
    return EXIT_USAGE_DETAILED if code == EXIT_USAGE else code


def combined_exit_code(codes: list[int], *, changes: bool, detailed: bool) -> int:
    """One exit code for several environments: interrupted, then error, then bad input;
    under `--detailed-exitcode`, changes present (2) when none failed."""
    failed = [c for c in codes if c != EXIT_OK]
    if failed:
        code = next((c for c in (EXIT_INTERRUPTED, EXIT_FAILURE) if c in failed), failed[0])
        return detailed_exit_code(code) if detailed else code
    return EXIT_CHANGES if detailed and changes else EXIT_OK
