"""Terraform's own verdict on one environment's inputs, offline, in a fraction of a second.

`terraform plan` of the rules copy (`input_rules`) over the environment's var-files (its
tfvars and the generated functions) refuses exactly what a real plan refuses because of
the inputs: values of the wrong type, `validation` blocks (the root stack's and its
modules'), preconditions, attributes set twice, references and function calls in a tfvars
file. No provider, no credentials, no state. Each of Terraform's errors becomes one line
naming the tfvars file (and line) or the rule's file and line, and Terraform's own words.

Errors the copy alone can cause are not reported: a value that only a real plan knows is
unknown in the copy, and Terraform may then not infer a type or count a `for_each` it
would in a real plan. Only the kinds of error listed in `_RULE_ERRORS` are reported when
they come from the configuration; every error located in a var-file is.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from deployer.common import atomic_write
from deployer.stack.input_rules import RECORD, write_rules_copy
from deployer.stack.tfvars_types import field_name
from deployer.terraform import Terraform, TerraformError

# Errors a rule on the inputs raises, or that known values raise in expressions.
_RULE_ERRORS = frozenset(
    {
        "Invalid value for variable",
        "Invalid value for input variable",
        "Resource precondition failed",
        "Output precondition failed",
        "Error in function call",
        "Invalid function argument",
        "Invalid index",
        "Invalid operand",
        "Attempt to get attribute from null value",
        "Invalid template interpolation value",
        "Invalid for_each argument",
        "Invalid count argument",
    }
)
# A `for_each` or `count` that reads a value only a real plan knows.
_UNKNOWN_IN_COPY = re.compile(r"known only after apply|cannot be determined until apply")
# What to do about the errors Terraform gives without a fix.
_FIXES = {
    "Variables not allowed": "a tfvars file holds plain values: write the value itself",
    "Function calls not allowed": "a tfvars file holds plain values: write the result itself",
    "Attribute redefined": "remove one of them",
    "Unexpected block": "write it as an attribute: name = { ... }",
}
_LOCATION = re.compile(r"^\s*on (?P<file>.+) line (?P<line>\d+)(, in .*)?:$")
_CODE = re.compile(r"^\s*(\d+): (?P<code>.*)$")
_VALUE = re.compile(r"^\s*│ (?P<value>.*)$")
_CITED = re.compile(r"(?P<file>[^\s,]+\.tf):(?P<line>\d+),[\d-]+")
_STARTS = re.compile(r"^(?P<level>Error|Warning): (?P<summary>.*)$")
# How a message names where a rule's error comes from.
_RULE_PLACES = {
    "Invalid value for variable": "given to the module at {}",
    "Invalid value for input variable": "given to the module at {}",
    "Resource precondition failed": "the precondition at {}",
    "Output precondition failed": "the precondition at {}",
}
# A value Terraform shows under an error: `var.billing_mode is "FOO"`.
_STATEMENT = re.compile(r"^(?:var|each\.value)\.(?P<path>[\w.]+) is (?P<value>.+)$")
# Where the key of the inputs Terraform last took is kept (see _passed_key).
PASSED = "passed.sha256"
# Stands in for a function's code hash in `validate` (which builds nothing): 32 zero bytes.
PLACEHOLDER_HASH = "A" * 43 + "="


@dataclass(frozen=True)
class Diagnostic:
    """One error of Terraform's output (its human form, colour off)."""

    summary: str
    file: str | None = None
    line: int | None = None
    code: str = ""
    values: tuple[str, ...] = ()
    detail: str = ""


def parse_diagnostics(text: str) -> list[Diagnostic]:
    """The errors in Terraform's output (warnings left out)."""
    found: list[Diagnostic] = []
    current: dict | None = None
    for raw in text.split("\n"):  # not splitlines: a snippet may hold a lone \r
        line = re.sub(r"^[╷╵]\s*$", "", raw)
        line = re.sub(r"^│ ?", "", line).rstrip()
        start = _STARTS.match(line)
        if start:
            if current is not None and current["level"] == "Error":
                found.append(_diagnostic(current))
            current = {"level": start["level"], "summary": start["summary"], "lines": []}
        elif current is not None:
            current["lines"].append(line)
    if current is not None and current["level"] == "Error":
        found.append(_diagnostic(current))
    return found


def _diagnostic(raw: dict) -> Diagnostic:
    file = number = None
    code, values, detail = "", [], []
    for line in raw["lines"]:
        if not line.strip():
            continue
        location = _LOCATION.match(line)
        if location and file is None:
            file, number = location["file"], int(location["line"])
        elif (snippet := _CODE.match(line)) and not detail:
            code = code or snippet["code"].strip()
        elif (value := _VALUE.match(line)) and not detail:
            values.append(value["value"].strip())
        elif line.strip().startswith("├") and not detail:
            continue
        else:
            detail.append(line.strip())
    text = re.sub(r"\s+", " ", " ".join(detail)).strip()
    return Diagnostic(raw["summary"], file, number, code, tuple(values), text)


def _function_inputs(functions: Mapping[str, Mapping]) -> dict:
    """The functions as the generated var-file gives them (placeholders where `validate`
    has built nothing: a zip path and a code hash)."""
    entries = {}
    for name, entry in sorted(functions.items()):
        entry = dict(entry)
        entry.setdefault("zip_path", f"{name}.zip")
        entry.setdefault("source_code_hash", PLACEHOLDER_HASH)
        entries[name] = entry
    return entries


class _Locations:
    """Terraform's file names, as the deployer's messages show them."""

    def __init__(self, copy_root: Path, originals: Mapping[Path, Path], root: Path) -> None:
        self.copy_root = copy_root
        self.originals = {os.path.normpath(k): v for k, v in originals.items()}
        self.root = root

    def shown(self, file: str) -> str:
        path = Path(os.path.normpath(self.copy_root / file))
        for copied, original in self.originals.items():
            if path.parent == Path(copied):
                path = original / path.name
                break
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def cited(self, text: str) -> str:
        """`variables.tf:90,3-13` in Terraform's words as `terraform/variables.tf:90`."""
        return _CITED.sub(lambda m: f"{self.shown(m['file'])}:{m['line']}", text)


def _scalars(value: object, path: tuple = ()) -> Iterator[tuple[tuple, object]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _scalars(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _scalars(item, (*path, index))
    else:
        yield path, value


def _as_terraform_shows(value: object) -> str:
    """A value as Terraform shows it under an error (`"FOO"`, `40`, `true`, `null`)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return json.dumps(value)


def _locate(diag: Diagnostic, values: Mapping, lines: Mapping) -> tuple[int | None, str] | None:
    """The tfvars attribute a module's rule judged: the one with that name and that value."""
    for statement in diag.values:
        said = _STATEMENT.match(statement)
        if said is None:
            continue
        key = said["path"].split(".")[-1]
        found = [
            path
            for path, value in _scalars(values)
            if path and path[-1] == key and _as_terraform_shows(value) == said["value"]
        ]
        if len(found) == 1:
            return lines.get(found[0]), f"{field_name(found[0])} = {said['value']}"
    return None


def _message(
    diag: Diagnostic, shown_tfvars: str, places: _Locations, tfvars: Path, tfvars_doc: tuple
) -> str:
    detail = places.cited(diag.detail).rstrip(".")
    fix = _FIXES.get(diag.summary, "")
    if diag.file and Path(diag.file).resolve() == tfvars.resolve():
        where = f"{shown_tfvars}:{diag.line}"
        if diag.summary == "Invalid value for variable":  # a validation: its message says it
            return f"{where}: {detail}."
        return f"{where}: {diag.summary}: {detail}" + (f"; {fix}." if fix else ".")
    if diag.file and diag.file.endswith(".json"):
        return f"{shown_tfvars}: the functions of lambda_src/ do not fit: {detail}."
    rule = ""
    if diag.file:
        at = f"{places.shown(diag.file)}:{diag.line}"
        rule = _RULE_PLACES.get(diag.summary, f"{diag.summary.lower()} at {{}}").format(at)
    located = _locate(diag, *tfvars_doc)
    if located is not None:
        line, value = located
        where = f"{shown_tfvars}:{line}" if line else shown_tfvars
        return f"{where}: {value}: {detail}" + (f" ({rule})." if rule else ".")
    judged = [v for v in diag.values if v.startswith(("var.", "each."))]
    if judged and rule:
        rule += f", where {'; '.join(judged)}"
    return f"{shown_tfvars}: {detail}" + (f" ({rule})." if rule else ".")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None


def _passed_key(tfvars: Path, var_text: str, work_dir: Path, env: Mapping[str, str]) -> str | None:
    """What Terraform's last "yes" depends on: the var-files, the copy's sources and the
    binary. None (never cached) when TF_VAR_* values take part: no trace of them is kept."""
    if any(k.startswith("TF_VAR_") for k in env):
        return None
    binary = shutil.which("terraform", path=env.get("PATH")) or ""
    try:
        stat = os.stat(binary)
        parts = [tfvars.read_bytes(), (work_dir / RECORD).read_bytes()]
    except OSError:
        return None
    digest = hashlib.sha256()
    for part in (*parts, var_text.encode(), f"{binary}:{stat.st_mtime_ns}:{stat.st_size}".encode()):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def plan_inputs(
    *,
    tfvars: Path,
    terraform_dir: Path,
    root: Path,
    work_dir: Path,
    generated: Mapping[str, object],
    environ: Mapping[str, str],
    mask: Iterable[str] = (),
    values: Mapping = MappingProxyType({}),
    lines: Mapping = MappingProxyType({}),
) -> list[str]:
    """What Terraform refuses in these inputs, one sentence each ([] when it takes them).

    `generated`: the deployer's own variables (app, environment, functions) as a
    generated var-file gives them; `work_dir`: where the copy, its init and plan live;
    `values` and `lines`: the tfvars file's, to point at the attribute a module judged.
    """
    copy = write_rules_copy(terraform_dir, work_dir, root=root)
    inputs = dict(generated)
    if "functions" in inputs:
        inputs["functions"] = _function_inputs(inputs["functions"])
    var_file = work_dir / "generated.tfvars.json"
    var_text = json.dumps(inputs, indent=1, sort_keys=True) + "\n"
    atomic_write(var_file, var_text, only_if_changed=True)
    # The user's TF_* settings (workspace, CLI arguments, logging) have no place here;
    # the TF_VAR_* values do, as in a real plan.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    env.update({k: v for k, v in environ.items() if k.startswith("TF_VAR_")})
    passed = work_dir / PASSED
    key = _passed_key(tfvars, var_text, work_dir, env)
    if key is not None and _read(passed) == key:
        return []  # nothing changed since Terraform last took these inputs
    terraform = Terraform(
        copy.root, data_dir=work_dir / "tfdata", env=env, stream=None, color=False, mask=mask
    )
    wanted = json.dumps(copy.module_calls)
    initialised = (work_dir / "tfdata" / "modules" / "modules.json").is_file()
    if _read(work_dir / "init.json") != wanted or not initialised:
        terraform.init(backend=False)
        atomic_write(work_dir / "init.json", wanted)
    plan_file = work_dir / "inputs.tfplan"
    try:
        terraform.plan(out=plan_file, var_files=[tfvars, var_file], lock_timeout="60s")
        if key is not None:
            atomic_write(passed, key)
        return []
    except TerraformError as exc:
        failure, diagnostics = exc, parse_diagnostics(exc.stderr)
    finally:
        plan_file.unlink(missing_ok=True)
    places = _Locations(copy.root, copy.originals, root)
    shown_tfvars = places.shown(str(tfvars))
    problems = []
    for diag in diagnostics:
        in_var_file = diag.file is not None and diag.file.endswith((".tfvars", ".json"))
        if not in_var_file and diag.summary not in _RULE_ERRORS:
            continue  # the copy's own doing (see the module docstring)
        if diag.summary in ("Invalid for_each argument", "Invalid count argument") and (
            _UNKNOWN_IN_COPY.search(diag.detail)
        ):
            continue
        message = _message(diag, shown_tfvars, places, tfvars, (values, lines))
        if message not in problems:
            problems.append(message)
    if not problems and not (diagnostics and all(diag.file for diag in diagnostics)):
        # An error of no file (a held lock, a crash) is not about the inputs: as it is.
        raise failure
    if not problems and key is not None:
        atomic_write(passed, key)
    return problems
