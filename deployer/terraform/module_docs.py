"""A Terraform module's README inputs/outputs tables, generated from its code.

The tables live between two marker lines in the module's README.md; everything outside
them is hand-written prose and is kept as it is. `terraform-docs` does the same job but is
not installable everywhere, and the tables only need what `variable` and `output` blocks say.

The variables come from `variables` (types and defaults as HCL source, from the parser's
source form: string literals keep their quotes, expressions lose python-hcl2's `${...}`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from deployer.common import UserInputError, atomic_write
from deployer.config import read_hcl
from deployer.terraform.variables import Variable, blocks, tf_files, variables_in

BEGIN_MARKER = "<!-- BEGIN_DEPLOYER_DOCS -->"
END_MARKER = "<!-- END_DEPLOYER_DOCS -->"
REQUIRED_FILE = "variables.tf"


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
    for path in tf_files(module_dir):
        parsed = read_hcl(path)
        variables += variables_in(parsed)
        for name, body, _ in blocks(parsed, "output"):
            outputs.append(
                Output(
                    name=name,
                    description=str(body.get("description", "")),
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
            atomic_write(readme, wanted)
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
