"""Checking that a handler `module.function` exists, by parsing the source (never importing it)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

# Folders that never reach a package (see deployer/packaging/archive.py), so a handler there
# would be missing at run time.
UNPACKAGED_PARTS = frozenset({"tests", "__pycache__"})


def _module_file(parts: list[str], roots: list[Path]) -> Path | None:
    for root in roots:
        base = root.joinpath(*parts)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def _bound_names(statements: list[ast.stmt]) -> Iterator[str]:
    """Names a module binds at import time, looking inside top-level if/try/with blocks."""
    for node in statements:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                yield from (n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.AnnAssign | ast.AugAssign) and isinstance(node.target, ast.Name):
            yield node.target.id
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                yield alias.asname or alias.name.split(".")[0]
        elif isinstance(node, ast.If | ast.Try | ast.With | ast.For | ast.While):
            for body in ("body", "orelse", "finalbody"):
                yield from _bound_names(getattr(node, body, []))
            for handler in getattr(node, "handlers", []):
                yield from _bound_names(handler.body)


def find_handler_problem(handler: str, folder: Path, shared: Path) -> str | None:
    """None if `handler` names a function defined in the folder (or `_shared/`), else the fix."""
    *parts, function = handler.split(".")
    rel_module = "/".join(parts)
    if UNPACKAGED_PARTS.intersection(parts):
        return (
            f"the module {'.'.join(parts)} lies in a folder that is never packaged "
            "(tests/, __pycache__/); move the handler out of it."
        )
    module_file = _module_file(parts, [folder, shared])
    if module_file is None:
        return (
            f"no module {rel_module}.py (or {rel_module}/__init__.py) in {folder.name}/ or "
            f"_shared/; create it or fix the module part of the handler."
        )
    shown = module_file.relative_to(folder.parent).as_posix()
    try:
        tree = ast.parse(module_file.read_bytes(), filename=str(module_file))
    except SyntaxError as exc:
        return f"{shown} does not parse (line {exc.lineno}: {exc.msg}); fix the syntax error."
    except ValueError as exc:  # null bytes and the like
        return f"{shown} is not Python source ({exc}); fix the file."
    names = set(_bound_names(tree.body))
    if any(isinstance(n, ast.ImportFrom) and n.names[0].name == "*" for n in tree.body):
        return None  # a star import may bring the function in; only importing would tell
    if any(isinstance(n, ast.AsyncFunctionDef) and n.name == function for n in tree.body):
        return (
            f"{shown} defines {function!r} with async def, which Lambda's Python runtime never "
            "awaits; make it a plain def that calls asyncio.run(...)."
        )
    if function not in names:
        return (
            f"{shown} defines no top-level {function!r}; add "
            f"`def {function}(event, context):` or fix the function part of the handler."
        )
    return None
