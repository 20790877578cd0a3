"""HCL files (tfvars, backend files, Terraform code) as Python data: the one parser.

python-hcl2 8.x hands a file back in its source form, and the values are made from that
in one place (`_values`, which unquotes every string literal once):

- `source`: what the file says. String literals keep their quotes and escapes as written
  (`'"python3.12"'`; a heredoc as a quoted string), block labels and quoted keys keep
  their quotes, expressions and types come wrapped as `"${...}"`: the form to render HCL
  back from (the module docs tables).
- `values`: what the file means. String literals are their value (quotes gone, escapes
  resolved, a heredoc its body), labels and keys plain names; expressions stay `"${...}"`.
  What checks and settings read.

(python-hcl2's own `strip_string_quotes` is not used: it leaves the quotes of an indented
`<<-` heredoc escaped.) Numbers, bools and null are Python values in both.

From the same parse tree the document also says where things are: the line of every
attribute and object key (`lines`, for messages), object keys given twice (`duplicates`:
Terraform keeps the last one without a word), and the spans of the top-level items and of
every reference (`body`, `references`: what a generated copy of Terraform code is cut from).

Every failure is a `UserInputError` that names the file (and the line, when known): bad
syntax, text that is not UTF-8, an attribute set twice in one body, nesting too deep.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deployer.common import UserInputError

# python-hcl2's parser keeps state between calls (its lexer is shared): parsing from
# several threads at once (plan of several environments) returns garbage without this lock.
_PARSE_LOCK = threading.Lock()
# Parsed documents by text (see parse_hcl); a few hundred small files at most.
_CACHE: OrderedDict[str, HclDocument] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 256
# Nodes that extend a traversal (`a.b`, `a[0]`, `a.*`, `a[*]`) in python-hcl2's grammar.
_POSTFIX = frozenset(
    {"get_attr_expr_term", "index_expr_term", "attr_splat_expr_term", "full_splat_expr_term"}
)

KeyPath = tuple[str | int, ...]  # attribute names and object keys, list positions as ints


@dataclass(frozen=True)
class HclItem:
    """An attribute or block of a body, and where it lies: `start`/`end` are offsets into
    the text; a block's `open` is the offset of its `{` (its header is `text[start:open]`)."""

    kind: str  # "attribute" or "block"
    name: str  # the attribute name or the block type
    line: int
    start: int
    end: int
    labels: tuple[str, ...] = ()
    open: int = 0
    children: tuple[HclItem, ...] = ()


@dataclass(frozen=True)
class HclReference:
    """A reference (`module.api.api_id`, `var.x[0]`): its leading names up to the first index
    or splat (`("module", "api", "api_id")`), and the offsets of the whole traversal."""

    parts: tuple[str, ...]
    start: int
    end: int


@dataclass(frozen=True)
class HclDocument:
    """One parsed HCL file, in both forms (see the module docstring), and its positions."""

    values: dict
    source: dict
    lines: Mapping[KeyPath, int] = field(default_factory=dict)
    duplicates: tuple[tuple[KeyPath, int, int], ...] = ()  # (key path, line, first line)
    body: tuple[HclItem, ...] = ()
    references: tuple[HclReference, ...] = ()


class HclSyntaxError(UserInputError):
    """A file that cannot be read as HCL: the message names the file and, when known, the line.

    `fix` replaces the usual advice (fix the syntax) when the problem is not one of syntax.
    """

    def __init__(self, shown: str, line: int | None, reason: str, *, fix: str = "") -> None:
        self.shown = shown
        self.line = line
        self.reason = reason  # the parser's own first line, or what is wrong
        where = f"{shown}:{line}" if line else shown
        what = reason if fix else f"not valid HCL ({reason})"
        fix = fix or "fix the syntax (`terraform fmt` shows where)"
        super().__init__(f"{where}: {what}; {fix}.")


def shown_path(path: Path, root: Path | None) -> str:
    """`path` as messages show it: relative to `root` when it lies below it."""
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


def read_hcl(path: Path, *, root: Path | None = None) -> HclDocument:
    """Read and parse an HCL file; messages show it relative to `root` (when given)."""
    shown = shown_path(path, root)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserInputError(f"{shown}: cannot be read ({exc.strerror}).") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise HclSyntaxError(
            shown,
            line,
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at column {column})",
            fix="save the file as UTF-8",
        ) from None
    return parse_hcl(text, shown=shown)


def parse_hcl(text: str, *, shown: str) -> HclDocument:
    """Parse HCL text; `shown` names its file in the error message.

    Each distinct text is parsed once per process: one `plan` reads the same dozen files
    for the tfvars checks, the init fingerprint and the variables, and python-hcl2 costs
    milliseconds per file. Keyed by the text itself, a cached answer can never be stale
    (an edited file is a new key). Callers get their own copy to change as they like.
    """
    with _CACHE_LOCK:
        cached = _CACHE.get(text)
        if cached is not None:
            _CACHE.move_to_end(text)
    if cached is None:
        cached = _parse(text, shown=shown)
        with _CACHE_LOCK:
            _CACHE[text] = cached
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    try:
        values, source = copy.deepcopy((cached.values, cached.source))
    except RecursionError:
        raise _too_deep(shown) from None
    # The positions are immutable: only the two dict forms need copies.
    return HclDocument(
        values=values,
        source=source,
        lines=cached.lines,
        duplicates=cached.duplicates,
        body=cached.body,
        references=cached.references,
    )


def _parse(text: str, *, shown: str) -> HclDocument:
    # Imported here, not at the top: python-hcl2 (and lark) take a while to import, and
    # most commands never parse HCL (`deployer package`, `deployer invoke`).
    import hcl2
    from hcl2 import SerializationOptions

    options = SerializationOptions(
        with_comments=False, explicit_blocks=False, preserve_heredocs=False
    )
    text = text.removeprefix("\ufeff")  # a byte order mark, which Terraform skips too
    try:
        with _PARSE_LOCK:
            tree = hcl2.parses_to_tree(text)
            # Before python-hcl2's own transform, which refuses some doubled attributes
            # without saying where.
            body, lines, duplicates, references = _positions(tree, shown)
            source = hcl2.serialize(hcl2.transform(tree), serialization_options=options)
        return HclDocument(_values(source), source, lines, duplicates, body, references)
    except UserInputError:
        raise
    except Exception as exc:  # lark raises several unrelated types for bad syntax
        if RecursionError in (type(exc), type(getattr(exc, "orig_exc", None))):
            raise _too_deep(shown) from None
        line = getattr(exc, "line", None)
        line = line if isinstance(line, int) and line > 0 else None
        raise HclSyntaxError(shown, line, _reason(exc)) from None


def _reason(exc: Exception) -> str:
    """What lark found wrong, in a few words (its own message can quote half the file)."""
    token, column = getattr(exc, "token", None), getattr(exc, "column", "?")
    if token is not None:
        what = (
            "end of file" if token.type == "$END" else repr(str(token).strip()[:20] or str(token))
        )
        return f"unexpected {what} at column {column}"
    if getattr(exc, "char", None) is not None:
        return f"unexpected character {exc.char!r} at column {column}"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return first[:120]


def _too_deep(shown: str) -> HclSyntaxError:
    return HclSyntaxError(
        shown, None, "its values are nested too deeply to read", fix="flatten them"
    )


# --- positions, from python-hcl2's (lark's) parse tree ---------------------------------------


def _is(node: object, name: str) -> bool:
    return getattr(node, "data", None) == name


def _trees(node) -> list:
    return [c for c in node.children if hasattr(c, "data")]


def _name(node) -> str:
    """The text of an identifier, keyword or literal name, or of a plain string's parts."""
    if hasattr(node, "data"):
        if _is(node, "string"):
            return "".join(str(part.children[0]) for part in _trees(node))
        return "".join(_name(child) for child in node.children)
    return str(node)


def _key(elem) -> str | None:
    """An object key's name (`a`, `"a b"`), None for a computed one (`(var.k)`, `"${x}"`)."""
    [key] = elem.children[0].children
    if not _is(key, "expr_term"):
        return _name(key)  # a keyword used as a key: `in = 1`
    if len(key.children) != 1 or not hasattr(key.children[0], "data"):
        return None
    inner = key.children[0]
    if _is(inner, "identifier"):
        return _name(inner)
    if _is(inner, "string") and all(not hasattr(p.children[0], "data") for p in _trees(inner)):
        return _name(inner)
    return None


def _items(body, shown: str, lines: dict, top: bool) -> tuple[HclItem, ...]:
    """The attributes and blocks of a body; an attribute set twice is an error."""
    items, seen = [], {}
    for node in _trees(body):
        if _is(node, "attribute"):
            name, line = _name(node.children[0]), node.meta.line
            if name in seen:
                raise HclSyntaxError(
                    shown,
                    line,
                    f"{name} is set twice (first on line {seen[name]})",
                    fix="remove one of them: each attribute may be set once",
                )
            seen[name] = line
            if top:
                lines[(name,)] = line
            items.append(HclItem("attribute", name, line, node.meta.start_pos, node.meta.end_pos))
        elif _is(node, "block"):
            head = [c for c in _trees(node) if c.data not in ("body", "new_line_or_comment")]
            inner = next(c for c in node.children if _is(c, "body"))
            brace = next(c for c in node.children if getattr(c, "type", "") == "LBRACE")
            items.append(
                HclItem(
                    "block",
                    _name(head[0]),
                    node.meta.line,
                    node.meta.start_pos,
                    node.meta.end_pos,
                    labels=tuple(_name(label) for label in head[1:]),
                    open=brace.start_pos,
                    children=_items(inner, shown, lines, False),
                )
            )
    return tuple(items)


def _value_lines(body, lines: dict, duplicates: list) -> None:
    """The line of every object key and list element under the top-level attributes."""
    stack = [
        (node.children[-1], (_name(node.children[0]),))
        for node in _trees(body)
        if _is(node, "attribute")
    ]
    while stack:
        node, path = stack.pop()
        while _is(node, "expr_term") and len(node.children) == 1:
            if not hasattr(node.children[0], "data"):
                break
            node = node.children[0]
        if _is(node, "object"):
            first: dict[str, int] = {}
            for elem in _trees(node):
                if not _is(elem, "object_elem"):
                    continue
                key = _key(elem)
                if key is None:
                    continue
                line = elem.meta.line
                if key in first:
                    duplicates.append(((*path, key), line, first[key]))
                first.setdefault(key, line)
                lines[(*path, key)] = line
                stack.append((elem.children[-1], (*path, key)))
        elif _is(node, "tuple"):
            elements = [e for e in _trees(node) if not _is(e, "new_line_or_comment")]
            for index, element in enumerate(elements):
                lines[(*path, index)] = element.meta.line
                stack.append((element, (*path, index)))


def _chain(node) -> tuple[str, ...] | None:
    """The leading names of the traversal `node` is, None if it is not one."""
    names: list[str] = []
    while True:
        if _is(node, "expr_term"):
            inner = node.children[0] if len(node.children) == 1 else None
            if inner is None or not hasattr(inner, "data"):
                return None
            if _is(inner, "identifier"):
                return (_name(inner), *reversed(names))
            node = inner
        elif getattr(node, "data", None) in _POSTFIX:
            base, step = node.children[0], node.children[1]
            if _is(step, "get_attr"):
                names.append(_name(step.children[1]))
            else:
                names.clear()  # an index or splat: only the names before it count
            node = base
        else:
            return None


def _references(tree) -> tuple[HclReference, ...]:
    """Every maximal traversal with its leading names (keys of objects are not references)."""
    found, stack = [], [(tree, False)]
    while stack:
        node, inside = stack.pop()
        if not hasattr(node, "data"):
            continue
        if not inside and (_is(node, "expr_term") or node.data in _POSTFIX):
            parts = _chain(node)
            if parts is not None:
                found.append(HclReference(parts, node.meta.start_pos, node.meta.end_pos))
                inside = True
        if _is(node, "object_elem_key"):
            continue
        for child in node.children:
            # Index expressions inside a traversal hold references of their own.
            fresh = _is(node, "braces_index") or not inside
            stack.append((child, inside and not fresh))
    return tuple(sorted(found, key=lambda r: (r.start, -r.end)))


def _positions(tree, shown: str):
    body = tree.children[0]
    lines: dict[KeyPath, int] = {}
    duplicates: list = []
    items = _items(body, shown, lines, True)
    _value_lines(body, lines, duplicates)
    return items, lines, tuple(duplicates), _references(tree)


# --- the values form ---------------------------------------------------------------------------


def _unquote(text: str) -> str:
    """The value of a string literal in source form; an expression or bare name as it is."""
    from hcl2.utils import process_escape_sequences  # loaded by the parse already

    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        return process_escape_sequences(text[1:-1])
    return text


def _values(source: object) -> Any:
    """The source form with every string literal (value, label or key) unquoted."""
    if isinstance(source, str):
        return _unquote(source)
    if isinstance(source, dict):
        return {_unquote(k) if isinstance(k, str) else k: _values(v) for k, v in source.items()}
    if isinstance(source, list):
        return [_values(v) for v in source]
    return source
