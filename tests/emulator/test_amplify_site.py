"""Each branch's site, served over TLS on the emulator's port at the branch's host name, with
the app's custom rules and basic auth; the local CA that signs its certificates."""

from __future__ import annotations

import base64
import json
import socket
import ssl
from pathlib import Path

import pytest
import requests
from helpers.amplify_sites import SPA_RULE, deploy, fetch
from helpers.emulator import aws, make_project

from deployer.emulator.control import ensure_running, stop
from deployer.emulator.state import state_dir

SITE = {
    "index.html": "<h1>shop</h1>",
    "config.json": '{"apiUrl": "http://127.0.0.1/api"}',
    "assets/app.js": "console.log('shop')",
    "docs/index.html": "<h1>docs</h1>",
}


@pytest.fixture(scope="module")
def ca_file(server, emulator_project) -> Path:
    return state_dir(emulator_project) / "tls" / "ca.pem"


def new_site(server, files=SITE, rules=(SPA_RULE,), branch="main", **branch_settings) -> str:
    """A new app with one deployed branch: the branch's host name (`<branch>.<domain>`)."""
    amplify = aws(server, "amplify")
    app = amplify.create_app(name="site", customRules=list(rules))["app"]
    amplify.create_branch(appId=app["appId"], branchName=branch, **branch_settings)
    deploy(amplify, app["appId"], branch, files)
    return f"{branch.replace('/', '-')}.{app['defaultDomain']}"


def test_the_site_is_served_with_the_spa_rule(server, ca_file):
    host = new_site(server)
    for path in ("/", "/index.html", "/items/42", "/deep/link/"):
        status, headers, body = fetch(server, ca_file, host, path)
        assert (status, body) == (200, b"<h1>shop</h1>"), path
        assert headers["content-type"].startswith("text/html")
    status, headers, body = fetch(server, ca_file, host, "/config.json")
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    assert json.loads(body) == {"apiUrl": "http://127.0.0.1/api"}
    status, headers, body = fetch(server, ca_file, host, "/assets/app.js")
    assert (status, headers["content-type"].split(";")[0]) == (200, "text/javascript")
    assert fetch(server, ca_file, host, "/missing.png")[0] == 404


def test_without_rules_paths_are_files_and_folders_their_index(server, ca_file):
    host = new_site(server, rules=())
    assert fetch(server, ca_file, host, "/docs/")[2] == b"<h1>docs</h1>"
    assert fetch(server, ca_file, host, "/docs")[2] == b"<h1>docs</h1>"
    assert fetch(server, ca_file, host, "/items/42")[0] == 404
    assert fetch(server, ca_file, host, "/../server.json")[0] == 404


def test_redirects_and_not_found_rules(server, ca_file):
    rules = [
        {"source": "/old/<*>", "target": "/docs/<*>", "status": "301"},
        {"source": "/away", "target": "https://example.com/", "status": "302"},
        {"source": "/<*>", "target": "/404.html", "status": "404"},
    ]
    files = {**SITE, "404.html": "<h1>lost</h1>"}
    host = new_site(server, files=files, rules=rules)
    status, headers, _ = fetch(server, ca_file, host, "/old/intro?lang=en")
    assert (status, headers["location"]) == (301, "/docs/intro?lang=en")
    status, headers, _ = fetch(server, ca_file, host, "/away")
    assert (status, headers["location"]) == (302, "https://example.com/")
    assert fetch(server, ca_file, host, "/nowhere")[:3:2] == (404, b"<h1>lost</h1>")
    assert fetch(server, ca_file, host, "/config.json")[0] == 200  # a file: no 404 rule


def test_basic_auth_asks_and_checks(server, ca_file):
    credentials = base64.b64encode(b"preview:s3cret").decode()
    host = new_site(
        server, branch="feature/x", enableBasicAuth=True, basicAuthCredentials=credentials
    )
    assert host.startswith("feature-x.")
    status, headers, _ = fetch(server, ca_file, host, "/")
    assert status == 401
    assert headers["www-authenticate"].startswith("Basic ")
    wrong = base64.b64encode(b"preview:nope").decode()
    assert fetch(server, ca_file, host, "/", {"Authorization": f"Basic {wrong}"})[0] == 401
    right = {"Authorization": f"Basic {credentials}"}
    assert fetch(server, ca_file, host, "/", right)[:3:2] == (200, b"<h1>shop</h1>")


def test_a_new_deployment_replaces_the_site_and_delete_removes_it(
    server, ca_file, emulator_project
):
    amplify = aws(server, "amplify")
    host = new_site(server)
    app_id = host.split(".")[1]
    deploy(amplify, app_id, "main", {"index.html": "<h1>v2</h1>"})
    assert fetch(server, ca_file, host, "/")[2] == b"<h1>v2</h1>"
    assert fetch(server, ca_file, host, "/config.json")[0] == 404  # not in v2
    sites = state_dir(emulator_project) / "amplify" / "sites" / app_id / "main"
    assert [p.name for p in sites.iterdir()] == ["2"]  # the first deployment's files went

    amplify.delete_branch(appId=app_id, branchName="main")
    assert not sites.exists()
    assert fetch(server, ca_file, host, "/")[0] == 404
    amplify.delete_app(appId=app_id)
    assert not sites.parent.exists()


def test_plain_http_to_a_site_is_redirected_to_https(server):
    host = new_site(server)
    answer = requests.get(
        f"{server.endpoint}/items/1", headers={"Host": host}, allow_redirects=False, timeout=30
    )
    assert answer.status_code == 301
    assert answer.headers["Location"] == f"https://{host}/items/1"


def test_tls_on_the_api_port_leaves_plain_http_as_it_was(server, ca_file):
    # The same port, TLS to 127.0.0.1 (the default certificate) and plain HTTP side by side.
    health = requests.get(
        f"https://127.0.0.1:{server.port}/_deployer/health", verify=ca_file, timeout=30
    )
    assert health.json()["pid"] == server.pid
    assert requests.get(f"{server.endpoint}/_deployer/health", timeout=30).json()["pid"]
    # A client that does not trust the local CA is refused (a browser shows its warning) ...
    host = new_site(server)
    with pytest.raises(ssl.SSLCertVerificationError):
        fetch(server, None, host, "/")
    # ... and a broken handshake costs the server nothing.
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as raw:
        raw.sendall(b"\x16\x03\x01 not a handshake")
    assert aws(server, "amplify").list_apps()["apps"]


def test_the_local_ca_is_kept_across_restarts(tmp_path):
    project = make_project(tmp_path / "proj")
    ca_file = state_dir(project) / "tls" / "ca.pem"
    ensure_running(project)
    try:
        first_ca = ca_file.read_bytes()
        assert (ca_file.parent / "ca-key.pem").stat().st_mode & 0o077 == 0
    finally:
        stop(project)
    second = ensure_running(project)
    try:
        assert ca_file.read_bytes() == first_ca
        host = new_site(second)
        assert fetch(second, ca_file, host, "/")[0] == 200
    finally:
        stop(project)
