"""API Gateway route keys in function.toml (deployer.functions.routes): valid forms,
the problems named, and which keys conflict."""

from __future__ import annotations

import pytest

from deployer.functions.routes import parse_route_key, route_conflict_key


@pytest.mark.parametrize(
    "route_key",
    [
        "$default",
        "GET /",
        "GET /items/{id}",
        "ANY /{proxy+}",
        "DELETE /a/{b}/c/{rest+}",
        "OPTIONS /v1.0/files~x",
        "PATCH /items/{item_id}/tags",
        "HEAD /x:y",
    ],
)
def test_valid_route_keys(route_key) -> None:
    assert parse_route_key(route_key) is None


@pytest.mark.parametrize(
    ("route_key", "expected"),
    [
        ("/items", 'is not "METHOD /path"'),
        ("GET  /items", 'is not "METHOD /path"'),
        ("get /items", "write GET /items"),
        ("FETCH /items", "use one of GET, POST"),
        ("GET items", "does not start with /"),
        ("GET /items/", "trailing slash"),
        ("GET /a//b", "empty path segment"),
        ("GET /{rest+}/x", "must be the last segment"),
        ("GET /items/{id}.json", "must be a whole segment"),
        ("GET /{a}/{a}", "twice"),
        ("GET /items/{}", "must be a whole segment"),
        ("GET /it ems", 'is not "METHOD /path"'),
        ("GET /ité", "characters API Gateway does not accept"),
        ("default", 'is not "METHOD /path"'),
    ],
)
def test_invalid_route_keys(route_key, expected) -> None:
    problem = parse_route_key(route_key)
    assert problem is not None and expected in problem


def test_route_conflict_key_ignores_parameter_names_only() -> None:
    assert route_conflict_key("GET /a/{x}") == route_conflict_key("GET /a/{y}")
    assert route_conflict_key("GET /a/{x}") != route_conflict_key("GET /a/{x+}")
    assert route_conflict_key("GET /a/{x}") != route_conflict_key("PUT /a/{x}")
