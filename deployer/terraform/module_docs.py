"""A Terraform module's README inputs/outputs tables, generated from its code (python-hcl2).

The tables live between two marker lines in the module's README.md; everything outside
them is hand-written prose and is kept as it is. `terraform-docs` does the same job but is
not installable everywhere, and the tables only need what `variable` and `output` blocks say.

python-hcl2 8.x hands values back in their source form: string literals keep their quotes
(`'"python3.12"'`), expressions and types come wrapped as `"${...}"`, block labels are
quoted, numbers/bools/null are Python values. Rendering relies on exactly that.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from deployer.common import UserInputError

BEGIN_MARKER = "<!-- BEGIN_DEPLOYER_DOCS -->"
END_MARKER = "<!-- END_DEPLOYER_DOCS -->"
REQUIRED_FILE = "variables.tf"
_FIRST = ("variables.tf", "outputs.tf")


@dataclass(frozen=True)
class Variable:
    """One `variable` block, rendered for the inputs table."""

    name: str
    description: str
    type: str  # the type expression as written, "any" when none is declared
    default: str | None  # the default as HCL source, None when the variable is required
    sensitive: bool = False

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class Output:
    """One `output` block, rendered for the outputs table."""

    name: str
    description: str
    sensitive: bool = False


@dataclass(frozen=True)
class ModuleInterface:
    """What a module declares: its inputs and outputs, in declaration order."""

    variables: tuple[Variable, ...]
    outputs: tuple[Output, ...]


@dataclass(frozen=True)
class DocsResult:
    """What `generate` did (or would do) to one module's README."""

    module: Path
    readme: Path
    up_to_date: bool
    written: bool

    def as_dict(self) -> dict:
        return {
            "module": str(self.module),
            "readme": str(self.readme),
            "up_to_date": self.up_to_date,
            "written": self.written,
        }


def _unquote(value: str) -> str:
    """The text of an HCL string literal as python-hcl2 returns it (quoted, escapes kept)."""
    from hcl2.utils import process_escape_sequences

    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        return process_escape_sequences(value[1:-1])
    return value


def _unwrap(value: str) -> str:
    """An expression without python-hcl2's `${...}` wrapper."""
    if value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return value


def render_value(value: object) -> str:
    """A parsed HCL value back as one line of HCL source (for the Default column)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _unwrap(value)  # literals keep their quotes; expressions lose the wrapper
    if isinstance(value, list):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [f"{_unwrap(str(k))} = {render_value(v)}" for k, v in value.items()]
        return "{" + ", ".join(items) + "}" if items else "{}"
    return str(value)


def _parse(path: Path) -> dict:
    import hcl2
    from hcl2 import SerializationOptions

    options = SerializationOptions(
        with_comments=False, explicit_blocks=False, preserve_heredocs=False
    )
    try:
        with path.open(encoding="utf-8") as handle:
            return hcl2.load(handle, serialization_options=options)
    except OSError as exc:
        raise UserInputError(f"{path}: cannot be read ({exc.strerror}).") from None
    except Exception as exc:  # python-hcl2 raises lark errors of many kinds
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserInputError(
            f"{path}: not valid HCL ({first_line}); fix the syntax (`terraform validate` "
            "points at the line)."
        ) from None


def _blocks(parsed: dict, kind: str) -> list[tuple[str, dict]]:
    found = []
    for entry in parsed.get(kind, []):
        for label, body in entry.items():
            found.append((_unquote(label), body if isinstance(body, dict) else {}))
    return found


def read_module(module_dir: Path) -> ModuleInterface:
    """The variables and outputs declared by the `.tf` files of one module folder."""
    if not module_dir.is_dir():
        raise UserInputError(f"{module_dir} is not a directory: pass a Terraform module folder.")
    if not (module_dir / REQUIRED_FILE).is_file():
        raise UserInputError(
            f"{module_dir} has no {REQUIRED_FILE}: pass a Terraform module folder (one that "
            f"declares its inputs in {REQUIRED_FILE})."
        )
    variables: list[Variable] = []
    outputs: list[Output] = []
    # variables.tf and outputs.tf first, so the tables follow the files people read.
    files = sorted(module_dir.glob("*.tf"), key=lambda p: (p.name not in _FIRST, p.name))
    for path in files:
        parsed = _parse(path)
        for name, body in _blocks(parsed, "variable"):
            raw_type = body.get("type")
            variables.append(
                Variable(
                    name=name,
                    description=_unquote(str(body.get("description", '""'))),
                    type=_unwrap(str(raw_type)) if raw_type is not None else "any",
                    default=render_value(body["default"]) if "default" in body else None,
                    sensitive=body.get("sensitive") is True,
                )
            )
        for name, body in _blocks(parsed, "output"):
            outputs.append(
                Output(
                    name=name,
                    description=_unquote(str(body.get("description", '""'))),
                    sensitive=body.get("sensitive") is True,
                )
            )
    return ModuleInterface(variables=tuple(variables), outputs=tuple(outputs))


def _cell_text(text: str) -> str:
    """Prose for a markdown table cell: one line, pipes escaped."""
    lines = [line.strip() for line in text.strip().splitlines()]
    return "<br>".join(line for line in lines if line).replace("|", "\\|")


def _cell_code(text: str) -> str:
    """Code for a markdown table cell: a code span that survives backticks and pipes."""
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"


def render_tables(interface: ModuleInterface) -> str:
    """The markdown that goes between the markers: an inputs table and an outputs table."""
    lines = ["## Inputs", ""]
    if interface.variables:
        lines += [
            "| Name | Description | Type | Default | Required |",
            "|------|-------------|------|---------|:--------:|",
        ]
        for var in interface.variables:
            description = _cell_text(var.description) or "(no description)"
            if var.sensitive:
                description += " (sensitive)"
            default = "n/a" if var.default is None else _cell_code(var.default)
            lines.append(
                f"| {_cell_code(var.name)} | {description} | {_cell_code(var.type)} "
                f"| {default} | {'yes' if var.required else 'no'} |"
            )
    else:
        lines.append("No inputs.")
    lines += ["", "## Outputs", ""]
    if interface.outputs:
        lines += ["| Name | Description |", "|------|-------------|"]
        for out in interface.outputs:
            description = _cell_text(out.description) or "(no description)"
            if out.sensitive:
                description += " (sensitive)"
            lines.append(f"| {_cell_code(out.name)} | {description} |")
    else:
        lines.append("No outputs.")
    return "\n".join(lines) + "\n"


def _marker_fix(module_dir: Path) -> str:
    return (
        f"add a line {BEGIN_MARKER} and a line {END_MARKER} where the tables belong, then "
        f"run `deployer docs {module_dir}`"
    )


def splice(readme_text: str, tables: str, readme: Path, module_dir: Path) -> str:
    """The README text with the tables between the markers; prose outside them is kept."""
    begin = readme_text.find(BEGIN_MARKER)
    end = readme_text.find(END_MARKER)
    if begin < 0 or end < 0:
        raise UserInputError(f"{readme} has no generated-docs markers: {_marker_fix(module_dir)}.")
    if end < begin or readme_text.count(BEGIN_MARKER) > 1 or readme_text.count(END_MARKER) > 1:
        raise UserInputError(
            f"{readme} must hold exactly one {BEGIN_MARKER} followed by one {END_MARKER}: "
            "remove the extra or misplaced marker."
        )
    head = readme_text[: begin + len(BEGIN_MARKER)]
    tail = readme_text[end:]
    return f"{head}\n{tables}{tail}"


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def generate(module_dirs: list[Path], *, check: bool = False) -> list[DocsResult]:
    """Render every module's README tables; write the stale ones unless `check` is set.

    Every module is read and rendered before anything is written, so a bad module among
    several leaves all READMEs untouched.
    """
    if not module_dirs:
        raise UserInputError("No module folder given: pass one or more module dirs, or --all.")
    planned: list[tuple[Path, Path, str, bool]] = []
    for module_dir in module_dirs:
        interface = read_module(module_dir)
        readme = module_dir / "README.md"
        if not readme.is_file():
            raise UserInputError(
                f"{readme} does not exist: create it with the module's purpose and usage, "
                f"then {_marker_fix(module_dir)}."
            )
        current = readme.read_text(encoding="utf-8")
        wanted = splice(current, render_tables(interface), readme, module_dir)
        planned.append((module_dir, readme, wanted, current == wanted))
    results = []
    for module_dir, readme, wanted, up_to_date in planned:
        written = not check and not up_to_date
        if written:
            _write_atomically(readme, wanted)
        results.append(DocsResult(module_dir, readme, up_to_date=up_to_date, written=written))
    return results


def discover_modules(modules_root: Path) -> list[Path]:
    """Every module folder directly under `modules_root` (those holding a .tf file)."""
    if not modules_root.is_dir():
        raise UserInputError(
            f"{modules_root} does not exist: run from a project with a modules/ folder, or "
            "pass module dirs explicitly."
        )
    return sorted(d for d in modules_root.iterdir() if d.is_dir() and any(d.glob("*.tf")))


def discover_root_stack(terraform_dir: Path) -> list[Path]:
    """The project's root stack folder, documented like a module: `[terraform_dir]` when it
    declares its inputs in variables.tf, `[]` when the project has no such folder."""
    return [terraform_dir] if (terraform_dir / REQUIRED_FILE).is_file() else []
