"""API Gateway v2 route keys (`GET /items/{id}`, `ANY /{proxy+}`, `$default`): syntax rules."""

from __future__ import annotations

import re

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
DEFAULT_ROUTE = "$default"
LITERAL_SEGMENT_RE = re.compile(r"[A-Za-z0-9._~:@!$&'()*,;=-]+")
PARAMETER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(\+?)\}")
EXAMPLE = 'e.g. "GET /items/{id}", "ANY /{proxy+}" or "$default"'


def _path_problem(path: str) -> str | None:
    if not path.startswith("/"):
        return f"has a path that does not start with /; write it as /{path}."
    if path == "/":
        return None
    if path.endswith("/"):
        return f"has a trailing slash; write {path.rstrip('/')!r}."
    segments = path[1:].split("/")
    seen: set[str] = set()
    for position, segment in enumerate(segments):
        if not segment:
            return "has an empty path segment (//); remove the extra slash."
        param = PARAMETER_RE.fullmatch(segment)
        if param:
            name, greedy = param.groups()
            if name in seen:
                return f"uses the path parameter {{{name}}} twice; give each a distinct name."
            seen.add(name)
            if greedy and position != len(segments) - 1:
                return (
                    f"has the greedy parameter {{{name}+}} before the end; a greedy parameter "
                    "must be the last segment, e.g. /files/{path+}."
                )
            continue
        if "{" in segment or "}" in segment:
            return (
                f"has the segment {segment!r}: a path parameter must be a whole segment, "
                "{name} or {name+} with name made of letters, digits and _."
            )
        if not LITERAL_SEGMENT_RE.fullmatch(segment):
            return (
                f"has the segment {segment!r} with characters API Gateway does not accept in "
                "a path; use letters, digits and . _ ~ - :"
            )
    return None


def parse_route_key(route_key: str) -> str | None:
    """None for a valid route key, else why it is not one and the fix (one sentence)."""
    if route_key == DEFAULT_ROUTE:
        return None
    method, sep, path = route_key.partition(" ")
    if not sep or " " in path or not path:
        return f'is not "METHOD /path" with a single space, {EXAMPLE}.'
    if method not in METHODS:
        if method.upper() in METHODS:
            return f"has the method in lower case; write {method.upper()} {path}."
        return f"has the method {method!r}; use one of {', '.join(METHODS)}."
    return _path_problem(path)


def route_conflict_key(route_key: str) -> str:
    """Routes with the same method and shape (parameter names aside) match the same requests."""
    if route_key == DEFAULT_ROUTE:
        return route_key
    method, _, path = route_key.partition(" ")
    shape = PARAMETER_RE.sub(lambda m: "{" + m.group(2) + "}", path)
    return f"{method} {shape}"
