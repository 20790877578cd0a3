"""Checking the fields of one `function.toml`: each problem names the field and the fix."""

from __future__ import annotations

import re
from dataclasses import dataclass

from deployer.common import did_you_mean
from deployer.functions.routes import parse_route_key

DEFAULTS = {
    "handler": "handler.handler",
    "runtime": "python3.12",
    "architecture": "arm64",
    "memory": 128,
    "timeout": 3,
    "description": "",
}
MEMORY_RANGE = (128, 10240)
TIMEOUT_RANGE = (1, 900)
ACCESS_LEVELS = ("read", "read-write")
DESCRIPTION_MAX = 256
ENVIRONMENT_MAX_BYTES = 4096

# Lambda refuses to let a function set these (AWS docs, "Defined runtime environment variables").
RESERVED_ENV_VARS = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)

ROUTE_KEYS = ("route", "auth", "scopes")
ACCESS_KEYS = ("tables", "database")
# `database = "owner"`: logs in as the master user and maintains the application role's
# login (the migration function); `database = true` logs in as the application role.
DATABASE_OWNER = "owner"

ENV_KEY_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]+")  # Lambda's own pattern: two characters at least
AUTHORIZER_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,127}")
TABLE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
SCOPE_RE = re.compile(r"\S+")


@dataclass(frozen=True)
class Route:
    """One API Gateway v2 route served by a function."""

    route_key: str
    auth: str = "default"
    scopes: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"route_key": self.route_key, "auth": self.auth, "scopes": list(self.scopes)}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Checker:
    """Collects every problem of one manifest, each as one sentence naming file and field."""

    def __init__(self, rel_path: str) -> None:
        self.rel_path = rel_path
        self.problems: list[str] = []

    def fail(self, fld: str, message: str) -> None:
        self.problems.append(f"{self.rel_path}: {fld} {message}")

    def unknown_keys(self, table: dict, known: tuple[str, ...], where: str) -> None:
        for key in table:
            if key not in known:
                prefix = f"{where}." if where else ""
                self.fail(
                    f"{prefix}{key}",
                    f"is not a known field{did_you_mean(key, known)}; "
                    f"allowed: {', '.join(known)} (docs/functions.md).",
                )

    def string(self, raw: dict, key: str, where: str | None = None) -> str | None:
        value = raw.get(key, DEFAULTS.get(key))
        if not isinstance(value, str):
            self.fail(where or key, f'must be a string in quotes, e.g. {key} = "...".')
            return None
        return value

    def int_in_range(self, raw: dict, key: str, bounds: tuple[int, int], unit: str) -> int | None:
        value = raw.get(key, DEFAULTS[key])
        low, high = bounds
        if not _is_int(value):
            self.fail(
                key,
                f"= {value!r} must be a whole number without quotes, e.g. {key} = {DEFAULTS[key]}.",
            )
            return None
        if not low <= value <= high:
            self.fail(
                key,
                f"= {value!r} is out of range: Lambda allows a whole number of {unit} "
                f"from {low} to {high}; set e.g. {key} = {DEFAULTS[key]}.",
            )
            return None
        return value

    def choice(
        self, raw: dict, key: str, choices: tuple[str, ...], *, suggest: bool = True
    ) -> str | None:
        value = raw.get(key, DEFAULTS[key])
        if value not in choices:
            hint = did_you_mean(value, choices) if suggest and isinstance(value, str) else ""
            self.fail(
                key,
                f"= {value!r} is not supported{hint}; use one of: {', '.join(choices)}.",
            )
            return None
        return value


def check_environment(check: Checker, raw: object) -> dict[str, str]:
    if not isinstance(raw, dict):
        check.fail("environment", 'must be a table: [environment] with KEY = "value" lines.')
        return {}
    env: dict[str, str] = {}
    for key, value in raw.items():
        fld = f"environment.{key}"
        if not ENV_KEY_RE.fullmatch(key):
            check.fail(
                fld,
                "is not a valid environment variable name: Lambda requires a letter followed "
                "by at least one letter, digit or underscore; rename it.",
            )
        elif key in RESERVED_ENV_VARS:
            check.fail(fld, "is reserved by AWS Lambda (it sets it itself); use another name.")
        elif not isinstance(value, str):
            shown = str(value).lower() if isinstance(value, bool) else value
            check.fail(fld, f'must be a string: write {key} = "{shown}" (values are text).')
        else:
            env[key] = value
    total = sum(len(k.encode()) + len(v.encode()) for k, v in env.items())
    if total > ENVIRONMENT_MAX_BYTES:
        check.fail(
            "environment",
            f"holds {total} bytes, over Lambda's 4 KB limit for all variables; keep large "
            "settings in a table or SSM parameter and pass its name instead.",
        )
    return env


def check_route(check: Checker, index: int, raw: object) -> Route | None:
    where = f"routes[{index}]"
    if not isinstance(raw, dict):
        check.fail(
            where,
            'must be a table: write [[routes]] then route = "GET /items" (one block per route).',
        )
        return None
    check.unknown_keys(raw, ROUTE_KEYS, where)
    route_key = raw.get("route")
    ok = True
    if not isinstance(route_key, str):
        check.fail(f"{where}.route", 'is required: e.g. route = "GET /items/{id}" or "$default".')
        ok = False
    else:
        problem = parse_route_key(route_key)
        if problem:
            check.fail(f"{where}.route", f"= {route_key!r} {problem}")
            ok = False
    auth = raw.get("auth", "default")
    if not isinstance(auth, str) or not AUTHORIZER_RE.fullmatch(auth):
        check.fail(
            f"{where}.auth",
            f'= {auth!r} is not valid: use "default" (the environment\'s authorizer), "none" '
            "(public), or an authorizer name (a letter, then letters, digits, _ or -).",
        )
        ok = False
    scopes = raw.get("scopes", [])
    if not isinstance(scopes, list) or not all(
        isinstance(s, str) and SCOPE_RE.fullmatch(s) for s in scopes
    ):
        check.fail(
            f"{where}.scopes",
            'must be a list of scope strings without spaces, e.g. scopes = ["items:read"].',
        )
        ok = False
    elif scopes and auth == "none":
        check.fail(
            f"{where}.scopes",
            'needs an authorizer to check them, but auth = "none"; remove scopes or set auth.',
        )
        ok = False
    return Route(route_key, auth, tuple(scopes)) if ok else None


def check_access(check: Checker, raw: object) -> tuple[dict[str, str], bool, str]:
    """(tables by access level, database access, database role: "app" or "owner")."""
    if not isinstance(raw, dict):
        check.fail(
            "access",
            'must be a table: [access] with tables = { items = "read" } and database = true.',
        )
        return {}, False, "app"
    check.unknown_keys(raw, ACCESS_KEYS, "access")
    tables_raw = raw.get("tables", {})
    tables: dict[str, str] = {}
    if not isinstance(tables_raw, dict):
        check.fail("access.tables", 'must be a table, e.g. tables = { items = "read-write" }.')
    else:
        for table, level in tables_raw.items():
            fld = f"access.tables.{table}"
            if not TABLE_RE.fullmatch(table):
                check.fail(
                    fld,
                    "is not a valid logical table name: a letter, then up to 63 letters, "
                    "digits, _ or -.",
                )
            elif level not in ACCESS_LEVELS:
                hint = did_you_mean(level, ACCESS_LEVELS) if isinstance(level, str) else ""
                check.fail(
                    fld, f'= {level!r} is not an access level{hint}; use "read" or "read-write".'
                )
            else:
                tables[table] = level
    database = raw.get("database", False)
    role = "app"
    if database == DATABASE_OWNER:
        database, role = True, DATABASE_OWNER
    elif not isinstance(database, bool):
        check.fail(
            "access.database",
            f'= {database!r} must be true (the application role), "owner" (the master user, '
            "for the migration function only) or false.",
        )
        database = False
    return tables, database, role


def check_patterns(check: Checker, raw: dict, key: str) -> tuple[str, ...]:
    """`include` / `exclude`: a list of glob patterns, paths inside the package."""
    value = raw.get(key, [])
    example = '"certs/*.pem"' if key == "include" else '"data/*.csv"'
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        check.fail(key, f"must be a list of glob patterns in quotes, e.g. {key} = [{example}].")
        return ()
    ok = True
    for index, pattern in enumerate(value):
        parts = pattern.strip("/").split("/")
        if not pattern.strip("/") or ".." in parts or "\\" in pattern:
            check.fail(
                f"{key}[{index}]",
                f"= {pattern!r} is not a pattern for a path inside the function folder: use "
                f"/ between folders and no .. or \\, e.g. {key} = [{example}].",
            )
            ok = False
    return tuple(value) if ok else ()
