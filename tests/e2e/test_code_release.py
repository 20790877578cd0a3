"""The fast code path on `local`, as a user runs it after `deployer apply local`: deploy-code
of one edited handler moves only that function (and the served API answers with the new
code), the next plan shows no changes, a function.toml change is refused, versions lists
them with live marked, rollback moves live back and the next plan's summary says it moves
it forward again. One applied stack serves the whole file, in order."""

from __future__ import annotations

import json

import pytest
import requests
from helpers.emulator import aws
from helpers.local_stack import explain, run_deployer
from helpers.paths import copy_project

from deployer.config import find_project
from deployer.emulator import status as emulator_status
from deployer.emulator import stop as stop_emulator

pytestmark = pytest.mark.slow

ENV = "local"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, provider_mirror):
    project = copy_project(tmp_path_factory.mktemp("release") / "project")
    try:
        applied = run_deployer(project, "apply", ENV, "--auto-approve", "--json")
        assert applied.returncode == 0, explain(applied)
        yield project, json.loads(applied.stdout)
    finally:
        stop_emulator(find_project(project))


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
    project, outputs = stack
    url, names = outputs["api_url"], outputs["function_names"]
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
