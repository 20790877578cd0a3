"""`deployer package` through the CLI: output, options, and every manifest error as exit 2."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from helpers.function_projects import HANDLER, simple_function, snapshot, write_files, write_project
from typer.testing import CliRunner

from deployer.cli import app
from deployer.packaging import dependencies as dependency_cache

runner = CliRunner()
BAD = "lambda_src/bad/function.toml"


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    root = write_project(
        tmp_path,
        {
            "health": simple_function('[[routes]]\nroute = "GET /health"\nauth = "none"\n'),
            "bad": simple_function('[[routes]]\nroute = "GET /bad"\n'),
        },
    )
    monkeypatch.chdir(root)
    return root


def test_package_prints_a_table_and_a_summary(project) -> None:
    result = runner.invoke(app, ["package"])
    assert result.exit_code == 0, result.output
    assert "built" in result.stdout and "health" in result.stdout
    assert "2 built, 0 up to date" in result.stdout
    again = runner.invoke(app, ["package"])
    assert "up to date" in again.stdout and "0 built, 2 up to date" in again.stdout


def test_package_json_is_the_build_result_on_stdout_only(project) -> None:
    result = runner.invoke(app, ["package", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["manifest_path"] == ".deployer/build/manifest.json"
    assert data["built"] == ["bad", "health"] and data["skipped"] == []
    manifest = json.loads((project / ".deployer/build/manifest.json").read_text())
    assert data["functions"] == manifest["functions"]
    # Not a terminal: plain progress lines, on stderr, so CI logs stay readable.
    assert "packaging 2 functions" in result.stderr
    assert "built health:" in result.stderr


def test_function_option_builds_one(project) -> None:
    result = runner.invoke(app, ["package", "--function", "health", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["built"] == ["health"]
    assert not (project / ".deployer/build/bad.zip").exists()


def test_unknown_function_is_exit_2_with_a_suggestion(project) -> None:
    result = runner.invoke(app, ["package", "--function", "helth"])
    assert result.exit_code == 2
    assert 'did you mean "health"?' in result.output
    assert "Traceback" not in result.output


def test_force_rebuilds(project) -> None:
    runner.invoke(app, ["package"])
    result = runner.invoke(app, ["package", "--force", "--json"])
    assert json.loads(result.stdout)["built"] == ["bad", "health"]


def test_a_pip_failure_is_one_line_exit_1(project, monkeypatch) -> None:
    def failing_pip(command):
        out = "ERROR: Could not find a version that satisfies the requirement nope==1 (from ...)\n"
        return subprocess.CompletedProcess(command, 1, "", out)

    monkeypatch.setattr(dependency_cache, "run_pip", failing_pip)
    write_files(project / "lambda_src/bad", {"requirements.txt": "nope==1\n"})
    result = runner.invoke(app, ["package"])
    assert result.exit_code == 1
    assert "error: bad: pip could not install the requirement 'nope==1'" in result.output
    assert "Traceback" not in result.output


LONG = "x" * 60
# (what the bad function's folder gets, the field the message must name)
MANIFEST_ERRORS = {
    "toml-syntax": ({"function.toml": "memory = = 1"}, "not valid TOML"),
    "name-characters": ({"function.toml": 'name = "bad fn"'}, "name = 'bad fn'"),
    "name-too-long": ({"function.toml": f'name = "{LONG}"'}, "name = "),
    "name-duplicate": ({"function.toml": 'name = "health"'}, "is already used by"),
    "handler-syntax": ({"function.toml": 'handler = "handler"'}, "handler = 'handler'"),
    "handler-no-module": ({"function.toml": 'handler = "app.handler"'}, "handler = 'app.handler'"),
    "handler-no-function": ({"function.toml": 'handler = "handler.main"'}, "handler"),
    "handler-broken-source": ({"handler.py": "def handler(:\n"}, "handler"),
    "runtime": ({"function.toml": 'runtime = "python3.9"'}, "runtime = 'python3.9'"),
    "architecture": ({"function.toml": 'architecture = "arm"'}, "architecture = 'arm'"),
    "memory-low": ({"function.toml": "memory = 64"}, "memory = 64"),
    "memory-high": ({"function.toml": "memory = 10241"}, "memory = 10241"),
    "memory-type": ({"function.toml": 'memory = "256"'}, "memory = '256' must be a whole"),
    "timeout-low": ({"function.toml": "timeout = 0"}, "timeout = 0"),
    "timeout-high": ({"function.toml": "timeout = 901"}, "timeout = 901"),
    "description": ({"function.toml": f'description = "{"d" * 300}"'}, "description"),
    "unknown-key": ({"function.toml": "handlr = 'x.y'"}, "handlr is not a known field"),
    "environment-table": ({"function.toml": 'environment = "A=1"'}, "environment must be"),
    "environment-reserved": ({"function.toml": '[environment]\nAWS_REGION = "x"'}, "AWS_REGION"),
    "environment-name": ({"function.toml": '[environment]\n"MY-VAR" = "x"'}, "MY-VAR"),
    "environment-value": ({"function.toml": "[environment]\nDEBUG = true"}, 'DEBUG = "true"'),
    "routes-strings": ({"function.toml": 'routes = ["GET /x"]'}, "routes[0] must be a table"),
    "routes-type": ({"function.toml": 'routes = "GET /x"'}, "routes must be"),
    "route-missing": ({"function.toml": '[[routes]]\nauth = "none"'}, "routes[0].route"),
    "route-method": ({"function.toml": '[[routes]]\nroute = "FETCH /x"'}, "routes[0].route"),
    "route-path": ({"function.toml": '[[routes]]\nroute = "GET x"'}, "routes[0].route"),
    "route-greedy": ({"function.toml": '[[routes]]\nroute = "GET /{p+}/x"'}, "routes[0].route"),
    "route-conflict": ({"function.toml": '[[routes]]\nroute = "GET /health"'}, "already claimed"),
    "route-unknown-key": (
        {"function.toml": '[[routes]]\nroute = "GET /x"\nmethod = "GET"'},
        "routes[0].method is not a known field",
    ),
    "auth": ({"function.toml": '[[routes]]\nroute = "GET /x"\nauth = "my auth"'}, "auth"),
    "scopes-type": ({"function.toml": '[[routes]]\nroute = "GET /x"\nscopes = "a"'}, "scopes"),
    "scopes-public": (
        {"function.toml": '[[routes]]\nroute = "GET /x"\nauth = "none"\nscopes = ["a"]'},
        "routes[0].scopes",
    ),
    "access-type": ({"function.toml": 'access = "items"'}, "access must be a table"),
    "access-unknown": ({"function.toml": "[access]\ndb = true"}, "access.db"),
    "access-level": ({"function.toml": '[access]\ntables = { items = "write" }'}, "access.tables"),
    "access-table-name": ({"function.toml": '[access]\ntables = { "1x" = "read" }'}, "1x"),
    "access-tables-type": ({"function.toml": '[access]\ntables = ["items"]'}, "access.tables"),
    "access-database": ({"function.toml": '[access]\ndatabase = "yes"'}, "access.database"),
    "not-utf8": ({"function.toml": None}, "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(MANIFEST_ERRORS))
def test_every_manifest_error_is_exit_2_and_changes_nothing(project, case) -> None:
    assert runner.invoke(app, ["package"]).exit_code == 0  # a previous, good build
    before = snapshot(project / ".deployer")
    files, field = MANIFEST_ERRORS[case]
    folder = project / "lambda_src/bad"
    for rel, text in files.items():
        if text is None:
            (folder / rel).write_bytes(b'description = "\xff"\n')
        else:
            (folder / rel).write_text(text, encoding="utf-8")
    (folder / "handler.py").write_text(
        files.get("handler.py", HANDLER) + "# edited\n", encoding="utf-8"
    )  # the function is stale, so only validation can stop its rebuild

    result = runner.invoke(app, ["package"])

    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ")
    assert BAD in result.output
    assert field in result.output
    assert "Traceback" not in result.output
    assert snapshot(project / ".deployer") == before


def test_a_misspelt_manifest_file_is_exit_2(project) -> None:
    folder = project / "lambda_src/bad"
    (folder / "function.toml").rename(folder / "function.tml")
    result = runner.invoke(app, ["package"])
    assert result.exit_code == 2
    assert "lambda_src/bad/function.tml" in result.output
    assert not (project / ".deployer").exists()


def test_a_requirements_include_is_exit_2(project) -> None:
    write_files(project / "lambda_src/bad", {"requirements.txt": "-c constraints.txt\n"})
    result = runner.invoke(app, ["package"])
    assert result.exit_code == 2
    assert "lambda_src/bad/requirements.txt: line 1" in result.output
    assert not (project / ".deployer").exists()
