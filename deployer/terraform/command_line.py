"""Terraform command lines, built by python-terraform.

python-terraform 0.10.1 (`python_terraform.Terraform`) builds every command line: its
`init`, `plan`, `apply` and `destroy` methods give their Terraform defaults, and its
`generate_cmd_string` turns options into argv. It predates Terraform 1.x and cannot stream
and capture at once nor reach the process, so `_CommandLine` subclasses it and works
around it here:

- `cmd()` (its only runner) is overridden to return the argv instead of running it with
  `os.environ`; `run_streaming` runs it (argv list, no shell, a session of its own,
  live output, graceful interrupts) with the environment built here.
- `capture_output`, `raise_on_error` and `synchronous` are popped before argv is built:
  python-terraform would otherwise pass `synchronous` to Terraform as a flag.
- `variables` is set to None: its default `{}` makes every plan/apply/destroy write a
  temporary `-var-file` (and a saved plan must be applied with no variables at all).
- `read_state_file()` is a no-op: python-terraform reads `terraform.tfstate` into memory
  at construction and after each command (secrets included), which nothing here needs.
- `destroy()` adds `-force`, removed in Terraform 0.15: it is called with
  `force=IsNotFlagged` and `-auto-approve`.
- `init()` adds `-reconfigure` unless told not to: `reconfigure` is always passed.
- `apply()` always adds `-auto-approve=<bool>`: `-auto-approve=false` is harmless with a
  saved plan, which Terraform never prompts for.
- Its `__getattr__` shortcut turns `force_unlock_cmd` into a `force_unlock` subcommand
  that does not exist: `force-unlock` is called through `cmd()` by name.
- `validate`, `show`, `output`, `version` and `force-unlock` reject `-input`, so they are
  called without python-terraform's defaults.
"""

from __future__ import annotations

import python_terraform


class _CommandLine(python_terraform.Terraform):
    """python-terraform as an argv builder: `cmd()` returns the command instead of running it."""

    def __init__(self, binary: str) -> None:
        super().__init__(terraform_bin_path=binary)
        self.variables = None  # no temporary `-var-file` for an empty `var` dict

    def read_state_file(self, file_path=None) -> None:
        """Never read state into memory (python-terraform does after every command)."""

    def cmd(self, cmd, *args, **kwargs) -> list[str]:
        for runner_option in ("capture_output", "raise_on_error", "synchronous"):
            kwargs.pop(runner_option, None)
        return self.generate_cmd_string(cmd, *args, **kwargs)
