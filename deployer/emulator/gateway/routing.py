"""Which route of an HTTP API serves a request, with API Gateway's precedence.

For HTTP APIs, AWS matches in this order: a route whose method and whole path match
(literal segments before path variables, a method before `ANY`); then the route with the
longest greedy path (`/{proxy+}`) that matches; then `$default`. No match: 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Match:
    route: Any  # moto's Route
    path_parameters: dict[str, str]


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s != ""] if path != "/" else []


def _match_path(template: str, path: str) -> tuple[dict[str, str], int, int] | None:
    """(parameters, literal segments, greedy prefix length) or None when it does not match."""
    want, have = _segments(template), _segments(path)
    params: dict[str, str] = {}
    literals = 0
    for index, part in enumerate(want):
        if part.startswith("{") and part.endswith("+}"):
            if index != len(want) - 1 or index >= len(have):
                return None  # a greedy variable matches one segment or more
            params[part[1:-2]] = "/".join(have[index:])
            return params, literals, index + 1
        if index >= len(have):
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = have[index]
        elif part == have[index]:
            literals += 1
        else:
            return None
    if len(want) != len(have):
        return None
    return params, literals, 0


def match_route(routes: list[Any], method: str, path: str) -> Match | None:
    """The route of `routes` (moto Route objects) that API Gateway picks, or None."""
    best: tuple[tuple, Match] | None = None
    default: Any = None
    for route in routes:
        key = route.route_key
        if key == "$default":
            default = route
            continue
        route_method, _, template = key.partition(" ")
        if route_method not in (method, "ANY"):
            continue
        found = _match_path(template, path)
        if found is None:
            continue
        params, literals, greedy = found
        # Lower sorts first: full matches before greedy ones, then the most literal or the
        # longest greedy prefix, then a method before ANY.
        rank = (
            1 if greedy else 0,
            -greedy,
            -literals,
            1 if route_method == "ANY" else 0,
        )
        if best is None or rank < best[0]:
            best = (rank, Match(route, params))
    if best is not None:
        return best[1]
    if default is not None:
        return Match(default, {})
    return None
