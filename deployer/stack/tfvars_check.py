"""Checking `envs/<env>.tfvars` against the variables `terraform/` declares, before Terraform runs.

Terraform would catch an unknown variable or a missing one too, but late (after init) and
without saying which line; and it happily accepts a password written in a tfvars file,
which then sits in git. These checks name the file, the line and the fix. They also check
the functions' manifests against the environment (tables, authorizers, database), the same
rules the root stack enforces with preconditions, with friendlier messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from deployer.common import UserInputError, did_you_mean
from deployer.config import read_hcl, shown_path
from deployer.terraform import Variable, declared_variables

# Variables the deployer writes into `.deployer/<env>/generated.tfvars.json`: a tfvars
# file must not set them, and they never count as missing.
GENERATED_VARIABLES = ("app", "environment", "functions")

# A name is secret-like when one of its words is one of these...
_SECRET_WORDS = re.compile(r"(password|passwd|passphrase|secret|token|private_?key|api_?key)s?")
# ...unless its last word says the value is only a reference to a secret or a setting of it.
_REFERENCE_SUFFIXES = frozenset(
    "arn arns id ids name names use ttl url uri path file enabled length version type "  # noqa: SIM905
    "parameter ref kms rotation".split()
)


def is_secret_name(name: str) -> bool:
    """True for names like `db_password`, `api_token`, `client_secret`, `private_key`."""
    words = [w for w in re.split(r"[_\-.\s]+", name.lower()) if w]
    if not words or words[-1] in _REFERENCE_SUFFIXES:
        return False
    joined = "_".join(words)
    return any(_SECRET_WORDS.fullmatch(w) for w in words) or bool(
        re.search(r"private_key|api_key", joined)
    )


def _has_literal(value: object) -> bool:
    """A non-empty literal string somewhere in the value (null and "" hold no secret)."""
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, Mapping):
        return any(_has_literal(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_literal(v) for v in value)
    return False


def _secret_paths(name: str, value: object, path: tuple[str, ...] = ()) -> Iterable[tuple]:
    path = (*path, name)
    if is_secret_name(name) and _has_literal(value):
        yield path
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _secret_paths(str(key), item, path)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, Mapping):
                for key, sub in item.items():
                    yield from _secret_paths(str(key), sub, path)


def find_line(text: str, path: Iterable[str]) -> int | None:
    """The 1-based line where the (nested) attribute `path` is set, by scanning the text."""
    lines = text.splitlines()
    start, found = 0, None
    for depth, key in enumerate(path):
        anchor = r"^\s*" if depth == 0 else r"(^|[\s{,])"
        pattern = re.compile(anchor + rf'"?{re.escape(key)}"?\s*[=:]')
        for number in range(start, len(lines)):
            if pattern.search(lines[number].split("#", 1)[0]):
                found, start = number + 1, number
                break
        else:
            return found
    return found


@dataclass(frozen=True)
class TfvarsCheck:
    """What a checked tfvars file holds, for the checks that follow it."""

    path: Path
    values: dict
    variables: dict[str, Variable]

    def value(self, name: str) -> object:
        """The tfvars value of `name`, else the variable's default."""
        if name in self.values:
            return self.values[name]
        variable = self.variables.get(name)
        return variable.value if variable else None


def check_tfvars(
    tfvars: Path,
    terraform_dir: Path,
    *,
    root: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> TfvarsCheck:
    """Check one tfvars file; every problem found is one line of the raised UserInputError."""
    shown = shown_path(tfvars, root)
    values = read_hcl(tfvars, root=root).values
    text = tfvars.read_text(encoding="utf-8")
    variables = declared_variables(terraform_dir, root=root)
    environ = environ or {}
    problems = []

    def at(path: Iterable[str]) -> str:
        line = find_line(text, path)
        return f"{shown}:{line}" if line else shown

    for name in values:
        if name in GENERATED_VARIABLES:
            problems.append(
                f"{at([name])}: {name} is set by the deployer (generated.tfvars.json); "
                "remove it from the tfvars."
            )
        elif name not in variables:
            hint = did_you_mean(name, variables)
            fix = "fix its name" if hint else "remove it or declare it in terraform/variables.tf"
            problems.append(
                f"{at([name])}: unknown variable {name!r}{hint}: terraform/ declares no such "
                f"variable; {fix}."
            )
    for variable in variables.values():
        if (
            variable.required
            and variable.name not in GENERATED_VARIABLES
            and variable.name not in values
            and f"TF_VAR_{variable.name}" not in environ
        ):
            problems.append(
                f"{shown}: required variable {variable.name!r} is not set; add "
                f"`{variable.name} = ...` to the file (or export TF_VAR_{variable.name})."
            )
    for name, value in values.items():
        for path in _secret_paths(name, value):
            dotted = ".".join(path)
            if len(path) == 1:
                fix = f"export TF_VAR_{name} instead (from your CI's secret store)"
            else:
                fix = "keep the value in Secrets Manager and pass its ARN instead"
            problems.append(
                f"{at(path)}: {dotted} looks like a secret written in plain text; "
                f"remove it from the file and {fix}."
            )
    _raise(problems, shown)
    return TfvarsCheck(path=tfvars, values=values, variables=variables)


def _raise(problems: list[str], shown: str) -> None:
    if len(problems) == 1:
        raise UserInputError(problems[0])
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise UserInputError(f"{len(problems)} problems with {shown}:\n{listing}")


def check_functions(
    check: TfvarsCheck,
    functions: Mapping[str, Mapping],
    *,
    shown: str,
    sources: Mapping[str, str] | None = None,
) -> None:
    """Check the functions' declared access and routes against one environment's tfvars.

    `functions` is the build manifest's `functions` map; `sources` names each function's
    manifest file for the messages (default: `function 'name'`).
    """
    sources = sources or {}
    tables = check.value("tables") or {}
    authorizers = check.value("authorizers") or {}
    database = check.value("database") or {}
    default = check.value("default_authorizer")
    problems = []
    for name, fn in sorted(functions.items()):
        where = sources.get(name) or f"function {name!r}"
        access = fn.get("access") or {}
        for table in sorted(access.get("tables") or {}):
            if table not in tables:
                known = ", ".join(sorted(tables)) or "none"
                problems.append(
                    f"{where}: access.tables names {table!r}, which {shown} does not define "
                    f"(tables: {known}); add it to tables there or fix the manifest."
                )
        if access.get("database") and not database.get("enabled", False):
            problems.append(
                f"{where}: access.database = true but {shown} has database.enabled = false; "
                "enable the database there or drop the access."
            )
        for route in fn.get("routes") or []:
            auth = route.get("auth", "default")
            key = route.get("route_key", "?")
            if auth == "default" and default is None:
                problems.append(
                    f"{where}: route {key!r} uses the default authorizer but {shown} sets no "
                    "default_authorizer; set it to one of authorizers."
                )
            elif auth not in ("none", "default") and auth not in authorizers:
                known = ", ".join(sorted(authorizers)) or "none"
                problems.append(
                    f"{where}: route {key!r} uses authorizer {auth!r}, which {shown} does not "
                    f'define (authorizers: {known}); add it or use auth = "default" or "none".'
                )
    if default is not None and default not in authorizers:
        known = ", ".join(sorted(authorizers)) or "none"
        problems.append(
            f"{shown}: default_authorizer = {default!r} is not one of authorizers ({known}); "
            "define it or pick one of those."
        )
    for auth_name, auth in sorted(authorizers.items()):
        target = (auth or {}).get("function")
        if (auth or {}).get("type") == "request" and target not in functions:
            known = ", ".join(sorted(functions)) or "none"
            problems.append(
                f"{shown}: authorizers.{auth_name}.function = {target!r} is not a function in "
                f"lambda_src/ (functions: {known}); name one of those."
            )
    _raise(problems, shown)
