"""Terraform type constraints (a variable's `type`) and the tfvars values given to them.

Terraform converts each tfvars value to its variable's type at plan time and refuses one it
cannot convert, naming the variable but rarely the attribute ("a number is required").
These checks follow Terraform's conversions (a number or bool is a fine string, "7" a fine
number, "true" and "1" fine bools, null fits every type) and name the attribute and its
line instead. They go one step further than Terraform: an attribute an object type does
not declare is dropped by Terraform without a word (a misspelt `deletion_protecton` would
simply have no effect), so here it is an error with a did-you-mean.

A type expression this parser does not understand counts as `any`: it never rejects a
value Terraform would take. Expressions in a tfvars file (`"${...}"`) are left to Terraform.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from deployer.common import did_you_mean

_TOKEN = re.compile(
    r'\s+|#[^\n]*|//[^\n]*|(?P<str>"(?:[^"\\]|\\.)*")|(?P<name>[A-Za-z_][\w-]*)'
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|(?P<p>.)",
    re.DOTALL,
)
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_BOOL_STRINGS = ("true", "false", "1", "0")
_KEY = re.compile(r"[A-Za-z_][\w-]*")
_QUOTED = '"..."'


@dataclass(frozen=True)
class Attribute:
    """One attribute of an object type."""

    type: TypeSpec
    optional: bool = False
    default: str | None = None  # the default as written, for the example in a message


@dataclass(frozen=True)
class TypeSpec:
    """A parsed type constraint: a primitive, `any`, a collection, an object or a tuple."""

    kind: str  # string number bool any list set map object tuple
    element: TypeSpec | None = None  # list, set, map
    attributes: Mapping[str, Attribute] = field(default_factory=dict)  # object
    elements: tuple[TypeSpec, ...] = ()  # tuple


ANY = TypeSpec("any")
_PRIMITIVES = ("string", "number", "bool", "any")
_COLLECTIONS = ("list", "set", "map")


class _Unparsable(Exception):
    pass


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = [
            m.group(0) for m in _TOKEN.finditer(text) if m.lastgroup in ("str", "name", "num", "p")
        ]
        self.at = 0

    def peek(self) -> str:
        return self.tokens[self.at] if self.at < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if not token or (expected is not None and token != expected):
            raise _Unparsable
        self.at += 1
        return token

    def type(self) -> TypeSpec:
        name = self.take()
        if name in _PRIMITIVES:
            return ANY if name == "any" else TypeSpec(name)
        self.take("(")
        if name in _COLLECTIONS:
            spec = TypeSpec(name, element=self.type())
        elif name == "object":
            spec = TypeSpec("object", attributes=self.attributes())
        elif name == "tuple":
            self.take("[")
            elements = []
            while self.peek() != "]":
                elements.append(self.type())
                if self.peek() == ",":
                    self.take()
            self.take("]")
            spec = TypeSpec("tuple", elements=tuple(elements))
        else:
            raise _Unparsable
        self.take(")")
        return spec

    def attributes(self) -> dict[str, Attribute]:
        self.take("{")
        found: dict[str, Attribute] = {}
        while self.peek() != "}":
            name = self.take().strip('"')
            self.take("=")
            if self.peek() == "optional":
                self.take()
                self.take("(")
                spec, default = self.type(), None
                if self.peek() == ",":
                    self.take()
                    default = self.expression()
                self.take(")")
                found[name] = Attribute(spec, optional=True, default=default)
            else:
                found[name] = Attribute(self.type())
            if self.peek() == ",":
                self.take()
        self.take("}")
        return found

    def expression(self) -> str:
        """An optional attribute's default: everything up to its closing parenthesis."""
        depth, parts = 0, []
        while depth or self.peek() not in (")", ""):
            token = self.take()
            if token in ("(", "[", "{"):
                depth += 1
            elif token in (")", "]", "}"):
                depth -= 1
            parts.append(token)
        return " ".join(parts)


def parse_type(text: str) -> TypeSpec:
    """The type constraint written as `text` (a variable's `type`); `any` when unclear."""
    parser = _Parser(text)
    try:
        spec = parser.type()
    except (_Unparsable, RecursionError):
        return ANY
    return spec if parser.at == len(parser.tokens) else ANY


# --- values against types ----------------------------------------------------------------


def field_name(path: tuple) -> str:
    """`("tables", "items", "attributes", 0, "type")` as `tables.items.attributes[0].type`."""
    shown = ""
    for part in path:
        if isinstance(part, int):
            shown += f"[{part}]"
        elif _KEY.fullmatch(part):
            shown += f".{part}" if shown else part
        else:
            shown += f"[{json.dumps(part)}]"
    return shown


def show_value(value: object) -> str:
    """A value as tfvars would write it, cut short."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[...]" if value else "[]"
    if isinstance(value, dict):
        return "{...}" if value else "{}"
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _describe(spec: TypeSpec) -> str:
    return {
        "string": "a string",
        "number": "a number",
        "bool": "a bool (true or false)",
        "list": "a list",
        "set": "a list (a set)",
        "map": "a map",
        "object": "an object",
        "tuple": "a list (a tuple)",
    }[spec.kind]


def _example(spec: TypeSpec, name: str, default: str | None) -> str:
    if spec.kind == "string":
        return f"write it in quotes, e.g. {name} = {default or _QUOTED}"
    if spec.kind == "number":
        return f"write a number without quotes, e.g. {name} = {default or 1}"
    if spec.kind == "bool":
        return f"write true or false without quotes, e.g. {name} = {default or 'true'}"
    if spec.kind in ("list", "set", "tuple"):
        return f"write a list in brackets, e.g. {name} = [...]"
    if spec.kind == "object" and spec.attributes:
        return (
            f"write an object in braces, e.g. {name} = {{ {next(iter(spec.attributes))} = ... }} "
            f"(attributes: {', '.join(spec.attributes)})"
        )
    return f"write a map in braces, e.g. {name} = {{ key = ... }}"


def _fits(value: object, kind: str) -> bool:
    if kind == "string":
        return not isinstance(value, list | dict)
    if kind == "number":
        if isinstance(value, str):
            return bool(_NUMBER.fullmatch(value))
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool) or value in _BOOL_STRINGS
    if kind in ("list", "set", "tuple"):
        return isinstance(value, list)
    return isinstance(value, dict)  # map, object


def type_problems(
    value: object,
    spec: TypeSpec,
    path: tuple,
    *,
    hidden: bool = False,
    default: str | None = None,
) -> Iterator[tuple[tuple, str]]:
    """Each way `value` does not fit `spec`, as (path of the offending part, sentence).

    The sentence starts with the field's name; `hidden`: never show the value itself.
    """
    if value is None or spec.kind == "any" or (isinstance(value, str) and "${" in value):
        return
    name = field_name(path)
    if not _fits(value, spec.kind):
        shown = "" if hidden else f" = {show_value(value)}"
        last = next((p for p in reversed(path) if isinstance(p, str)), name)
        yield (
            path,
            f"{name}{shown} is not {_describe(spec)}; {_example(spec, last, default)}.",
        )
        return
    if spec.kind in ("list", "set"):
        for index, item in enumerate(value):
            yield from type_problems(item, spec.element, (*path, index), hidden=hidden)
    elif spec.kind == "tuple":
        if len(value) != len(spec.elements):
            yield (
                path,
                f"{name} has {len(value)} elements but its type has {len(spec.elements)}; "
                "give one value per element.",
            )
            return
        for index, (item, element) in enumerate(zip(value, spec.elements, strict=True)):
            yield from type_problems(item, element, (*path, index), hidden=hidden)
    elif spec.kind == "map":
        for key, item in value.items():
            yield from type_problems(item, spec.element, (*path, key), hidden=hidden)
    elif spec.kind == "object":
        yield from _object_problems(value, spec, path, hidden=hidden)


def _object_problems(
    value: dict, spec: TypeSpec, path: tuple, *, hidden: bool
) -> Iterator[tuple[tuple, str]]:
    name = field_name(path)
    known = list(spec.attributes)
    for key, item in value.items():
        attribute = spec.attributes.get(key)
        if attribute is None:
            hint = did_you_mean(key, known)
            fix = "fix its name" if hint else "remove it"
            yield (
                (*path, key),
                f"{field_name((*path, key))} is not an attribute of {name}{hint}: Terraform "
                f"drops attributes its type does not declare without a word, so it would "
                f"have no effect; {fix} (attributes: {', '.join(known) or 'none'}).",
            )
            continue
        yield from type_problems(
            item, attribute.type, (*path, key), hidden=hidden, default=attribute.default
        )
    for key, attribute in spec.attributes.items():
        if not attribute.optional and key not in value:
            yield (
                path,
                f"{name} has no {key}, which its type requires (it has no default); "
                f"add {key} = ... to it.",
            )
