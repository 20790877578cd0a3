"""lambda_src/health: public, dependency-free, always 200."""

from __future__ import annotations

import ast
import json
import sys
import tomllib

from helpers.lambda_harness import LAMBDA_SRC, http_event

FOLDER = LAMBDA_SRC / "health"


def test_health_answers_200_ok_json(load_function, lambda_context):
    response = load_function("health").handler(http_event("GET", "/health"), lambda_context)
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["headers"]["Cache-Control"] == "no-store"
    assert json.loads(response["body"]) == {"status": "ok"}


def test_health_is_public_and_needs_no_third_party_package():
    manifest = tomllib.loads((FOLDER / "function.toml").read_text(encoding="utf-8"))
    assert manifest["routes"] == [{"route": "GET /health", "auth": "none"}]
    assert not (FOLDER / "requirements.txt").exists()
    tree = ast.parse((FOLDER / "handler.py").read_text(encoding="utf-8"))
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
