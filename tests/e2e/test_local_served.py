"""The sample application served on `local`, as a user calls it: `deployer apply local`
from a fresh copy, then real HTTP against the `api_url` it prints, with tokens from
`deployer token local`. Every route of the sample app, the JWT authorizer's answers,
the database route over TLS, CORS and API Gateway's own errors; the published site; the
fast code path (deploy-code, versions, rollback); smoke and logs. One applied stack serves
every test of this file, in order."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import jwt
import psycopg
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from helpers.amplify_sites import fetch
from helpers.emulator import aws
from helpers.local_stack import explain, run_deployer
from helpers.paths import REPO_ROOT as REPO
from helpers.paths import copy_project

from deployer.config import find_project
from deployer.emulator import LOCAL_ISSUER, mint_token, state_dir
from deployer.emulator import status as emulator_status
from deployer.emulator import stop as stop_emulator

pytestmark = pytest.mark.slow

ENV = "local"
AUDIENCE = "https://api.example.com"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, provider_mirror):
    project = copy_project(tmp_path_factory.mktemp("served") / "project")
    try:
        applied = run_deployer(project, "apply", ENV, "--auto-approve", "--json")
        assert applied.returncode == 0, explain(applied)
        outputs = json.loads(applied.stdout)
        yield project, outputs["api_url"]
    finally:
        stop_emulator(find_project(project))


def token(project: Path, *scopes: str) -> str:
    args = [a for s in scopes for a in ("--scope", s)]
    minted = run_deployer(project, "token", ENV, *args)
    assert minted.returncode == 0, explain(minted)
    return minted.stdout.strip()


def bearer(value: str) -> dict:
    return {"Authorization": f"Bearer {value}"}


def test_the_printed_api_url_is_served(stack):
    _, url = stack
    assert url.startswith("http://127.0.0.1:") and "/_aws/execute-api/" in url
    answer = requests.get(f"{url}health", timeout=30)
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}
    assert answer.headers["apigw-requestid"]


def test_items_are_created_listed_read_and_deleted_through_the_jwt_authorizer(stack):
    project, url = stack
    writer = bearer(token(project, "items:write"))
    created = requests.post(
        f"{url}items", json={"name": "pen", "quantity": 2}, headers=writer, timeout=30
    )
    assert created.status_code == 201, created.text
    item = created.json()
    listed = requests.get(f"{url}items", headers=writer, timeout=30)
    assert listed.status_code == 200
    assert item["id"] in [i["id"] for i in listed.json()["items"]]
    read = requests.get(f"{url}items/{item['id']}", headers=writer, timeout=30)
    assert read.status_code == 200 and read.json()["name"] == "pen"
    deleted = requests.delete(f"{url}items/{item['id']}", headers=writer, timeout=30)
    assert deleted.status_code in (200, 204), deleted.text
    gone = requests.get(f"{url}items/{item['id']}", headers=writer, timeout=30)
    assert gone.status_code == 404


def test_a_token_without_the_scope_is_403(stack):
    project, url = stack
    reader = bearer(token(project))
    answer = requests.post(f"{url}items", json={"name": "x"}, headers=reader, timeout=30)
    assert answer.status_code == 403 and answer.json() == {"message": "Forbidden"}


def test_no_token_an_expired_one_or_one_signed_by_another_key_is_401(stack):
    project, url = stack
    assert requests.get(f"{url}items", timeout=30).status_code == 401
    expired = mint_token(
        state_dir(find_project(project)),
        AUDIENCE,
        scopes=["items:write"],
        extra_claims={"exp": int(time.time()) - 120},
    )
    answer = requests.get(f"{url}items", headers=bearer(expired), timeout=30)
    assert answer.status_code == 401 and answer.json() == {"message": "Unauthorized"}
    kid = jwt.get_unverified_header(token(project))["kid"]
    forged = jwt.encode(
        {
            "iss": LOCAL_ISSUER,
            "aud": AUDIENCE,
            "sub": "mallory",
            "scope": "items:write",
            "exp": int(time.time()) + 300,
        },
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
        headers={"kid": kid},
    )
    assert requests.get(f"{url}items", headers=bearer(forged), timeout=30).status_code == 401


def test_cors_preflight_is_answered_for_the_configured_origin(stack):
    _, url = stack
    answer = requests.options(
        f"{url}items",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=30,
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "POST" in answer.headers["access-control-allow-methods"]


def test_an_unknown_route_is_404(stack):
    _, url = stack
    answer = requests.get(f"{url}no/such/route", timeout=30)
    assert answer.status_code == 404 and answer.json() == {"message": "Not Found"}


def test_output_name_prints_one_raw_value_for_the_shell(stack):
    project, url = stack
    one = run_deployer(project, "output", ENV, "api_url")
    assert one.returncode == 0, explain(one)
    assert one.stdout == f"{url}\n"
    typo = run_deployer(project, "output", ENV, "api_ulr")
    assert typo.returncode == 2
    assert "no output 'api_ulr'" in typo.stderr and "api_url" in typo.stderr
    assert "Traceback" not in typo.stderr


def test_customer_options_come_from_the_real_postgresql_over_tls(stack):
    """The apply ran the migrations (0001 schema, 0002 sample customer) in the emulator's
    PostgreSQL; the function reads them over TLS with the master secret's password."""
    project, url = stack
    headers = bearer(token(project))
    answer = requests.get(f"{url}customers/acme/options", headers=headers, timeout=60)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "customer_id": "acme",
        "options": {"currency": "EUR", "discount": "0.1"},
    }
    unknown = requests.get(f"{url}customers/nobody/options", headers=headers, timeout=30)
    assert unknown.status_code == 404

    # The function's connection, still open in its warm worker, is TLS.
    server = emulator_status(find_project(project))
    rds = aws(server, "rds").describe_db_instances()["DBInstances"][0]
    secret = json.loads(
        aws(server, "secretsmanager").get_secret_value(
            SecretId=rds["MasterUserSecret"]["SecretArn"]
        )["SecretString"]
    )
    with psycopg.connect(
        host=rds["Endpoint"]["Address"],
        port=rds["Endpoint"]["Port"],
        dbname=rds["DBName"],
        user=secret["username"],
        password=secret["password"],
        sslmode="require",
    ) as conn:
        rows = conn.execute(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
            "WHERE a.datname = %s AND a.pid <> pg_backend_pid() "
            "AND a.backend_type = 'client backend'",
            (rds["DBName"],),
        ).fetchall()
    assert rows and all(ssl for (ssl,) in rows)
    migrated = run_deployer(project, "db", "status", ENV, "--json")
    assert migrated.returncode == 0, explain(migrated)
    assert "0002" in migrated.stdout


def _lambda(project):
    return aws(emulator_status(find_project(project)), "lambda")


def _live(project, names) -> dict[str, tuple[str, str]]:
    lam = _lambda(project)
    result = {}
    for fn, name in names.items():
        config = lam.get_function(FunctionName=name, Qualifier="live")["Configuration"]
        result[fn] = (config["Version"], config["CodeSha256"])
    return result


def _health(url: str) -> dict:
    answer = requests.get(f"{url}health", timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_code_release_round_trip(stack):
    """deploy-code of one edited handler moves only that function (and the served API answers
    with the new code), the next plan shows no changes, a function.toml change is refused,
    versions lists them with live marked, rollback moves live back and the next plan's
    summary says it moves it forward again."""
    project, url = stack
    shown = run_deployer(project, "output", ENV, "function_names", "--json")
    assert shown.returncode == 0, explain(shown)
    names = json.loads(shown.stdout)
    before = _live(project, names)
    assert _health(url) == {"status": "ok"}

    # 1. One edited handler: only its function gets a version, and live serves it.
    handler = project / "lambda_src" / "health" / "handler.py"
    handler.write_text(
        handler.read_text().replace('{"status": "ok"}', '{"status": "fast"}'), encoding="utf-8"
    )
    deployed = run_deployer(project, "deploy-code", ENV, "--json")
    assert deployed.returncode == 0, explain(deployed)
    report = json.loads(deployed.stdout)
    assert [d["function"] for d in report["deployed"]] == ["health"]
    assert sorted(report["unchanged"]) == sorted(set(names) - {"health"})
    after = _live(project, names)
    assert int(after["health"][0]) == int(before["health"][0]) + 1
    assert after["health"][1] == report["deployed"][0]["code_sha256"] != before["health"][1]
    assert {fn: v for fn, v in after.items() if fn != "health"} == {
        fn: v for fn, v in before.items() if fn != "health"
    }
    assert _health(url) == {"status": "fast"}

    # 2. The next plan has nothing to do.
    planned = run_deployer(project, "plan", ENV, "--json", "--detailed-exitcode")
    assert planned.returncode == 0, explain(planned)
    assert json.loads(planned.stdout)["has_changes"] is False

    # 3. A function.toml change is Terraform's: refused, named, nothing moved.
    manifest = project / "lambda_src" / "health" / "function.toml"
    original = manifest.read_text()
    manifest.write_text(original.replace("memory = 128", "memory = 256"), encoding="utf-8")
    refused = run_deployer(project, "deploy-code", ENV)
    assert refused.returncode == 1, explain(refused)
    assert "health: memory changed in lambda_src/health/function.toml" in refused.stderr
    assert "run deployer apply local" in refused.stderr and "Traceback" not in refused.stderr
    assert _live(project, names) == after
    manifest.write_text(original, encoding="utf-8")

    # 4. versions: every published version, live marked.
    listed = run_deployer(project, "versions", ENV, "health", "--json")
    assert listed.returncode == 0, explain(listed)
    versions = json.loads(listed.stdout)
    assert versions["live"] == after["health"][0] == versions["latest"]
    assert [v["live"] for v in versions["versions"]][-1] is True
    assert sum(v["live"] for v in versions["versions"]) == 1

    # 5. rollback: live back to the version before, serving the old code.
    rolled = run_deployer(project, "rollback", ENV, "health", "--json")
    assert rolled.returncode == 0, explain(rolled)
    back = json.loads(rolled.stdout)
    assert back["from_version"] == after["health"][0]
    assert back["to_version"] == before["health"][0]
    assert back["code_sha256"] == before["health"][1]
    assert _health(url) == {"status": "ok"}

    # 6. The next plan moves live forward again, and its summary says so.
    replanned = run_deployer(project, "plan", ENV, "--json")
    assert replanned.returncode == 0, explain(replanned)
    summary = json.loads(replanned.stdout)["summary"]
    assert [c["address"] for c in summary["changes"]] == [
        'module.function["health"].aws_lambda_alias.this'
    ]
    assert summary["notes"] == [
        f"moves live of {names['health']} from version {before['health'][0]} to "
        f"{after['health'][0]} (undoes a rollback or a code-only deploy)"
    ]


def test_smoke_passes_against_the_served_api(stack):
    project, url = stack
    smoked = run_deployer(project, "smoke", ENV, "--json")
    assert smoked.returncode == 0, explain(smoked)
    report = json.loads(smoked.stdout)
    assert report["ok"] is True and report["api_url"] == url
    assert [(c["name"], c["path"], c["status"]) for c in report["checks"]] == [
        ("health", "/health", 200),
        ("items with a token", "/items", 200),
        ("items without a token", "/items", 401),
    ]


def test_logs_show_what_the_handler_logged_for_a_request(stack):
    project, url = stack
    writer = bearer(token(project, "items:write"))
    created = requests.post(
        f"{url}items", json={"name": "logged", "quantity": 1}, headers=writer, timeout=30
    )
    assert created.status_code == 201, created.text
    item_id = created.json()["id"]
    for _ in range(30):  # the worker's output reaches the log group just after the answer
        shown = run_deployer(project, "logs", ENV, "items", "--filter", "Item created")
        assert shown.returncode == 0, explain(shown)
        if item_id in shown.stdout:
            break
        time.sleep(1)
    line = next(line for line in shown.stdout.splitlines() if item_id in line)
    assert " INFO Item created " in line and f"item_id={item_id}" in line
    assert "service=items" in line and "[$LATEST]" in line


def frontend(project: Path) -> tuple[str, SimpleNamespace, Path]:
    """The site's host (with the port), the emulator's address and the local CA."""
    printed = run_deployer(project, "output", ENV, "frontend_url")
    assert printed.returncode == 0, explain(printed)
    parts = urlsplit(printed.stdout.strip())
    assert parts.scheme == "https" and parts.hostname.endswith(".amplifyapp.localhost")
    return (
        parts.netloc,
        SimpleNamespace(port=parts.port),
        state_dir(find_project(project)) / "tls/ca.pem",
    )


def test_apply_published_the_site_which_is_served_with_the_environments_config(stack):
    project, url = stack
    host, server, ca = frontend(project)
    assert host.startswith("local.")
    status, headers, body = fetch(server, ca, host, "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b"<title>Items</title>" in body
    assert body == (REPO / "frontend/index.html").read_bytes()
    status, _, body = fetch(server, ca, host, "/config.json")
    assert status == 200
    assert json.loads(body) == {"apiUrl": url, "environment": ENV, "region": "eu-west-1"}
    status, headers, body = fetch(server, ca, host, "/app.js")
    assert status == 200 and "javascript" in headers["content-type"]
    # A deep link of the single-page app gets index.html (the module's rewrite rule).
    status, _, body = fetch(server, ca, host, "/items/42")
    assert status == 200 and b"<title>Items</title>" in body


def test_the_api_lets_the_sites_origin_call_it(stack):
    project, url = stack
    host, _, _ = frontend(project)
    origin = f"https://{host}"
    preflight = requests.options(
        f"{url}items",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
        timeout=30,
    )
    assert preflight.status_code in (200, 204), preflight.text
    assert preflight.headers["access-control-allow-origin"] == origin
    listed = requests.get(
        f"{url}items", headers={**bearer(token(project)), "Origin": origin}, timeout=30
    )
    assert listed.status_code == 200
    assert listed.headers["access-control-allow-origin"] == origin


def test_a_second_publish_of_the_same_site_uploads_nothing(stack):
    project, _ = stack
    again = run_deployer(project, "publish", ENV, "--json")
    assert again.returncode == 0, explain(again)
    published = json.loads(again.stdout)
    assert published["uploaded"] is False and published["branch"] == ENV
    assert published["url"].startswith("https://local.")


def test_smoke_fails_naming_the_health_check_when_the_health_route_is_broken(stack):
    """Last in this file: it leaves the health function broken."""
    from helpers.failing_code import deploy_failing_code

    project, _ = stack
    deploy_failing_code(project, "health")
    smoked = run_deployer(project, "smoke", ENV, "--timeout", "3")
    assert smoked.returncode == 1, explain(smoked)
    message = " ".join(smoked.stderr.split())
    assert "error: smoke check failed on local: health (GET /health) expected 200, got 5" in (
        message
    ), explain(smoked)
    printed = " ".join(smoked.stdout.split())
    assert "FAILED health (GET /health) expected 200" in printed
    assert "ok items without a token: GET /items 401" in printed
    assert "Traceback" not in smoked.stderr
