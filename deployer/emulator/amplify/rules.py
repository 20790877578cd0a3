"""Amplify's redirect and rewrite rules (an app's `customRules`), matched as Amplify does.

Rules are tried in order; the first whose source matches the request path decides:

- a source is a path (`/docs`), a path with placeholders (`/docs/<year>/<slug>`: one path
  segment each) and a `<*>` wildcard (any rest, slashes included), or a regular expression
  written `</.../>` (searched in the path, as JavaScript would; the SPA rule of
  `modules/amplify_app` is one);
- the target may reuse the placeholders and `<*>` (a regex source has none to reuse);
- status `200` rewrites (the target's content, the URL unchanged), `301`/`302` redirect,
  `404` answers the target's content with 404 and `404-200` with 200, both only when the
  requested path is no file of the site (a custom not-found page, or a fallback).

A rule with a `condition` (a country, `<US>`) never matches here: a request to the
emulator comes from no country.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_*]+)>")
REWRITE, NOT_FOUND, NOT_FOUND_200 = "200", "404", "404-200"
REDIRECTS = {"301", "302"}


@dataclass(frozen=True)
class Outcome:
    """What a rule decided: the status it gives and where (a path or a URL)."""

    status: str  # "200", "301", "302", "404" or "404-200"
    target: str

    @property
    def redirect(self) -> bool:
        return self.status in REDIRECTS


def apply(
    rules: Iterable[Mapping[str, str]], path: str, exists: Callable[[str], bool]
) -> Outcome | None:
    """The first rule that applies to `path` (None: serve the path as it is).

    `exists(path)` says whether the site has a file there: the not-found rules need it."""
    for rule in rules:
        if rule.get("condition"):
            continue
        status = str(rule.get("status") or REWRITE)
        target = match(str(rule.get("source", "")), str(rule.get("target", "")), path)
        if target is None:
            continue
        if status in (NOT_FOUND, NOT_FOUND_200) and exists(path):
            continue
        return Outcome(status, target)
    return None


def match(source: str, target: str, path: str) -> str | None:
    """The target for `path` when `source` matches it, its placeholders filled in."""
    if source.startswith("</") and source.endswith("/>") and len(source) > 4:
        try:
            found = re.search(source[2:-2], path)
        except re.error:
            return None
        return target if found else None
    pattern = _source_pattern(_trim(source))
    found = pattern.fullmatch(_trim(path))
    if found is None:
        return None
    values = {_unslot(k): v for k, v in found.groupdict().items()}

    def fill(m: re.Match) -> str:
        return values.get(m.group(1), m.group(0))

    return _PLACEHOLDER.sub(fill, target)


def _trim(path: str) -> str:
    """Amplify matches `/docs` and `/docs/` alike."""
    return path.rstrip("/") or "/"


def _source_pattern(source: str) -> re.Pattern:
    parts, last = [], 0
    for m in _PLACEHOLDER.finditer(source):
        parts.append(re.escape(source[last : m.start()]))
        name = m.group(1)
        if name == "*":
            parts.append("(?P<_star_>.*)")
        else:
            parts.append(f"(?P<{_slot(name)}>[^/]+)")
        last = m.end()
    parts.append(re.escape(source[last:]))
    return re.compile("".join(parts))


def _slot(name: str) -> str:
    return f"p_{name}"


def _unslot(group: str) -> str:
    return "*" if group == "_star_" else group[2:]
