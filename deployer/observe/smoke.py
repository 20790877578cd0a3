"""`deployer smoke ENV`: the deployed API's health route and the project's own checks,
over real HTTP against the `api_url` output, each retried for a bounded time.

A fresh deploy may answer 5xx, 404 or nothing at all for a few seconds (API Gateway
propagating routes, a cold start), so a check passes on its first expected answer and
fails only when its time is up; it then names the request, both statuses and what the
API said.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import requests

from deployer.aws import is_emulated
from deployer.common import DeployerError
from deployer.config import LOCAL_TOKEN, Project, SmokeCheck
from deployer.functions import load_functions

DEFAULT_HEALTH = "GET /health"
HEALTH_FUNCTION = "health"
RETRY_INTERVAL = 1.0  # seconds between attempts: a warming API answers within seconds
REQUEST_TIMEOUT = 10.0  # one attempt; the check's own timeout bounds them all
BODY_EXCERPT = 200  # characters of a failed answer's body quoted in its line

# Mints a token of the local issuer with these scopes (deployer.devloop's `local_token`,
# handed down by the CLI: minting needs the deployed authorizers' audience).
LocalTokens = Callable[[Sequence[str]], str]


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: the last answer it got, or why it got none."""

    check: SmokeCheck
    ok: bool
    status: int | None = None
    attempts: int = 0
    seconds: float = 0.0
    body: str = ""
    error: str = ""
    skipped: str = ""  # why the check did not run here (still ok)

    def describe(self) -> str:
        """One sentence for a failed check: the request, expected vs got, the body."""
        c = self.check
        request = f"{c.method} {c.path}"
        head = f"{c.name} ({request})" if c.name else request
        if not self.attempts:
            return f"{head} was not run: {self.error}"
        head = f"{head} expected {c.status}"
        if self.status is None:
            return f"{head}, got no answer: {self.error}"
        said = f": {self.body}" if self.body else ""
        return f"{head}, got {self.status} after {self.attempts} attempt(s){said}"

    def as_dict(self) -> dict:
        c = self.check
        return {
            "name": c.label,
            "method": c.method,
            "path": c.path,
            "expected": c.status,
            "status": self.status,
            "ok": self.ok,
            "attempts": self.attempts,
            "seconds": round(self.seconds, 3),
            "body": self.body,
            "error": self.error,
            "skipped": self.skipped,
        }


@dataclass(frozen=True)
class SmokeReport:
    """Every check of one run, in order."""

    environment: str
    api_url: str
    results: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if not r.ok]

    def as_dict(self) -> dict:
        return {
            "environment": self.environment,
            "api_url": self.api_url,
            "ok": self.ok,
            "checks": [r.as_dict() for r in self.results],
        }

    def error(self) -> DeployerError:
        """The failure `deployer smoke` exits 1 with: every failed check, named."""
        lines = [r.describe() for r in self.failed]
        if len(lines) == 1:
            return DeployerError(f"smoke check failed on {self.environment}: {lines[0]}")
        listing = "\n".join(f"  - {line}" for line in lines)
        return DeployerError(f"{len(lines)} smoke checks failed on {self.environment}:\n{listing}")


def health_check(project: Project) -> SmokeCheck | None:
    """The health route: `[tool.deployer.smoke] health`, else the `health` function's
    first GET route without parameters, else GET /health; None when switched off."""
    health = project.settings.smoke.health
    if health is False:
        return None
    route = health if isinstance(health, str) else _health_route(project)
    method, path = route.split(" ", 1)
    return SmokeCheck(path=path, method=method, name="health")


def _health_route(project: Project) -> str:
    for spec in load_functions(project):
        if spec.name != HEALTH_FUNCTION:
            continue
        for route in spec.routes:
            method, _, path = route.route_key.partition(" ")
            if method == "GET" and path.startswith("/") and "{" not in path:
                return route.route_key
    return DEFAULT_HEALTH


def project_checks(project: Project) -> list[SmokeCheck]:
    """What `deployer smoke` runs, in order: the health route, then the configured checks."""
    health = health_check(project)
    return [*([health] if health else []), *project.settings.smoke.checks]


def _bearer(
    project: Project,
    env_name: str,
    check: SmokeCheck,
    local_tokens: LocalTokens | None,
    environ: Mapping[str, str],
) -> tuple[str | None, CheckResult | None]:
    """(the bearer token, or None) for `check`, or the result it gets without running:
    skipped (a local token on a real environment), or failed (its token variable unset)."""
    if check.token == LOCAL_TOKEN and is_emulated(project, env_name) and local_tokens:
        return local_tokens(check.scopes), None
    if check.token_env:
        value = environ.get(check.token_env, "").strip()
        if value:
            return value, None
        unset = (
            f"the environment variable {check.token_env} (its token_env) is not set: set it "
            f"to a bearer token of {env_name}'s issuer (in CI, from a secret)"
        )
        return None, CheckResult(check, False, error=unset)
    if check.token == LOCAL_TOKEN:
        why = f"token = local is for emulated environments, and {env_name} is not one"
        return None, CheckResult(check, True, skipped=why)
    return None, None


def run_check(
    session: requests.Session,
    api_url: str,
    check: SmokeCheck,
    *,
    token: str | None = None,
    timeout: float,
    interval: float = RETRY_INTERVAL,
) -> CheckResult:
    """Request `check` until it answers its expected status or `timeout` seconds pass."""
    url = api_url.rstrip("/") + check.path
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    start = time.monotonic()
    deadline = start + timeout
    attempts, status, body, error = 0, None, "", ""
    while True:
        attempts += 1
        left = max(deadline - time.monotonic(), 0.1)
        try:
            answer = session.request(
                check.method, url, headers=headers, timeout=min(REQUEST_TIMEOUT, left)
            )
        except requests.RequestException as exc:
            status, body, error = None, "", _short(str(exc) or type(exc).__name__)
        else:
            status, body, error = answer.status_code, _short(answer.text), ""
            if status == check.status:
                return CheckResult(check, True, status, attempts, time.monotonic() - start)
        if time.monotonic() + interval >= deadline:
            return CheckResult(
                check, False, status, attempts, time.monotonic() - start, body, error
            )
        time.sleep(interval)


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= BODY_EXCERPT else flat[: BODY_EXCERPT - 3] + "..."


def run_smoke(
    project: Project,
    env_name: str,
    api_url: str,
    *,
    timeout: float | None = None,
    interval: float = RETRY_INTERVAL,
    local_tokens: LocalTokens | None = None,
    environ: Mapping[str, str] | None = None,
) -> Iterator[CheckResult]:
    """Run every check against `api_url`, yielding each result as it is known (so its line
    prints while the next one waits); `timeout` overrides `[tool.deployer.smoke] timeout`."""
    if not api_url:
        raise DeployerError(
            f"{env_name} has no api_url output (nothing applied yet?): apply it first with "
            f"`deployer apply {env_name}`."
        )
    environ = os.environ if environ is None else environ
    limit = project.settings.smoke.timeout if timeout is None else timeout
    with requests.Session() as session:
        for check in project_checks(project):
            token, settled = _bearer(project, env_name, check, local_tokens, environ)
            if settled is not None:
                yield settled
                continue
            yield run_check(session, api_url, check, token=token, timeout=limit, interval=interval)
