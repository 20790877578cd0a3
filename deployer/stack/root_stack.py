"""`validate / plan / apply / destroy / output` of the root stack for one environment.

A `Stack` is one environment's view of `terraform/`: its tfvars and backend file, its own
Terraform data dir (`.deployer/<env>/tfdata`, so environments never share an init and can
be planned side by side), the generated var-file, and the process environment from
`aws_env`. Terraform itself runs only through `terraform_adapter`.

The rules that keep environments safe live here, not in the CLI: a protected environment
applies only a saved plan and never with --auto-approve, refuses destroy unless allowed,
and a saved plan is applied only to the environment it was made for.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from deployer.common import UserInputError
from deployer.config import Environment, Project, get_environment

StreamCallback = Callable[[str, str], None]
GENERATED_NAME = "generated.tfvars.json"
PLAN_NAME = "plan.tfplan"
INIT_RECORD = "init.json"
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
    summary: object  # plan_summary.PlanSummary
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "environment": self.environment,
            "plan_file": str(self.plan_file),
            "has_changes": self.has_changes,
            "summary": self.summary.as_dict(),
            "seconds": round(self.seconds, 2),
        }


# --- the safety rules ----------------------------------------------------------------------


def check_apply_allowed(
    env: Environment, *, plan_file: Path | None, auto_approve: bool, yes: bool
) -> None:
    """Refuse an apply a protected environment must not take; `--yes` needs a saved plan."""
    if env.protected and auto_approve:
        raise UserInputError(
            f"{env.name} is protected: --auto-approve is refused there; make a saved plan "
            f"(deployer plan {env.name} --out {env.name}.tfplan), review it, then run "
            f"deployer apply {env.name} --plan-file {env.name}.tfplan (--yes in CI)."
        )
    if env.protected and plan_file is None:
        raise UserInputError(
            f"{env.name} is protected: it applies only a saved plan; run deployer plan "
            f"{env.name} --out {env.name}.tfplan, review it, then deployer apply {env.name} "
            f"--plan-file {env.name}.tfplan."
        )
    if yes and plan_file is None:
        raise UserInputError(
            "--yes confirms a saved plan: pass --plan-file FILE with it (or use "
            "--auto-approve to plan and apply at once outside protected environments)."
        )


def check_destroy_allowed(env: Environment, *, allow_protected: bool) -> None:
    """Refuse to destroy a protected environment unless explicitly allowed."""
    if env.protected and not allow_protected:
        raise UserInputError(
            f"{env.name} is protected: destroy is refused; pass --allow-protected if you "
            "really mean to remove every resource of it."
        )


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


def _write_if_changed(path: Path, text: str) -> None:
    """Atomic write that leaves an unchanged file (and its mtime) alone."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def generated_vars(project: Project, env_name: str, functions: Mapping[str, Mapping]) -> dict:
    """The generated var-file's content: app, environment, functions (zip paths from terraform/)."""
    rewritten = {}
    for name, entry in sorted(functions.items()):
        zip_path = (project.root / entry["zip_path"]).resolve()
        relative = os.path.relpath(zip_path, project.terraform_dir.resolve())
        rewritten[name] = {**entry, "zip_path": Path(relative).as_posix()}
    return {"app": project.settings.app, "environment": env_name, "functions": rewritten}


def _function_sources(project: Project) -> dict[str, str]:
    from deployer.functions import load_functions

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
        self._tf = None

    # -- inputs --

    def check_inputs(self, functions: Mapping[str, Mapping] | None = None) -> None:
        """The tfvars against terraform/'s variables, and the functions against the tfvars."""
        from deployer.stack.tfvars_check import check_functions, check_tfvars

        check = check_tfvars(
            self.tfvars, self.project.terraform_dir, root=self.project.root, environ=os.environ
        )
        if functions is None:
            from deployer.functions import load_functions

            functions = {s.name: s.settings() for s in load_functions(self.project)}
        check_functions(
            check, functions, shown=self.env.tfvars, sources=_function_sources(self.project)
        )

    def write_generated(self, functions: Mapping[str, Mapping]) -> Path:
        """Write `.deployer/<env>/generated.tfvars.json` (only when its content changed)."""
        data = generated_vars(self.project, self.name, functions)
        _write_if_changed(self.generated, json.dumps(data, indent=2, sort_keys=True) + "\n")
        return self.generated

    def _sensitive_inputs(self) -> list[str]:
        """Values of sensitive variables given through TF_VAR_*: masked in all output."""
        from deployer.stack.tfvars_check import declared_variables

        variables = declared_variables(self.project.terraform_dir, root=self.project.root)
        return [
            os.environ[f"TF_VAR_{v.name}"]
            for v in variables.values()
            if v.sensitive and os.environ.get(f"TF_VAR_{v.name}")
        ]

    # -- Terraform --

    @property
    def terraform(self):
        """The adapter for this environment (starts the emulator for emulated environments)."""
        if self._tf is None:
            from deployer.aws import process_env as aws_env

            self._tf = self._adapter(aws_env.prepare(self.project, self.name))
        return self._tf

    def _adapter(self, process_env: Mapping[str, str]):
        from deployer.terraform import Terraform, console, write_cli_config

        return Terraform(
            self.project.terraform_dir,
            data_dir=self.data_dir,
            env=process_env,
            cli_config=write_cli_config(self.project),
            stream=self.stream or console,
            mask=self._sensitive_inputs(),
            unlock_command=f"deployer force-unlock {self.name} {{lock_id}}",
        )

    def _init_fingerprint(self) -> str:
        """What an init depends on: backend file, lock file, CLI config, module/provider blocks."""
        from deployer.stack.tfvars_check import parse_hcl

        blocks = []
        for tf in sorted(self.project.terraform_dir.glob("*.tf")):
            parsed = parse_hcl(tf, root=self.project.root)
            blocks.append({k: parsed.get(k) for k in ("terraform", "module")})
        tf = self.terraform
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
            self.terraform.init(self.backend, reconfigure=backend_changed)
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
        from concurrent.futures import ThreadPoolExecutor

        from deployer.aws import is_emulated
        from deployer.packaging import build

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="emulator") as pool:
            emulator = (
                pool.submit(lambda: self.terraform)
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
        result = self.terraform.plan(
            out=out,
            var_files=[self.tfvars, self.generated],
            destroy=destroy,
            lock_timeout=self.lock_timeout,
        )
        return self.read_plan(out, has_changes=result.has_changes, started=started)

    def read_plan(
        self, plan_file: Path, *, has_changes: bool | None = None, started: float | None = None
    ) -> PlannedChange:
        """Summarise a saved plan, refusing one made for another environment."""
        from deployer.review import summarize_plan

        plan_file = Path(plan_file)
        if not plan_file.is_file():
            raise UserInputError(f"{plan_file} does not exist: make a plan first, then apply it.")
        doc = self.terraform.show_json(plan_file)
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
        from deployer.review import render_plan_markdown, sensitive_values

        if planned is None:
            return render_plan_markdown(self.name, None, "", error=error, mask=self.mask())
        raw = self.terraform.show_json(planned.plan_file, redact=False)
        text = self.terraform.show_text(planned.plan_file)
        masks = set(sensitive_values(raw)) | set(self.mask())
        return render_plan_markdown(self.name, planned.summary, text, mask=masks)

    def mask(self) -> list[str]:
        """The sensitive values known before Terraform runs (TF_VAR_* of sensitive variables)."""
        return self._sensitive_inputs()

    def apply_plan(self, plan_file: Path) -> None:
        """Apply exactly `plan_file`; a stale plan is reported, never replaced."""
        self.terraform.apply_plan(plan_file, lock_timeout=self.lock_timeout)

    def force_unlock(self, lock_id: str) -> None:
        """Release a state lock whose holder is dead (the lock error names its ID)."""
        self.init()
        self.terraform.force_unlock(lock_id)

    def outputs(self) -> dict:
        """`terraform output -json` with sensitive values masked: {name: value}."""
        self.init()
        raw = self.terraform.output_json()
        return {name: out.get("value") for name, out in sorted(raw.items())}

    def validate(self) -> None:
        """The tfvars checks, then `terraform validate` (no backend, no cloud, no emulator)."""
        self.check_inputs()
        terraform = self._adapter(os.environ)
        terraform.init(backend=False)
        # A backend-less init replaces the recorded one: the next plan must init again.
        (self.dir / INIT_RECORD).unlink(missing_ok=True)
        terraform.validate()
