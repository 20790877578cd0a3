"""`plan --all`: several environments planned side by side, each one's output kept together.

Packaging and the process environments (emulator start, bootstrap) happen once, in the
calling thread; then each environment checks its inputs, inits and plans in a thread of its
own, with Terraform's output buffered per environment so it is never interleaved.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from deployer.common import DeployerError, forward_interrupts
from deployer.config import Project, get_environment, list_environments
from deployer.packaging import build
from deployer.stack.root_stack import PlannedChange, Stack


@dataclass
class EnvPlan:
    """One environment's part of `plan --all`: its output, kept together, and its result."""

    environment: str
    lines: list[tuple[str, str]] = field(default_factory=list)
    planned: PlannedChange | None = None
    error: str | None = None
    exit_code: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        data = {
            "environment": self.environment,
            "ok": self.error is None,
            "seconds": round(self.seconds, 2),
        }
        if self.planned is not None:
            data.update(self.planned.as_dict())
        if self.error is not None:
            data["error"] = self.error
        return data


def plannable_environments(project: Project) -> list[str]:
    """Every environment `plan --all` covers: all but the emulated ones."""
    return [e.name for e in list_environments(project) if e.name not in project.settings.emulated]


def plan_many(
    project: Project,
    env_names: list[str],
    *,
    lock_timeout: str | None = None,
    progress: bool | None = False,
    on_done: Callable[[EnvPlan], None] | None = None,
    jobs: int | None = None,
) -> list[EnvPlan]:
    """Plan several environments side by side; each one's output is buffered, never mixed.

    Packaging and the process environments (emulator start, bootstrap) happen once, in this
    thread; then each environment checks, inits and plans in a thread of its own.
    `on_done` is called (in this thread) with each environment as it finishes.
    """
    envs = [get_environment(project, name) for name in env_names]  # unknown name: fail first
    functions = build(project, progress=progress).manifest["functions"]
    results = {e.name: EnvPlan(e.name) for e in envs}
    stacks = {}
    for env in envs:
        result = results[env.name]
        stack = Stack(
            project,
            env.name,
            lock_timeout=lock_timeout,
            stream=lambda line, channel, r=result: r.lines.append((line, channel)),
        )
        stacks[env.name] = stack

    def one(name: str) -> EnvPlan:
        result, stack = results[name], stacks[name]
        started = time.monotonic()
        try:
            stack.check_inputs(functions)
            stack.write_generated(functions)
            stack.init()
            result.planned = stack.plan()
        except DeployerError as exc:
            result.error, result.exit_code = exc.message, exc.exit_code
        result.seconds = time.monotonic() - started
        return result

    with forward_interrupts():
        for stack in stacks.values():  # emulator start and bootstrap: once, in order
            try:
                stack.connect()
            except DeployerError as exc:
                result = results[stack.name]
                result.error, result.exit_code = exc.message, exc.exit_code
                if on_done:
                    on_done(result)
        runnable = [name for name, result in results.items() if result.error is None]
        if runnable:
            with ThreadPoolExecutor(max_workers=jobs or len(runnable)) as pool:
                futures = [pool.submit(one, name) for name in runnable]
                for future in as_completed(futures):
                    if on_done:
                        on_done(future.result())
    return [results[e.name] for e in envs]
