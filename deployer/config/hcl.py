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

Every failure is a `UserInputError` that names the file (and the line, for a syntax error).
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass
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


@dataclass(frozen=True)
class HclDocument:
    """One parsed HCL file, in both forms (see the module docstring)."""

    values: dict
    source: dict


class HclSyntaxError(UserInputError):
    """A file that is not valid HCL: the message names the file and, when known, the line."""

    def __init__(self, shown: str, line: int | None, reason: str) -> None:
        self.shown = shown
        self.line = line
        self.reason = reason  # the parser's own first line
        where = f"{shown}:{line}" if line else shown
        super().__init__(
            f"{where}: not valid HCL ({reason}); fix the syntax (`terraform fmt` shows where)."
        )


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
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserInputError(f"{shown}: cannot be read ({exc.strerror}).") from None
    except UnicodeDecodeError as exc:
        raise HclSyntaxError(shown, None, f"not UTF-8 text: {exc.reason}") from None
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
    return copy.deepcopy(cached)


def _parse(text: str, *, shown: str) -> HclDocument:
    # Imported here, not at the top: python-hcl2 (and lark) take a while to import, and
    # most commands never parse HCL (`deployer package`, `deployer invoke`).
    import hcl2
    from hcl2 import SerializationOptions

    options = SerializationOptions(
        with_comments=False, explicit_blocks=False, preserve_heredocs=False
    )
    try:
        with _PARSE_LOCK:
            source = hcl2.loads(text, serialization_options=options)
    except Exception as exc:  # lark raises several unrelated types for bad syntax
        line = getattr(exc, "line", None)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        line = line if isinstance(line, int) and line > 0 else None
        raise HclSyntaxError(shown, line, first) from None
    return HclDocument(values=_values(source), source=source)


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
