"""`deployer dev <env>`: the inner loop on an emulated environment.

It applies the environment if a plan shows changes, prints the API URL and a token that
opens every route, then watches the project: a saved handler, `_shared/` or requirements
file redeploys only that function's code (`code_update.py`, live on the next request);
a change Terraform owns (a `function.toml`, `terraform/`, `modules/`, the tfvars) runs a
plan and an apply. Each change prints one line: what changed, what was done, how long
it took. The functions' own output is shown as it comes. Ctrl-C stops watching; the
emulator keeps running, as `deployer local stop` would find it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from deployer.aws import environment, is_emulated
from deployer.common import DeployerError, UserInputError
from deployer.config import Project, get_environment
from deployer.devloop.changes import Changes, classify
from deployer.devloop.code_update import update_code
from deployer.devloop.tokens import local_token, route_scopes
from deployer.emulator import FUNCTIONS_LOG, state_dir
from deployer.functions import load_functions
from deployer.stack import Stack

Say = Callable[[str], None]
DEBOUNCE_MS = 150
READY_TIMEOUT_MS = 200  # how long an idle watcher waits before it reports in (ms)


class DevSession:
    """One `deployer dev` run."""

    def __init__(self, project: Project, env_name: str, say: Say) -> None:
        get_environment(project, env_name)
        if not is_emulated(project, env_name):
            raise UserInputError(
                f"deployer dev runs on emulated environments only "
                f"({', '.join(project.settings.emulated)}); for {env_name} use deployer "
                f"plan/apply {env_name}."
            )
        self.project = project
        self.env = env_name
        self.say = say

    # --- start ---------------------------------------------------------------------------

    def apply_if_needed(self, reason: str = "") -> tuple[int, float]:
        """Plan; apply when there are changes. (changed resources, seconds)."""
        started = time.monotonic()
        stack = Stack(self.project, self.env, stream=lambda _line, _channel: None)
        stack.prepare(progress=False)
        planned = stack.plan(out=stack.dir / "dev.tfplan")
        try:
            changed = sum(planned.summary.counts.values()) if planned.has_changes else 0
            if planned.has_changes:
                stack.apply_plan(planned.plan_file)
        finally:
            planned.plan_file.unlink(missing_ok=True)
        self.outputs = stack.outputs()
        return changed, time.monotonic() - started

    def start(self) -> dict:
        changed, seconds = self.apply_if_needed()
        done = f"applied {changed} change(s)" if changed else "no changes"
        self.say(f"{self.env}: plan and apply: {done} ({seconds:.1f} s)")
        url = self.outputs.get("api_url")
        token = local_token(self.project, self.env, scopes=route_scopes(self.project))
        self.say(f"API: {url}")
        self.say(f"token (1 h, every route's scopes): {token}")
        self.say(f'  curl -H "Authorization: Bearer $TOKEN" {url}items')
        return {"api_url": url, "token": token}

    # --- the loop --------------------------------------------------------------------------

    def handle(self, paths: set[Path]) -> Changes:
        """React to one batch of saved files; print one line per thing done."""
        names = [s.name for s in load_functions(self.project)]
        changes = classify(
            self.project.root,
            self.env,
            paths,
            names,
            lambda_dir=self.project.lambda_src.name,
        )
        if changes.terraform:
            what = ", ".join(changes.terraform[:3]) + ("..." if len(changes.terraform) > 3 else "")
            try:
                changed, seconds = self.apply_if_needed()
            except DeployerError as exc:
                self.say(f"{what} changed: plan/apply of {self.env} failed: {exc}")
                return changes
            self.say(
                f"{what} changed: plan/apply of {self.env}, {changed} change(s) ({seconds:.1f} s)"
            )
            return changes
        environ = environment(self.project, self.env) if changes.code else {}
        for function, files in sorted(changes.code.items()):
            what = ", ".join(files[:2]) + ("..." if len(files) > 2 else "")
            try:
                update = update_code(self.project, self.env, environ, function, self.outputs)
            except DeployerError as exc:
                self.say(f"{what} changed: updating {function} failed: {exc}")
                continue
            self.say(
                f"{what} changed: {function} repackaged and its code updated "
                f"(version {update.version}, {update.seconds:.2f} s)"
            )
        return changes

    def watch(self, stop: threading.Event | None = None) -> None:
        """Watch until Ctrl-C (KeyboardInterrupt) or `stop` is set."""
        from watchfiles import watch

        roots = [p for p in self._watched() if p.exists()]
        tail = _Tail(state_dir(self.project) / FUNCTIONS_LOG, self._show_function_line)
        tail.start()
        announced = False
        try:
            # yield_on_timeout: the first (empty) batch comes once the watcher is in place,
            # so "watching" is printed only when a save from then on is seen.
            for batch in watch(
                *roots,
                stop_event=stop,
                debounce=DEBOUNCE_MS,
                step=50,
                rust_timeout=READY_TIMEOUT_MS,
                yield_on_timeout=True,
            ):
                if not announced:
                    shown = ", ".join(str(p.relative_to(self.project.root)) for p in roots)
                    self.say(f"watching {shown}")
                    announced = True
                if batch:
                    self.handle({Path(path) for _change, path in batch})
        finally:
            tail.stop()

    def _watched(self) -> list[Path]:
        root = self.project.root
        return [
            self.project.lambda_src,
            self.project.terraform_dir,
            root / "modules",
            root / "envs" / f"{self.env}.tfvars",
        ]

    def _show_function_line(self, line: str) -> None:
        """A function's own output; Lambda's START and END lines are left to its log."""
        prefix = f"{self.project.settings.app}-{self.env}-"
        line = line[len(prefix) :] if line.startswith(prefix) else line
        _name, _, text = line.partition(" | ")
        if not text.startswith(("START RequestId:", "END RequestId:")):
            self.say(line)


class _Tail:
    """Follows a growing text file from its current end, line by line, in a thread."""

    def __init__(self, path: Path, line: Callable[[str], None]) -> None:
        self.path = path
        self.line = line
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        position = self.path.stat().st_size if self.path.exists() else 0
        partial = ""
        while not self._stop.wait(0.1):
            try:
                with open(self.path, encoding="utf-8", errors="replace") as file:
                    file.seek(position)
                    chunk = file.read()
                    position = file.tell()
            except FileNotFoundError:
                position = 0
                continue
            if not chunk:
                continue
            partial += chunk
            *lines, partial = partial.split("\n")
            for text in lines:
                self.line(text)
