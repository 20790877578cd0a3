"""`validate / plan / apply / destroy / output` of the root stack for one environment.

A `Stack` is one environment's view of `terraform/`: its tfvars and backend file, its own
Terraform data dir (`.deployer/<env>/tfdata`, so environments never share an init and can
be planned side by side), the generated var-file, and the process environment from
`deployer.aws`. Terraform itself runs only through the `deployer.terraform` adapter, and
only after `connect()` has reached the environment's AWS (for an emulated environment:
started the emulator and bootstrapped its state bucket).

A saved plan is applied only to the environment it was made for; the rules of protected
environments are in `safety`.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from deployer.aws import is_emulated, prepare
from deployer.common import UserInputError, atomic_write
from deployer.config import Project, get_environment, read_hcl
from deployer.emulator import death_watch
from deployer.functions import load_functions
from deployer.packaging import build
from deployer.review import PlanSummary, render_plan_markdown, summarize_plan
from deployer.stack.recover import explain_unmanaged
from deployer.stack.tfvars_check import check_functions, check_tfvars
from deployer.terraform import (
    Terraform,
    TerraformError,
    console,
    declared_variables,
    sensitive_values,
    write_cli_config,
)

StreamCallback = Callable[[str, str], None]
GENERATED_NAME = "generated.tfvars.json"
PLAN_NAME = "plan.tfplan"
INIT_RECORD = "init.json"
VALIDATE_RECORD = "validated.sha256"  # the configuration the last passing validate saw
LOCK_FILE = ".terraform.lock.hcl"
# `terraform init` writes the dependency lock file into terraform/, which every environment
# shares: inits run one at a time, plans side by side.
_INIT_LOCK = threading.Lock()


@dataclass(frozen=True)
class PlannedChange:
    """A saved plan and what it changes (addresses and actions only, never values)."""

    environment: str
    plan_file: Path
    has_changes: bool
    summary: PlanSummary
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "environment": self.environment,
            "plan_file": str(self.plan_file),
            "has_changes": self.has_changes,
            "summary": self.summary.as_dict(),
            "seconds": round(self.seconds, 2),
        }


# --- one environment -----------------------------------------------------------------------


def _sha(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def _read_bytes(path: Path | None) -> bytes:
    try:
        return path.read_bytes() if path else b""
    except OSError:
        return b""


def generated_vars(project: Project, env_name: str, functions: Mapping[str, Mapping]) -> dict:
    """The generated var-file's content: app, environment, functions (zip paths from terraform/)."""
    rewritten = {}
    for name, entry in sorted(functions.items()):
        zip_path = (project.root / entry["zip_path"]).resolve()
        relative = os.path.relpath(zip_path, project.terraform_dir.resolve())
        rewritten[name] = {**entry, "zip_path": Path(relative).as_posix()}
    return {"app": project.settings.app, "environment": env_name, "functions": rewritten}


def _function_sources(project: Project) -> dict[str, str]:

    return {
        s.name: s.manifest_path.relative_to(project.root).as_posix()
        for s in load_functions(project)
    }


class Stack:
    """The root stack in one environment: checks, init, plan, apply, destroy, outputs."""

    def __init__(
        self,
        project: Project,
        env_name: str,
        *,
        stream: StreamCallback | None = None,
        lock_timeout: str | None = None,
    ) -> None:
        """`stream` receives Terraform's output lines (None: the adapter's console)."""
        self.project = project
        self.env = get_environment(project, env_name)
        self.name = self.env.name
        self.stream = stream
        self.lock_timeout = lock_timeout
        self.dir = project.env_dir(self.name)
        self.data_dir = self.dir / "tfdata"
        self.tfvars = project.root / self.env.tfvars
        self.backend = project.root / (self.env.backend or "")
        self.generated = self.dir / GENERATED_NAME
        self.default_plan = self.dir / PLAN_NAME
        self._tf: Terraform | None = None

    # -- inputs --

    def check_inputs(self, functions: Mapping[str, Mapping] | None = None) -> None:
        """The tfvars against terraform/'s variables, and the functions against the tfvars."""

        check = check_tfvars(
            self.tfvars, self.project.terraform_dir, root=self.project.root, environ=os.environ
        )
        if functions is None:
            functions = {s.name: s.settings() for s in load_functions(self.project)}
        check_functions(
            check, functions, shown=self.env.tfvars, sources=_function_sources(self.project)
        )

    def write_generated(self, functions: Mapping[str, Mapping]) -> Path:
        """Write `.deployer/<env>/generated.tfvars.json` (only when its content changed)."""
        data = generated_vars(self.project, self.name, functions)
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        atomic_write(self.generated, text, only_if_changed=True)  # an unchanged mtime too
        return self.generated

    def _sensitive_inputs(self) -> list[str]:
        """Values of sensitive variables given through TF_VAR_*: masked in all output."""

        variables = declared_variables(self.project.terraform_dir, root=self.project.root)
        return [
            os.environ[f"TF_VAR_{v.name}"]
            for v in variables.values()
            if v.sensitive and os.environ.get(f"TF_VAR_{v.name}")
        ]

    # -- Terraform --

    def connect(self) -> Terraform:
        """Reach the environment's AWS and return its Terraform adapter (made once).

        For an emulated environment this starts the emulator and bootstraps its state
        bucket (both idempotent); for any other it only checks the shell's AWS settings.
        """
        if self._tf is None:
            self._tf = self._adapter(prepare(self.project, self.name))
        return self._tf

    def _adapter(self, process_env: Mapping[str, str]) -> Terraform:
        # On an emulated environment (running now: prepare() started it), a dead emulator
        # interrupts Terraform within a second instead of minutes of SDK retries.
        watch = death_watch(self.project) if is_emulated(self.project, self.name) else None
        return Terraform(
            self.project.terraform_dir,
            data_dir=self.data_dir,
            env=process_env,
            cli_config=write_cli_config(self.project),
            stream=self.stream or console,
            mask=self._sensitive_inputs(),
            unlock_command=f"deployer force-unlock {self.name} {{lock_id}}",
            watch=watch,
        )

    def _init_fingerprint(self) -> str:
        """What an init depends on: backend file, lock file, CLI config, module/provider blocks."""

        blocks = []
        for tf in sorted(self.project.terraform_dir.glob("*.tf")):
            parsed = read_hcl(tf, root=self.project.root).values
            blocks.append({k: parsed.get(k) for k in ("terraform", "module")})
        tf = self.connect()
        return _sha(
            _read_bytes(self.backend),
            _read_bytes(self.project.terraform_dir / LOCK_FILE),
            _read_bytes(tf.cli_config),
            json.dumps(blocks, sort_keys=True, default=str),
        )

    def init(self, *, force: bool = False) -> bool:
        """`terraform init` with the environment's backend file, only when something changed."""
        record = self.dir / INIT_RECORD
        with _INIT_LOCK:
            before = self._init_fingerprint()
            try:
                previous = json.loads(record.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                previous = {}
            initialised = (self.data_dir / "terraform.tfstate").is_file()
            if not force and initialised and previous.get("fingerprint") == before:
                return False
            backend_changed = initialised and previous.get("backend") != _sha(
                _read_bytes(self.backend)
            )
            self.connect().init(self.backend, reconfigure=backend_changed)
            record.parent.mkdir(parents=True, exist_ok=True)
            record.write_text(
                json.dumps(
                    {
                        "fingerprint": self._init_fingerprint(),
                        "backend": _sha(_read_bytes(self.backend)),
                    }
                )
                + "\n",
                encoding="utf-8",
            )
            return True

    def prepare(self, *, progress: bool | None = None) -> None:
        """Package, check the inputs, write the generated var-file, init: ready to plan.

        For an emulated environment the emulator starts (and its state bucket is made)
        while the functions are packaged: neither needs the other, and both take seconds.
        Terraform itself runs only after the inputs are checked.
        """

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="emulator") as pool:
            emulator = (
                pool.submit(self.connect)
                if self._tf is None and is_emulated(self.project, self.name)
                else None
            )
            functions = build(self.project, progress=progress).manifest["functions"]
            if emulator is not None:
                emulator.result()  # its error, if any, is the one to report
        self.check_inputs(functions)
        self.write_generated(functions)
        self.init()

    def plan(self, *, out: Path | None = None, destroy: bool = False) -> PlannedChange:
        """Plan into `out` (default `.deployer/<env>/plan.tfplan`); run `prepare` first."""
        out = Path(out) if out else self.default_plan
        started = time.monotonic()
        result = self.connect().plan(
            out=out,
            var_files=[self.tfvars, self.generated],
            destroy=destroy,
            lock_timeout=self.lock_timeout,
        )
        if not result.has_changes:
            # -detailed-exitcode 0: Terraform found nothing to create, change, destroy,
            # import or move, and no output changes, so the summary is empty without
            # reading the plan back: that is a second Terraform process, which starts the
            # provider and loads its schema again. (A plan we just made with this
            # environment's var-files is this environment's: nothing to check there.)
            return PlannedChange(
                environment=self.name,
                plan_file=out,
                has_changes=False,
                summary=PlanSummary(changes=()),
                seconds=time.monotonic() - started,
            )
        return self.read_plan(out, has_changes=True, started=started)

    def read_plan(
        self, plan_file: Path, *, has_changes: bool | None = None, started: float | None = None
    ) -> PlannedChange:
        """Summarise a saved plan, refusing one made for another environment."""

        plan_file = Path(plan_file)
        if not plan_file.is_file():
            raise UserInputError(f"{plan_file} does not exist: make a plan first, then apply it.")
        doc = self.connect().show_json(plan_file)
        made_for = ((doc.get("variables") or {}).get("environment") or {}).get("value")
        if made_for != self.name:
            raise UserInputError(
                f"{plan_file} was made for environment {made_for!r}, not {self.name!r}: "
                f"apply it to {made_for}, or make a plan for {self.name}."
            )
        summary = summarize_plan(doc)
        return PlannedChange(
            environment=self.name,
            plan_file=plan_file,
            has_changes=summary.has_changes if has_changes is None else has_changes,
            summary=summary,
            seconds=time.monotonic() - started if started else 0.0,
        )

    def plan_markdown(self, planned: PlannedChange | None, *, error: str | None = None) -> str:
        """The plan as GitHub markdown (sensitive values masked); `planned` None: a failure."""

        if planned is None:
            return render_plan_markdown(self.name, None, "", error=error, mask=self.mask())
        raw = self.connect().show_json(planned.plan_file, redact=False)
        text = self.connect().show_text(planned.plan_file)
        masks = set(sensitive_values(raw)) | set(self.mask())
        return render_plan_markdown(self.name, planned.summary, text, mask=masks)

    def mask(self) -> list[str]:
        """The sensitive values known before Terraform runs (TF_VAR_* of sensitive variables)."""
        return self._sensitive_inputs()

    def apply_plan(self, plan_file: Path) -> None:
        """Apply exactly `plan_file`; a stale plan is reported, never replaced. Resources that
        exist but that the state does not know are named, with `deployer recover`."""
        try:
            self.connect().apply_plan(plan_file, lock_timeout=self.lock_timeout)
        except TerraformError as error:
            emulated = is_emulated(self.project, self.name)
            raise explain_unmanaged(error, self.name, emulated=emulated) from None

    def force_unlock(self, lock_id: str) -> None:
        """Release a state lock whose holder is dead (the lock error names its ID)."""
        self.init()
        self.connect().force_unlock(lock_id)

    def outputs(self) -> dict:
        """`terraform output -json` with sensitive values masked: {name: value}."""
        self.init()
        raw = self.connect().output_json()
        return {name: out.get("value") for name, out in sorted(raw.items())}

    def validate(self) -> None:
        """The tfvars checks, then `terraform validate` (no backend, no cloud, no emulator),
        skipped when the configuration it validated last time is unchanged."""
        self.check_inputs()
        terraform = self._adapter(os.environ)
        record = self.dir / VALIDATE_RECORD
        fingerprint = self._config_fingerprint(terraform)
        if _read_bytes(record).decode(errors="replace") == fingerprint:
            return  # the same .tf files, modules, Terraform and CLI config passed before
        terraform.init(backend=False)
        # A backend-less init replaces the recorded one: the next plan must init again.
        (self.dir / INIT_RECORD).unlink(missing_ok=True)
        terraform.validate()
        # Taken again: the init may have written the dependency lock file.
        atomic_write(record, self._config_fingerprint(terraform))

    def _config_fingerprint(self, terraform: Terraform) -> str:
        """What `terraform validate` reads: every .tf and test file of the root stack and the
        modules, the Terraform version and the CLI config (which provider is installed)."""
        files = []
        for folder in (self.project.terraform_dir, self.project.root / "modules"):
            for path in sorted(folder.rglob("*")):
                if path.suffix in (".tf", ".hcl") and ".terraform" not in path.parts:
                    files += [str(path.relative_to(self.project.root)), _read_bytes(path)]
        return _sha(
            terraform.binary.version_text,
            _read_bytes(terraform.cli_config),
            *files,
        )
