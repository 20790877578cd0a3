"""The default exclusions (private keys, .env files, Terraform state, secrets files,
virtualenvs), each with one warning line, and the manifest's `include` / `exclude` patterns
(docs/functions.md, "What a package holds"), through `deployer package`.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from helpers.builds import two_functions
from helpers.function_projects import snapshot, write_files
from typer.testing import CliRunner

from deployer.cli import app

runner = CliRunner()
ITEMS_MANIFEST = 'memory = 256\n[[routes]]\nroute = "GET /items"\n'
PEM_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"

# (file written into lambda_src/items/, the path the warning names, why)
DEFAULT_EXCLUDES = {
    "id_rsa": ("id_rsa", "id_rsa", "an SSH key"),
    "id_rsa.pub": ("keys/id_rsa.pub", "keys/id_rsa.pub", "an SSH key"),
    "id_ed25519": ("id_ed25519", "id_ed25519", "an SSH key"),
    "pem": ("certs/server.pem", "certs/server.pem", "a private key or certificate"),
    "pem-upper-case": ("SERVER.PEM", "SERVER.PEM", "a private key or certificate"),
    "key": ("tls.key", "tls.key", "a private key"),
    "p12": ("client.p12", "client.p12", "a key store"),
    "pem-content": ("deploy_key.txt", "deploy_key.txt", "holds a private key"),
    "env": (".env", ".env", "an environment file"),
    "env-dot": (".env.production", ".env.production", "an environment file"),
    "tfstate": ("terraform.tfstate", "terraform.tfstate", "Terraform state"),
    "tfstate-backup": ("infra/terraform.tfstate.backup", "infra/terraform.tfstate.backup", "state"),
    "secrets-json": ("secrets.json", "secrets.json", "a secrets file"),
    "secrets-yaml": ("config/secrets.yaml", "config/secrets.yaml", "a secrets file"),
    "aws-keys-csv": ("ci_accessKeys.csv", "ci_accessKeys.csv", "AWS access keys"),
    "aws-folder": (".aws/credentials", ".aws", "AWS credentials"),
    "ssh-folder": (".ssh/config", ".ssh", "SSH keys"),
    "venv": ("venv/lib/site.py", "venv", "a virtualenv"),
    "dot-venv": (".venv/lib/site.py", ".venv", "a virtualenv"),
    "pyvenv-cfg": ("env/pyvenv.cfg", "env", "holds pyvenv.cfg"),
}


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    root = two_functions(tmp_path)
    monkeypatch.chdir(root)
    return root


def _package(*args: str):
    result = runner.invoke(app, ["package", *args])
    assert result.exit_code == 0, result.output
    return result


def _zip_names(project: Path, function: str = "items") -> list[str]:
    with zipfile.ZipFile(project / f".deployer/build/{function}.zip") as archive:
        return archive.namelist()


def _warnings(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning: ")]


def _manifest(project: Path, extra: str) -> None:
    (project / "lambda_src/items/function.toml").write_text(extra + "\n" + ITEMS_MANIFEST)


@pytest.mark.parametrize("case", sorted(DEFAULT_EXCLUDES))
def test_each_default_exclusion_warns_once_and_keeps_the_file_out(project, case) -> None:
    written, named, why = DEFAULT_EXCLUDES[case]
    folder = project / "lambda_src/items"
    write_files(folder, {written: PEM_KEY if case == "pem-content" else "x = 1\n"})
    if case.endswith("venv") or case == "pyvenv-cfg":
        # A virtualenv's interpreter links out of the folder: never looked at, so no error.
        (folder / written).parent.joinpath("python").symlink_to("/usr/bin/python3")

    result = _package()

    assert not [n for n in _zip_names(project) if n == named or n.startswith(named + "/")]
    [line] = _warnings(result)
    assert line.startswith(f"warning: lambda_src/items/{named} is not packaged: it ")
    assert why in line
    assert f'add include = ["{named}"] to lambda_src/items/function.toml' in line
    # --json: the same warnings, in the result, with stdout still pure JSON.
    data = json.loads(_package("--json").stdout)
    assert data["warnings"] == [line.removeprefix("warning: ")]


def test_the_suggested_include_ships_the_file_and_silences_the_warning(project) -> None:
    write_files(project / "lambda_src/items", {"certs/rds-ca.pem": "-----BEGIN CERTIFICATE-----\n"})
    [line] = _warnings(_package())
    suggested = line.split("add include = ")[1].split(" to ")[0]
    _manifest(project, f"include = {suggested}")
    result = _package()
    assert "certs/rds-ca.pem" in _zip_names(project)
    assert _warnings(result) == []


def test_include_with_globs_re_admits_default_exclusions(project) -> None:
    write_files(
        project / "lambda_src/items",
        {"certs/a.pem": "A", "certs/b.pem": "B", "other.pem": "C", ".well-known/x.json": "{}"},
    )
    _manifest(project, 'include = ["certs/*.pem", ".well-known"]')
    result = _package()
    names = _zip_names(project)
    assert {"certs/a.pem", "certs/b.pem", ".well-known/x.json"} <= set(names)
    assert "other.pem" not in names
    assert [line.split(" is not")[0] for line in _warnings(result)] == [
        "warning: lambda_src/items/other.pem"
    ]


def test_exclude_adds_exclusions_silently_and_wins_over_include(project) -> None:
    write_files(
        project / "lambda_src/items",
        {"data/big.csv": "1,2\n", "data/keep.json": "{}", "id_rsa": "k", "notes/a.md": "#"},
    )
    _manifest(project, 'exclude = ["data/*.csv", "id_rsa", "notes/"]\ninclude = ["id_rsa"]')
    result = _package()
    names = _zip_names(project)
    assert "data/keep.json" in names
    assert not {"data/big.csv", "id_rsa", "notes/a.md"} & set(names)
    assert _warnings(result) == []  # excluded on purpose: nothing to warn about


def test_a_shared_exclusion_warns_once_and_include_is_per_function(project) -> None:
    write_files(project / "lambda_src/_shared", {"ca.pem": "-----BEGIN CERTIFICATE-----\n"})
    [line] = _warnings(_package())
    assert line.startswith("warning: lambda_src/_shared/ca.pem is not packaged (left out of ")
    assert "health, items" in line
    _manifest(project, 'include = ["ca.pem"]')
    [line] = _warnings(_package())
    assert "lambda_src/health/function.toml" in line
    assert "ca.pem" in _zip_names(project, "items")
    assert "ca.pem" not in _zip_names(project, "health")


def test_excluded_files_do_not_touch_the_inputs_or_the_zip(project) -> None:
    _package()
    before = snapshot(project / ".deployer/build")
    folder = project / "lambda_src/items"
    write_files(folder, {written: PEM_KEY for written, _, _ in DEFAULT_EXCLUDES.values()})
    write_files(folder, {"data/big.csv": "1,2\n"})
    _manifest(project, 'exclude = ["data"]')
    again = _package("--json")
    assert json.loads(again.stdout)["built"] == []  # nothing that ships changed
    assert snapshot(project / ".deployer/build") == before
    forced = _package("--force")
    assert forced.exit_code == 0
    after = snapshot(project / ".deployer/build")
    assert {n: b for n, (b, _) in after.items() if n.endswith(".zip")} == {
        n: b for n, (b, _) in before.items() if n.endswith(".zip")
    }


# ---------------------------------------------------------------- the manifest fields

BAD_PATTERNS = {
    "include-string": ('include = "*.pem"', "include must be a list of glob patterns"),
    "exclude-number": ("exclude = [1]", "exclude must be a list of glob patterns"),
    "exclude-table": ('exclude = { a = "b" }', "exclude must be a list of glob patterns"),
    "include-dotdot": ('include = ["../secrets.json"]', "include[0] = '../secrets.json'"),
    "exclude-empty": ('exclude = ["data", ""]', "exclude[1] = ''"),
    "include-backslash": ('include = ["certs\\\\a.pem"]', "include[0] = "),
}


@pytest.mark.parametrize("case", sorted(BAD_PATTERNS))
def test_a_bad_pattern_field_is_exit_2_and_changes_nothing(project, case) -> None:
    _package()
    before = snapshot(project / ".deployer")
    text, message = BAD_PATTERNS[case]
    _manifest(project, text)
    result = runner.invoke(app, ["package"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: lambda_src/items/function.toml: {message}")
    assert len(result.output.strip().splitlines()) == 1
    assert snapshot(project / ".deployer") == before
