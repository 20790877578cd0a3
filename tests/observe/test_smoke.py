"""`deployer smoke`'s checks against a real HTTP server started here (standing in for the
deployed API): the health route found in the manifests, retries until the expected status,
failures that name the request, both statuses and the body, and where tokens come from."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from helpers.emulator import make_project

from deployer.common import DeployerError
from deployer.config import Project, SmokeCheck, find_project
from deployer.observe import SmokeReport, health_check, project_checks, run_check, run_smoke

FAST = 0.01  # seconds between attempts: the tests count attempts, never time them


class FakeApi:
    """An HTTP server answering each path from a script of statuses (the last repeats),
    and recording every request's method, path and Authorization header."""

    def __init__(self) -> None:
        self.script: dict[str, list[int]] = {}
        self.bodies: dict[str, str] = {}
        self.requests: list[tuple[str, str, str | None]] = []
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                api.requests.append((self.command, self.path, self.headers.get("Authorization")))
                statuses = api.script.get(self.path, [404])
                status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
                body = api.bodies.get(self.path, json.dumps({"status": status})).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"

    def calls(self, path: str) -> int:
        return sum(1 for _, p, _ in self.requests if p == path)


@pytest.fixture
def api() -> Iterator[FakeApi]:
    fake = FakeApi()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    thread.join()


def project_with(root: Path, smoke: str = "", health_route: str | None = None) -> Project:
    """An emulated project (`local`) with a real environment `dev` beside it."""
    make_project(root)
    (root / "pyproject.toml").write_text(
        f'[tool.deployer]\napp = "demo"\nemulated = ["local"]\n{smoke}', encoding="utf-8"
    )
    (root / "envs" / "dev.tfvars").write_text("", encoding="utf-8")
    if health_route:
        folder = root / "lambda_src" / "health"
        folder.mkdir(parents=True)
        (folder / "handler.py").write_text("def handler(event, context):\n    return 1\n")
        (folder / "function.toml").write_text(
            f'[[routes]]\nroute = "POST /ping"\nauth = "none"\n'
            f'[[routes]]\nroute = "{health_route}"\nauth = "none"\n',
            encoding="utf-8",
        )
    return find_project(root)


def test_the_health_route_comes_from_the_health_functions_manifest(tmp_path):
    project = project_with(tmp_path, health_route="GET /healthz")
    assert health_check(project) == SmokeCheck(path="/healthz", name="health")


def test_without_a_health_function_the_health_route_is_get_health(tmp_path):
    assert health_check(project_with(tmp_path)) == SmokeCheck(path="/health", name="health")


def test_the_settings_name_the_health_route_or_switch_it_off(tmp_path):
    named = project_with(tmp_path / "a", '[tool.deployer.smoke]\nhealth = "HEAD /up"\n', "GET /x")
    assert health_check(named) == SmokeCheck(path="/up", method="HEAD", name="health")
    off = project_with(tmp_path / "b", "[tool.deployer.smoke]\nhealth = false\n")
    assert health_check(off) is None and project_checks(off) == []


def test_a_check_is_retried_until_it_answers_the_expected_status(api):
    api.script["/health"] = [503, 502, 200]
    with requests.Session() as session:
        result = run_check(session, api.url, SmokeCheck(path="/health"), timeout=30, interval=FAST)
    assert result.ok and result.status == 200 and result.attempts == 3
    assert api.calls("/health") == 3


def test_a_check_that_never_answers_as_expected_fails_naming_both_statuses_and_the_body(api):
    api.script["/items"] = [500]
    api.bodies["/items"] = json.dumps({"message": "Internal Server Error", "pad": "x" * 500})
    check = SmokeCheck(path="/items", name="items")
    with requests.Session() as session:
        result = run_check(session, api.url, check, timeout=0.3, interval=FAST)
    assert not result.ok and result.status == 500 and result.attempts >= 1
    described = result.describe()
    assert described.startswith("items (GET /items) expected 200, got 500 after ")
    assert '{"message": "Internal Server Error"' in described
    assert len(result.body) == 200 and result.body.endswith("...")


def test_no_server_at_all_is_a_failure_with_no_answer(api):
    url = api.url
    api.server.shutdown()
    api.server.server_close()
    with requests.Session() as session:
        result = run_check(session, url, SmokeCheck(path="/health"), timeout=0.2, interval=FAST)
    assert not result.ok and result.status is None
    assert result.describe().startswith("GET /health expected 200, got no answer: ")


def test_smoke_runs_the_health_route_then_the_checks_with_their_tokens(api, tmp_path):
    project = project_with(
        tmp_path,
        '[[tool.deployer.smoke.checks]]\nname = "with a token"\npath = "/items"\n'
        'token = "local"\nscopes = ["items:read"]\n'
        '[[tool.deployer.smoke.checks]]\npath = "/secret"\ntoken_env = "SMOKE_TOKEN"\n'
        '[[tool.deployer.smoke.checks]]\npath = "/items?x=1"\nmethod = "DELETE"\nstatus = 401\n',
    )
    api.script.update({"/health": [200], "/items": [200], "/secret": [200], "/items?x=1": [401]})
    minted: list[tuple[str, ...]] = []

    def local_tokens(scopes) -> str:
        minted.append(tuple(scopes))
        return "minted-token"

    results = list(
        run_smoke(
            project,
            "local",
            api.url.rstrip("/"),  # with or without the trailing slash of api_url
            local_tokens=local_tokens,
            environ={"SMOKE_TOKEN": "from-the-env"},
            interval=FAST,
        )
    )
    assert [r.ok for r in results] == [True, True, True, True]
    assert minted == [("items:read",)]
    assert api.requests == [
        ("GET", "/health", None),
        ("GET", "/items", "Bearer minted-token"),
        ("GET", "/secret", "Bearer from-the-env"),
        ("DELETE", "/items?x=1", None),
    ]
    report = SmokeReport("local", api.url, tuple(results))
    data = report.as_dict()
    assert data["ok"] is True and [c["name"] for c in data["checks"]] == [
        "health",
        "with a token",
        "GET /secret",
        "DELETE /items?x=1",
    ]
    assert data["checks"][1] == {
        "name": "with a token",
        "method": "GET",
        "path": "/items",
        "expected": 200,
        "status": 200,
        "ok": True,
        "attempts": 1,
        "seconds": data["checks"][1]["seconds"],
        "body": "",
        "error": "",
        "skipped": "",
    }


def test_on_a_real_environment_a_local_token_check_is_skipped_and_an_unset_token_fails(
    api, tmp_path
):
    project = project_with(
        tmp_path,
        '[[tool.deployer.smoke.checks]]\npath = "/items"\ntoken = "local"\n'
        '[[tool.deployer.smoke.checks]]\npath = "/secret"\ntoken_env = "SMOKE_TOKEN"\n',
    )
    api.script["/health"] = [200]
    results = list(run_smoke(project, "dev", api.url, local_tokens=None, environ={}, interval=FAST))
    health, local, secret = results
    assert health.ok and local.ok and "for emulated environments" in local.skipped
    assert not secret.ok and secret.attempts == 0
    assert api.requests == [("GET", "/health", None)]
    error = SmokeReport("dev", api.url, tuple(results)).error()
    assert isinstance(error, DeployerError) and error.exit_code == 1
    assert error.message == (
        "smoke check failed on dev: GET /secret was not run: the environment variable "
        "SMOKE_TOKEN (its token_env) is not set: set it to a bearer token of dev's issuer "
        "(in CI, from a secret)"
    )


def test_several_failures_are_listed_one_a_line(api, tmp_path):
    project = project_with(tmp_path, '[[tool.deployer.smoke.checks]]\npath = "/items"\n')
    api.script.update({"/health": [500], "/items": [403]})
    results = tuple(run_smoke(project, "dev", api.url, timeout=0.05, interval=FAST))
    message = SmokeReport("dev", api.url, results).error().message
    lines = message.splitlines()
    assert lines[0] == "2 smoke checks failed on dev:"
    assert lines[1].startswith("  - health (GET /health) expected 200, got 500 after ")
    assert lines[2].startswith("  - GET /items expected 200, got 403 after ")


def test_no_api_url_says_to_apply_first(tmp_path):
    project = project_with(tmp_path)
    with pytest.raises(DeployerError, match=r"dev has no api_url output .*deployer apply dev"):
        list(run_smoke(project, "dev", ""))
