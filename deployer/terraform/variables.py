"""The `variable` blocks a Terraform folder declares (the root stack, or a module).

Read through `deployer.config`'s HCL parser: a variable's default as a Python value is what
the tfvars checks compare with, its default as HCL source is what the module docs show.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from deployer.config import HclDocument, read_hcl

# Read first, so what is listed in declaration order follows the files people read.
FIRST_FILES = ("variables.tf", "outputs.tf")


@dataclass(frozen=True)
class Variable:
    """One `variable` block."""

    name: str
    description: str = ""
    type: str = "any"  # the type expression as written, "any" when none is declared
    default: str | None = None  # the default as HCL source, None when the variable is required
    value: object = None  # the default as a Python value (None when required, or null)
    sensitive: bool = False

    @property
    def required(self) -> bool:
        return self.default is None


def tf_files(folder: Path) -> list[Path]:
    """The folder's `.tf` files: variables.tf and outputs.tf first, then by name."""
    return sorted(folder.glob("*.tf"), key=lambda p: (p.name not in FIRST_FILES, p.name))


def _unwrap(value: str) -> str:
    """An expression without python-hcl2's `${...}` wrapper."""
    if value.startswith("${") and value.endswith("}"):
        return value[2:-1]
    return value


def render_value(value: object) -> str:
    """A value of the source form back as one line of HCL source (for the Default column)."""
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


def blocks(doc: HclDocument, kind: str) -> Iterator[tuple[str, dict, dict]]:
    """Each `kind "label" {...}` block of a file: its label, its values and its source."""
    for plain, written in zip(doc.values.get(kind, []), doc.source.get(kind, []), strict=True):
        for (label, body), source in zip(plain.items(), written.values(), strict=True):
            yield (
                label,
                body if isinstance(body, dict) else {},
                source if isinstance(source, dict) else {},
            )


def variables_in(doc: HclDocument) -> list[Variable]:
    """The variables one parsed `.tf` file declares, in its order."""
    found = []
    for name, body, source in blocks(doc, "variable"):
        raw_type = source.get("type")
        found.append(
            Variable(
                name=name,
                description=str(body.get("description", "")),
                type=_unwrap(str(raw_type)) if raw_type is not None else "any",
                default=render_value(source["default"]) if "default" in source else None,
                value=body.get("default"),
                sensitive=body.get("sensitive") is True,
            )
        )
    return found


def declared_variables(terraform_dir: Path, *, root: Path | None = None) -> dict[str, Variable]:
    """Every `variable` the folder's `.tf` files declare, by name (in `tf_files` order).

    `root`: messages show the files relative to it.
    """
    return {
        variable.name: variable
        for tf in tf_files(terraform_dir)
        for variable in variables_in(read_hcl(tf, root=root))
    }
