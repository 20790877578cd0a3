"""Checking `envs/<env>.tfvars` against the variables `terraform/` declares, before Terraform runs.

Two passes, both offline. First the deployer's own: unknown variables, missing required
ones, values that do not fit their variable's type (`tfvars_types`: attribute by
attribute, unknown attributes included, which Terraform drops without a word), blocks and
keys given twice, and secrets written in plain text, in the tfvars and in the functions'
`[environment]`; then the functions' declared access and routes against the environment.
Each names the file, the line and the fix. When those pass, Terraform itself plans the
inputs against the stack's rules (`plan_inputs`: types, `validation` blocks, the modules'
validations, preconditions), with no provider and no credentials: what a real plan would
refuse because of the inputs is refused here too (a rule that reads what only the cloud
knows, a data source or a created resource, is left to the real plan).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from deployer.common import UserInputError, did_you_mean
from deployer.config import find_project, read_hcl, shown_path
from deployer.stack.plan_inputs import plan_inputs
from deployer.stack.tfvars_types import field_name, parse_type, type_problems
from deployer.terraform import Variable, declared_variables

__all__ = [
    "GENERATED_VARIABLES",
    "TfvarsCheck",
    "Variable",
    "check_functions",
    "check_tfvars",
    "declared_variables",
    "find_line",
    "is_secret_name",
]

# Variables the deployer writes into `.deployer/<env>/generated.tfvars.json`: a tfvars
# file must not set them, and they never count as missing.
GENERATED_VARIABLES = ("app", "environment", "functions")

# A name is secret-like when one of its words is one of these (or a pair of them)...
_SECRET_WORDS = frozenset(
    {"password", "passwd", "passphrase", "secret", "token", "apikey", "privatekey", "credential"}
)
_SECRET_PAIRS = frozenset({("private", "key"), ("api", "key"), ("secret", "key")})
# ...and every word after it only says how the value is written (`db_password_value`,
# `private_key_pem`); any other word makes it a setting or a reference (`secret_arn`,
# `token_use`, `DB_SECRET_TTL_SECONDS`, `password_length`).
_VALUE_WORDS = frozenset(
    {"value", "plain", "plaintext", "text", "raw", "string", "str", "b64", "base64", "hex"}
    | {"pem", "der", "key", "access"}
)


def _words(name: str) -> list[str]:
    """`dbPassword`, `DBPassword`, `db_password`, `db-password` -> ["db", "password"]."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]


def is_secret_name(name: str) -> bool:
    """True for names like `db_password`, `dbPassword`, `DB_PASSWORD`, `client_secret`."""
    words = [w[:-1] if w.endswith("s") and w[:-1] in _SECRET_WORDS else w for w in _words(name)]
    last = None
    for index, word in enumerate(words):
        if word in _SECRET_WORDS or (index and (words[index - 1], word) in _SECRET_PAIRS):
            last = index
    return last is not None and all(w in _VALUE_WORDS for w in words[last + 1 :])


def _has_literal(value: object) -> bool:
    """A non-empty literal string somewhere in the value (null and "" hold no secret)."""
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, Mapping):
        return any(_has_literal(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_literal(v) for v in value)
    return False


def _secret_paths(value: object, path: tuple) -> Iterable[tuple]:
    """Where `value` (at `path`) holds a secret-like name with a literal value."""
    last = path[-1] if path else None
    if isinstance(last, str) and is_secret_name(last) and _has_literal(value):
        yield path
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _secret_paths(item, (*path, str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _secret_paths(item, (*path, index))


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
    root: Path | None = None
    terraform_dir: Path | None = None
    environ: Mapping[str, str] = field(default_factory=dict)
    lines: Mapping[tuple, int] = field(default_factory=dict)  # where each attribute is set

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
    doc = read_hcl(tfvars, root=root)
    values = doc.values
    variables = declared_variables(terraform_dir, root=root)
    environ = environ or {}
    problems = []

    def at(path: tuple) -> str:
        known = (doc.lines[path[:n]] for n in range(len(path), 0, -1) if path[:n] in doc.lines)
        line = next(known, None)
        return f"{shown}:{line}" if line else shown

    blocks = {item.name for item in doc.body if item.kind == "block"}
    for item in doc.body:
        if item.kind == "block":
            problems.append(
                f"{shown}:{item.line}: {item.name} {{ ... }} is a block, which a tfvars file "
                f"cannot hold; set it as an attribute: {item.name} = {{ ... }}."
            )
    for path, line, first in doc.duplicates:
        problems.append(
            f"{shown}:{line}: {field_name(path)} is set twice in one object (first on line "
            f"{first}); Terraform keeps the last one without a word, so remove one of them."
        )
    for name in values:
        if name in GENERATED_VARIABLES:
            problems.append(
                f"{at((name,))}: {name} is set by the deployer (generated.tfvars.json); "
                "remove it from the tfvars."
            )
        elif name not in variables:
            hint = did_you_mean(name, variables)
            fix = "fix its name" if hint else "remove it or declare it in terraform/variables.tf"
            problems.append(
                f"{at((name,))}: unknown variable {name!r}{hint}: terraform/ declares no such "
                f"variable; {fix}."
            )
        elif name not in blocks:
            variable = variables[name]
            hidden = variable.sensitive or is_secret_name(name)
            spec = parse_type(variable.type)
            scalar = (
                variable.default and variable.default[0] not in "{[" and variable.default != "null"
            )
            default = variable.default if scalar else None  # for the example in a message
            for path, sentence in type_problems(
                values[name], spec, (name,), hidden=hidden, default=default
            ):
                problems.append(f"{at(path)}: {sentence}")
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
        for path in _secret_paths(value, (name,)):
            if len(path) == 1:
                fix = f"export TF_VAR_{name} instead (from your CI's secret store)"
                if name in variables and not variables[name].sensitive:
                    fix += ", and mark the variable sensitive = true"
            else:
                fix = (
                    "keep the value in Secrets Manager and pass its ARN, or give it a "
                    "variable of its own marked sensitive and set that with TF_VAR_<name>"
                )
            problems.append(
                f"{at(path)}: {field_name(path)} looks like a secret written in plain text; "
                f"remove it from the file: {fix}."
            )
    _raise(problems, shown)
    return TfvarsCheck(
        path=tfvars,
        values=values,
        variables=variables,
        root=root,
        terraform_dir=terraform_dir,
        environ=dict(environ),
        lines=doc.lines,
    )


def _raise(problems: list[str], shown: str) -> None:
    if len(problems) == 1:
        raise UserInputError(problems[0])
    if problems:
        listing = "\n".join(f"  - {p}" for p in problems)
        raise UserInputError(f"{len(problems)} problems with {shown}:\n{listing}")


# What Terraform takes as true for a bool.
_TRUE = (True, "true", "1")


def _mapping(value: object) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _environment_secrets(check: TfvarsCheck, name: str, fn: Mapping, where: str) -> list[str]:
    """Secrets written in plain text in a function's `[environment]`."""
    problems = []
    text = ""
    if check.root is not None and where.endswith(".toml"):
        try:
            text = (check.root / where).read_text(encoding="utf-8")
        except (OSError, ValueError):
            text = ""
    for key, value in sorted(_mapping(fn.get("environment")).items()):
        if not (is_secret_name(key) and _has_literal(value)):
            continue
        line = find_line(text, [key]) if text else None
        problems.append(
            f"{where}{f':{line}' if line else ''}: environment.{key} looks like a secret "
            "written in plain text, and function.toml is committed with the code; remove it, "
            "keep the value in Secrets Manager and give the function the secret's ARN or "
            f"name instead (e.g. {key}_SECRET_ARN), read at run time (docs/functions.md)."
        )
    return problems


def check_functions(
    check: TfvarsCheck,
    functions: Mapping[str, Mapping],
    *,
    shown: str,
    sources: Mapping[str, str] | None = None,
) -> None:
    """Check the functions against one environment's tfvars, then the inputs with Terraform.

    `functions` is the build manifest's `functions` map; `sources` names each function's
    manifest file for the messages (default: `function 'name'`).
    """
    sources = sources or {}
    tables = _mapping(check.value("tables"))
    authorizers = _mapping(check.value("authorizers"))
    database = _mapping(check.value("database"))
    default = check.value("default_authorizer")
    default = default if isinstance(default, str) else None
    problems = []
    for name, fn in sorted(functions.items()):
        where = sources.get(name) or f"function {name!r}"
        problems.extend(_environment_secrets(check, name, fn, where))
        access = _mapping(fn.get("access"))
        for table in sorted(_mapping(access.get("tables"))):
            if table not in tables:
                known = ", ".join(sorted(tables)) or "none"
                problems.append(
                    f"{where}: access.tables names {table!r}, which {shown} does not define "
                    f"(tables: {known}); add it to tables there or fix the manifest."
                )
        if access.get("database") and database.get("enabled") not in _TRUE:
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
        auth = _mapping(auth)
        target = auth.get("function")
        if auth.get("type") == "request" and target not in functions:
            known = ", ".join(sorted(functions)) or "none"
            problems.append(
                f"{shown}: authorizers.{auth_name}.function = {target!r} is not a function in "
                f"lambda_src/ (functions: {known}); name one of those."
            )
    _raise(problems, shown)
    _raise(_terraform_problems(check, functions), shown)


def _terraform_problems(check: TfvarsCheck, functions: Mapping[str, Mapping]) -> list[str]:
    """What Terraform's plan of the inputs refuses (see plan_inputs)."""
    terraform_dir = check.terraform_dir or check.path.parent.parent / "terraform"
    root = check.root or terraform_dir.parent
    try:
        project = find_project(root)
        app, work_dir = project.settings.app, project.env_dir(check.path.stem)
    except UserInputError:  # a tfvars file outside a project: the default app name
        app, work_dir = "deployer", root / ".deployer" / check.path.stem
    generated = {"app": app, "environment": check.path.stem, "functions": dict(functions)}
    mask = [
        check.environ[f"TF_VAR_{v.name}"]
        for v in check.variables.values()
        if v.sensitive and check.environ.get(f"TF_VAR_{v.name}")
    ]
    return plan_inputs(
        tfvars=check.path,
        terraform_dir=terraform_dir,
        root=root,
        work_dir=work_dir / "inputs",
        generated={k: v for k, v in generated.items() if k in check.variables},
        environ=check.environ,
        mask=mask,
        values=check.values,
        lines=check.lines,
    )
