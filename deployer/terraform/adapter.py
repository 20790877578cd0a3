"""The one place Terraform is run: every command goes through python-terraform, from here.

`Terraform(working_dir, data_dir=..., env=..., cli_config=...)` runs `init`, `validate`,
`plan`, `apply_plan`, `destroy`, `show`, `output`, `force-unlock` and `version` for one
root module and one environment, and maps what Terraform did to results and errors:

- `-input=false` always, `-no-color` unless the user's stdout is a terminal and NO_COLOR
  is unset or empty (https://no-color.org), and
  TF_IN_AUTOMATION, TF_DATA_DIR (one per environment) and TF_CLI_CONFIG_FILE (the offline
  mirror config) set for the child only: `os.environ` is never changed.
- Output streams live through a callback (the console by default) and is kept for the
  result; sensitive values the caller names are masked in both.
- `plan` maps `-detailed-exitcode` exactly (0 no changes, 2 changes, 1 error); errors are
  `TerraformError` (command, exit code, the tail of stderr), with `StateLockedError`,
  `StalePlanError` and `ProviderRegistryUnreachableError` for the cases a user must act
  on; an interrupt is `TerraformInterrupted` (exit code 130).

Its parts: `deployer.common.run_streaming` runs one child (streaming, capturing,
interrupts), `deployer.terraform.errors` tells failures apart, `deployer.terraform.sensitive`
masks sensitive values. Callers outside `deployer.terraform` import it through that face.

python-terraform builds every command line; `deployer/terraform/command_line.py` says
how its defaults for Terraform 0.x are worked around.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import python_terraform

from deployer.common import (
    Completed,
    StreamCallback,
    UserInputError,
    forward_interrupts,
    run_streaming,
)
from deployer.terraform.binary import TerraformBinary, find_terraform
from deployer.terraform.command_line import _CommandLine
from deployer.terraform.errored_state import keep_errored_state, stopped_summary
from deployer.terraform.errors import (
    ProviderRegistryUnreachableError,
    StalePlanError,
    StateLockedError,
    TerraformError,
    TerraformInterrupted,
    classify_failure,
    display_command,
)
from deployer.terraform.sensitive import SENSITIVE, mask_text, redact_json, redact_outputs
from deployer.terraform.streams import _without_outputs, console

# The adapter's public surface: callers import all of it from here.
__all__ = [
    "SENSITIVE",
    "PlanResult",
    "ProviderRegistryUnreachableError",
    "RunResult",
    "StalePlanError",
    "StateLockedError",
    "StreamCallback",
    "Terraform",
    "TerraformError",
    "TerraformInterrupted",
    "console",
    "forward_interrupts",
]

IsFlagged = python_terraform.IsFlagged
IsNotFlagged = python_terraform.IsNotFlagged

DEFAULT_UNLOCK_COMMAND = (
    "TF_DATA_DIR={data_dir} terraform -chdir={working_dir} force-unlock {lock_id}"
)


# --- results and errors ------------------------------------------------------------------


@dataclass(frozen=True)
class RunResult:
    """A Terraform command that finished: its display command and what it printed."""

    command: str  # argv joined for display, binary shown as `terraform`, no secrets
    argv: tuple[str, ...]
    returncode: int
    stdout: str  # plain text (no colour codes), sensitive values masked
    stderr: str
    duration: float
    # Where this run's errored.tfstate was moved (it could not save state), if it wrote one.
    errored_state: Path | None = None
    # Why the deployer interrupted it (the emulator died), if it did.
    stopped_because: str | None = None


@dataclass(frozen=True)
class PlanResult(RunResult):
    """A successful `terraform plan`: `has_changes` comes from `-detailed-exitcode`."""

    plan_file: Path | None = None
    has_changes: bool = False


# --- the adapter ----------------------------------------------------------------------------


class Terraform:
    """Runs Terraform in `working_dir` with its own data dir, environment and output stream."""

    def __init__(
        self,
        working_dir: Path,
        *,
        data_dir: Path,
        env: Mapping[str, str] | None = None,
        cli_config: Path | None = None,
        stream: StreamCallback | None = console,
        color: bool | None = None,
        mask: Iterable[str] = (),
        unlock_command: str = DEFAULT_UNLOCK_COMMAND,
        binary: TerraformBinary | None = None,
        watch: Callable[[], str | None] | None = None,
    ) -> None:
        """`env` is the base environment for children (default: this process's).

        `cli_config` becomes TF_CLI_CONFIG_FILE for the children (see
        provider_mirror.write_cli_config). `stream` receives each output line live (None:
        keep it only); `color` defaults to whether stdout is a terminal and NO_COLOR is unset
        (or empty). `mask`: values to
        hide in everything kept and streamed. `unlock_command` is the hint a lock error
        gives, formatted with lock_id, data_dir and working_dir. `watch` says why a running
        command must stop (the emulator it talks to died): Terraform is interrupted
        gracefully within about a second of that (`deployer.common.run_streaming`).
        """
        self.working_dir = Path(working_dir).resolve()
        self.data_dir = Path(data_dir).resolve()
        self.cli_config = Path(cli_config).resolve() if cli_config else None
        self.stream = stream
        if color is None:
            color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        self.color = color
        self.mask = frozenset(mask)
        self.unlock_command = unlock_command
        self.watch = watch
        self.binary = binary or find_terraform()
        self._tf = _CommandLine(self.binary.path)
        self._env = dict(os.environ if env is None else env)

    # Children only: os.environ is never changed.
    def child_env(self) -> dict[str, str]:
        """The environment every Terraform child of this adapter gets."""
        env = dict(self._env)
        env["TF_DATA_DIR"] = str(self.data_dir)
        env["TF_IN_AUTOMATION"] = "1"
        env["TF_INPUT"] = "0"
        env.setdefault("CHECKPOINT_DISABLE", "1")  # no version check call-home per command
        if self.cli_config is not None:
            env["TF_CLI_CONFIG_FILE"] = str(self.cli_config)
        return env

    def _no_color(self) -> object:
        return IsNotFlagged if self.color else IsFlagged

    def _run(
        self,
        argv: list[str],
        *,
        stream: bool = True,
        mask: bool = True,
        outputs_shown: bool = True,
    ) -> tuple[RunResult, Completed]:
        """Run one command; `mask=False` for JSON, which is redacted structurally instead;
        `outputs_shown=False`: the "Outputs:" section Terraform ends an apply with is kept
        but not streamed (the deployer prints the outputs itself, once)."""
        if not self.working_dir.is_dir():
            raise UserInputError(
                f"{self.working_dir} does not exist: Terraform has nothing to run."
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        completed = run_streaming(
            argv,
            cwd=self.working_dir,
            env=self.child_env(),
            stream=(self.stream if outputs_shown else _without_outputs(self.stream))
            if stream and self.stream is not None
            else None,
            notify=self._notify,
            transform=(lambda line: mask_text(line, self.mask)) if mask else (lambda line: line),
            # Followed files, not pipes: Terraform finishes even if the deployer is killed.
            output_dir=self.data_dir / "runs",
            watch=self.watch,
        )
        errored = keep_errored_state(self.working_dir, self.data_dir.parent, started)
        command = display_command(argv)
        result = RunResult(
            command=command,
            argv=tuple(argv),
            returncode=completed.returncode,
            stdout=completed.stdout,
            stderr=completed.stderr,
            duration=time.monotonic() - started,
            errored_state=errored,
            stopped_because=completed.stopped_because,
        )
        self._raise_if_interrupted(command, completed)
        return result, completed

    def _notify(self, message: str) -> None:
        if self.stream is not None:
            self.stream(f"deployer: {message}", "stderr")
        else:
            print(f"deployer: {message}", file=sys.stderr, flush=True)

    def _raise_if_interrupted(self, command: str, completed: Completed) -> None:
        by_terminal = (
            not completed.own_session
            and completed.returncode != 0
            and "Interrupt received" in completed.stdout + completed.stderr
        )
        if not completed.interrupted and not by_terminal:
            return
        what = completed.signals[0] if completed.signals else "An interrupt"
        if completed.killed:
            message = (
                f"{what}, then a second one: `{command}` was killed. Its state may be "
                "incomplete and the lock still held: run a plan to check, and force-unlock "
                "only if no other run holds the lock."
            )
        elif completed.returncode == 130 and not completed.stdout + completed.stderr:
            message = f"{what} received: `{command}` was not started."
        else:
            message = (
                f"{what} received: `{command}` stopped gracefully (exit code "
                f"{completed.returncode}), saving its state and releasing the lock."
            )
        raise TerraformInterrupted(message, completed)

    def _fail(self, result: RunResult) -> TerraformError:
        """The most specific error for a failed command."""
        if result.errored_state is not None or result.stopped_because is not None:
            return TerraformError(
                result.command,
                result.returncode,
                mask_text(result.stderr, self.mask),
                mask_text(result.stdout, self.mask),
                summary=stopped_summary(
                    result.command,
                    result.stopped_because,
                    result.errored_state,
                    data_dir=self.data_dir,
                    working_dir=self.working_dir,
                ),
            )
        return classify_failure(
            result.command,
            result.returncode,
            mask_text(result.stderr, self.mask),  # JSON commands run unmasked
            mask_text(result.stdout, self.mask),
            unlock_command=lambda lock_id: self.unlock_command.format(
                lock_id=lock_id, data_dir=self.data_dir, working_dir=self.working_dir
            ),
            mirror_configured=self.cli_config is not None,
        )

    def _checked(
        self, argv: list[str], *, stream: bool = True, mask: bool = True, outputs_shown=True
    ) -> RunResult:
        result, _ = self._run(argv, stream=stream, mask=mask, outputs_shown=outputs_shown)
        if result.returncode != 0:
            raise self._fail(result)
        return result

    # --- commands -------------------------------------------------------------------------

    def init(
        self,
        backend_config: Path | None = None,
        *,
        backend: bool = True,
        reconfigure: bool = False,
        upgrade: bool = False,
    ) -> RunResult:
        """`terraform init`, with a backend config file (e.g. envs/<env>.backend.hcl)."""
        argv = self._tf.init(
            backend_config=str(Path(backend_config).resolve()) if backend_config else None,
            backend=backend,
            reconfigure=IsFlagged if reconfigure else IsNotFlagged,
            upgrade=IsFlagged if upgrade else None,
            no_color=self._no_color(),
        )
        return self._checked(argv)

    def validate(self) -> RunResult:
        """`terraform validate` (run `init(backend=False)` or `init()` first)."""
        return self._checked(self._tf.cmd("validate", no_color=self._no_color()))

    def plan(
        self,
        *,
        out: Path,
        var_files: Sequence[Path] = (),
        destroy: bool = False,
        lock_timeout: str | None = None,
        refresh: bool = True,
    ) -> PlanResult:
        """`terraform plan -detailed-exitcode -out=<out>`: 0 no changes, 2 changes, else raise."""
        out = Path(out).resolve()
        out.parent.mkdir(parents=True, exist_ok=True)
        argv = self._tf.plan(
            out=str(out),
            var_file=[str(Path(f).resolve()) for f in var_files] or None,
            destroy=IsFlagged if destroy else None,
            lock_timeout=lock_timeout,
            refresh=None if refresh else False,
            no_color=self._no_color(),
        )
        result, _ = self._run(argv)
        if result.returncode not in (0, 2):
            raise self._fail(result)
        return PlanResult(**vars(result), plan_file=out, has_changes=result.returncode == 2)

    def apply_plan(self, plan_file: Path, *, lock_timeout: str | None = None) -> RunResult:
        """Apply exactly `plan_file`: no variables, no new plan; stale -> StalePlanError."""
        plan_file = Path(plan_file).resolve()
        if not plan_file.is_file():
            raise UserInputError(f"{plan_file} does not exist: make a plan first, then apply it.")
        argv = self._tf.apply(str(plan_file), lock_timeout=lock_timeout, no_color=self._no_color())
        return self._checked(argv, outputs_shown=False)

    def destroy(
        self, *, var_files: Sequence[Path] = (), lock_timeout: str | None = None
    ) -> RunResult:
        """`terraform destroy -auto-approve` (the caller has asked the user already)."""
        argv = self._tf.destroy(
            force=IsNotFlagged,  # python-terraform's `-force` was removed in Terraform 0.15
            auto_approve=IsFlagged,
            var_file=[str(Path(f).resolve()) for f in var_files] or None,
            lock_timeout=lock_timeout,
            no_color=self._no_color(),
        )
        return self._checked(argv)

    def show_json(self, plan_file: Path | None = None, *, redact: bool = True) -> dict[str, Any]:
        """`terraform show -json` of a saved plan (or of the state), sensitive values masked."""
        args = [str(Path(plan_file).resolve())] if plan_file else []
        argv = self._tf.cmd("show", *args, json=IsFlagged, no_color=IsFlagged)
        result = self._checked(argv, stream=False, mask=False)
        doc = self._json(result)
        return redact_json(doc, self.mask) if redact else doc

    def show_text(self, plan_file: Path) -> str:
        """The saved plan as Terraform prints it, without colour; not streamed."""
        argv = self._tf.cmd("show", str(Path(plan_file).resolve()), no_color=IsFlagged)
        return self._checked(argv, stream=False).stdout

    def output_json(self, *, redact: bool = True) -> dict[str, Any]:
        """`terraform output -json`: {name: {value, type, sensitive}}, sensitive values masked."""
        argv = self._tf.cmd("output", json=IsFlagged, no_color=IsFlagged)
        result = self._checked(argv, stream=False, mask=False)
        doc = self._json(result)
        return redact_outputs(doc, self.mask) if redact else doc

    def force_unlock(self, lock_id: str) -> RunResult:
        """`terraform force-unlock -force <lock_id>`: only when the lock's holder is dead."""
        return self._checked(
            self._tf.cmd("force-unlock", lock_id, force=IsFlagged, no_color=IsFlagged)
        )

    def version(self) -> dict[str, Any]:
        """`terraform version -json`: terraform_version, platform, provider_selections."""
        result = self._checked(self._tf.cmd("version", json=IsFlagged), stream=False)
        return self._json(result)

    @staticmethod
    def _json(result: RunResult) -> dict[str, Any]:
        try:
            return json.loads(result.stdout)
        except ValueError:
            raise TerraformError(
                result.command,
                result.returncode,
                result.stderr,
                summary="Terraform printed something that is not JSON",
            ) from None
