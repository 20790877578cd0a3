"""`[tool.deployer.smoke]`: what `deployer smoke ENV` checks beside the health route.

    [tool.deployer.smoke]
    timeout = 60                  # seconds each check is retried (a fresh deploy warms up)
    health = "GET /health"        # optional: the health route (default: the `health`
                                  # function's GET route, else GET /health); false: none

    [[tool.deployer.smoke.checks]]
    path = "/items"               # relative to the API's URL (the `api_url` output)
    method = "GET"                # default GET
    status = 200                  # the expected status, default 200
    token = "local"               # a token of the local issuer, on emulated environments
    scopes = ["items:read"]       # the scopes of that token
    token_env = "SMOKE_TOKEN"     # elsewhere: the bearer token is this variable's value

A list of checks alone (`[[tool.deployer.smoke]]`) is accepted too. docs/operating.md
describes the checks; every error here names the key and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from deployer.common import UserInputError

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
DEFAULT_TIMEOUT = 60.0
LOCAL_TOKEN = "local"  # noqa: S105 (a kind of token, not one)
_CHECK_KEYS = ("name", "path", "method", "status", "token", "scopes", "token_env")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ROUTE = re.compile(r"(?P<method>[A-Z]+) (?P<path>/\S*)")


@dataclass(frozen=True)
class SmokeCheck:
    """One request `deployer smoke` makes, and the status it expects."""

    path: str
    method: str = "GET"
    status: int = 200
    name: str = ""
    # "local": a token of the local issuer (emulated environments only).
    token: str | None = None
    scopes: tuple[str, ...] = ()
    # The environment variable holding a bearer token (where no local token is minted).
    token_env: str | None = None

    @property
    def label(self) -> str:
        """The check as its lines and errors name it: its name, else `METHOD path`."""
        return self.name or f"{self.method} {self.path}"


@dataclass(frozen=True)
class SmokeSettings:
    """The smoke table with defaults filled in."""

    checks: tuple[SmokeCheck, ...] = ()
    # True: the health route from the functions' manifests; False: no health check.
    health: bool | str = True
    timeout: float = DEFAULT_TIMEOUT


def _path(where: str, value: object) -> str:
    if not isinstance(value, str) or not value.startswith("/") or re.search(r"\s", value):
        raise UserInputError(
            f"{where}: path = {value!r} must be the request's path relative to the API's URL, "
            'starting with / and without spaces, e.g. path = "/items".'
        )
    return value


def _check(where: str, raw: object) -> SmokeCheck:
    if not isinstance(raw, dict):
        raise UserInputError(f'{where} must be a table, e.g. {{ path = "/items", status = 200 }}.')
    unknown = sorted(set(raw) - set(_CHECK_KEYS))
    if unknown:
        raise UserInputError(
            f"{where}: unknown key {unknown[0]!r}; the keys are {', '.join(_CHECK_KEYS)}."
        )
    if "path" not in raw:
        raise UserInputError(f'{where}: path is missing; add the request\'s path, e.g. "/items".')
    path = _path(where, raw["path"])
    method = raw.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise UserInputError(
            f"{where}: method = {method!r} is not an HTTP method; use one of {', '.join(METHODS)}."
        )
    status = raw.get("status", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise UserInputError(
            f"{where}: status = {status!r} must be the expected HTTP status, a whole number "
            "from 100 to 599, e.g. status = 200."
        )
    name = raw.get("name", "")
    if not isinstance(name, str):
        raise UserInputError(f'{where}: name = {name!r} must be a string, e.g. name = "items".')
    token = raw.get("token")
    if token is not None and token != LOCAL_TOKEN:
        raise UserInputError(
            f'{where}: token = {token!r} is not supported; use token = "local" (a token of the '
            'local issuer on emulated environments) or token_env = "VARIABLE" (a bearer token '
            "from that environment variable), never a token written in pyproject.toml."
        )
    scopes = raw.get("scopes", [])
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise UserInputError(f'{where}: scopes must be a list of strings, e.g. ["items:read"].')
    if scopes and token != LOCAL_TOKEN:
        raise UserInputError(
            f'{where}: scopes are those of a local token: add token = "local", or remove them.'
        )
    token_env = raw.get("token_env")
    if token_env is not None and (
        not isinstance(token_env, str) or not _ENV_NAME.fullmatch(token_env)
    ):
        raise UserInputError(
            f"{where}: token_env = {token_env!r} must name an environment variable, "
            'e.g. token_env = "SMOKE_TOKEN".'
        )
    return SmokeCheck(
        path=path,
        method=method.upper(),
        status=status,
        name=name,
        token=token,
        scopes=tuple(scopes),
        token_env=token_env,
    )


def _health(where: str, value: object) -> bool | str:
    if value is False or value is True:
        return value
    match = _ROUTE.fullmatch(value) if isinstance(value, str) else None
    if match is None or match["method"] not in METHODS:
        raise UserInputError(
            f'{where}: health = {value!r} must be a route such as "GET /health", or false for '
            "no health check (leave it out to use the health function's route)."
        )
    return value


def load_smoke(where: str, raw: object) -> SmokeSettings:
    """Validate the table (defaults when the project has none); errors name the key and the fix."""
    if raw is None:
        return SmokeSettings()
    where = f"{where}.smoke"
    if isinstance(raw, list):  # [[tool.deployer.smoke]]: the checks alone
        raw = {"checks": raw}
    if not isinstance(raw, dict):
        raise UserInputError(
            f'{where} must be a table, e.g. [[tool.deployer.smoke.checks]] with path = "/items".'
        )
    unknown = sorted(set(raw) - {"checks", "health", "timeout"})
    if unknown:
        raise UserInputError(
            f"{where}: unknown key {unknown[0]!r}; the keys are checks, health and timeout."
        )
    timeout = raw.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 3600:
        raise UserInputError(
            f"{where}: timeout = {timeout!r} must be the seconds each check is retried, "
            "more than 0 and at most 3600, e.g. timeout = 60."
        )
    checks = raw.get("checks", [])
    if not isinstance(checks, list):
        raise UserInputError(
            f"{where}: checks must be a list of tables, e.g. "
            '[[tool.deployer.smoke.checks]] with path = "/items".'
        )
    return SmokeSettings(
        checks=tuple(_check(f"{where}.checks[{i}]", c) for i, c in enumerate(checks)),
        health=_health(where, raw.get("health", True)),
        timeout=float(timeout),
    )
