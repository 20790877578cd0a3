"""The CLI skeleton: --version, envs, doctor, and errors as one line with an exit code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deployer import __version__
from deployer.cli import app
from deployer.terraform.mirror import aws_versions_in

runner = CliRunner()


def _project(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "x"\n\n[tool.deployer]\napp = "shop"\n{extra}', encoding="utf-8"
    )
    (tmp_path / "envs").mkdir()
    for env in ("dev", "prod", "qa"):
        (tmp_path / "envs" / f"{env}.tfvars").write_text("", encoding="utf-8")
        (tmp_path / "envs" / f"{env}.backend.hcl").write_text("", encoding="utf-8")
    return tmp_path


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"deployer {__version__}"


def test_shell_completion_is_offered_and_completes_commands() -> None:
    script = str(Path(sys.executable).with_name("deployer"))  # the installed command
    shown = subprocess.run(
        [script, "--show-completion", "bash"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "SHELL": "/bin/bash"},
    )
    assert shown.returncode == 0, shown.stderr
    assert "_deployer_completion" in shown.stdout
    # What the bash function asks the installed script when `deployer pl<TAB>` is typed.
    completed = subprocess.run(
        [script],
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "_DEPLOYER_COMPLETE": "complete_bash",
            "COMP_WORDS": "deployer pl",
            "COMP_CWORD": "1",
        },
    )
    assert completed.stdout.split() == ["plan"], completed.stdout + completed.stderr


def test_envs_lists_environments_with_protection(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(_project(tmp_path))
    result = runner.invoke(app, ["envs", "--json"])
    assert result.exit_code == 0, result.output
    envs = {e["name"]: e for e in json.loads(result.output)}
    assert sorted(envs) == ["dev", "prod", "qa"]
    assert envs["prod"]["protected"] is True
    assert envs["dev"]["protected"] is False
    assert envs["qa"]["backend"] == "envs/qa.backend.hcl"


def test_protected_environments_come_from_pyproject(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(_project(tmp_path, 'protected = ["qa"]\n'))
    result = runner.invoke(app, ["envs", "--json"])
    protected = {e["name"] for e in json.loads(result.output) if e["protected"]}
    assert protected == {"qa"}


def test_outside_a_project_is_one_line_exit_2(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["envs"])
    assert result.exit_code == 2
    assert "No deployer project found" in result.output
    assert "Traceback" not in result.output


def test_invalid_toml_names_the_file(tmp_path, monkeypatch) -> None:
    # a second `app` key makes the TOML invalid: a syntax error, reported as such
    monkeypatch.chdir(_project(tmp_path, 'app = "again"\n'))
    result = runner.invoke(app, ["envs"])
    assert result.exit_code == 2
    assert "pyproject.toml: not valid TOML" in result.output
    assert "Traceback" not in result.output


def test_invalid_app_name_is_rejected(tmp_path, monkeypatch) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.deployer]\napp = "Bad Name"\n')
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["envs"])
    assert result.exit_code == 2
    assert "app = 'Bad Name' is not valid" in result.output


def test_doctor_reports_everything_as_json(tmp_path, monkeypatch, provider_mirror) -> None:
    monkeypatch.chdir(_project(tmp_path))
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    checks = {c["name"]: c for c in json.loads(result.output)["checks"]}
    assert checks["terraform"]["ok"] is True
    mirror = checks["provider mirror"]
    assert str(provider_mirror) in mirror["detail"]
    assert aws_versions_in(provider_mirror)[-1] in mirror["detail"]
    # Credentials are checked per environment (`doctor ENV`, tests/cli/test_doctor.py).
    assert "aws credentials" not in checks


def test_doctor_without_terraform_exits_1_with_the_fix(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(_project(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    terraform = next(c for c in report["checks"] if c["name"] == "terraform")
    assert terraform["ok"] is False
    assert "terraform was not found on PATH" in terraform["detail"]
    assert "install Terraform >= 1.10" in terraform["fix"]


def test_doctor_rejects_a_mirror_without_the_provider(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(_project(tmp_path))
    monkeypatch.setenv("DEPLOYER_PROVIDER_MIRROR", str(tmp_path))
    result = runner.invoke(app, ["doctor", "--json"])
    assert result.exit_code == 1
    mirror = next(c for c in json.loads(result.output)["checks"] if c["name"] == "provider mirror")
    assert "holds no registry.terraform.io/hashicorp/aws" in mirror["detail"]


@pytest.mark.parametrize("argv", [["--help"], ["envs", "--help"], ["doctor", "--help"]])
def test_help_works(argv) -> None:
    result = runner.invoke(app, argv)
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_help_does_not_import_boto3() -> None:
    code = "import sys, deployer.cli; print('boto3' in sys.modules, 'moto' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
