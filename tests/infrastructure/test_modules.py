"""Every module under modules/: layout, `terraform test`, its example, README tables, checkov.

Modules are discovered, so a new folder under modules/ is tested without editing this file.
Terraform runs on a copy of the module in tmp_path: the repository never gets a `.terraform/`
or lock file from the tests, and xdist workers never share a working directory. The root
stack that calls these modules is tested in test_root_stack.py.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers.checkov import assert_checkov_clean
from helpers.paths import REPO_ROOT
from typer.testing import CliRunner

from deployer.cli import app

MODULES_DIR = REPO_ROOT / "modules"
MODULES = (
    sorted(d for d in MODULES_DIR.iterdir() if d.is_dir() and not d.name.startswith((".", "_")))
    if MODULES_DIR.is_dir()
    else []
)
REQUIRED_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")
COPY_IGNORE = shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*")
# A safety net against a wedged child, not a performance assertion.
TERRAFORM_TIMEOUT = 900


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command; a non-zero exit fails the test with the command and its output."""
    proc = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TERRAFORM_TIMEOUT
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{' '.join(args)} (in {cwd}) exited {proc.returncode}:\n{output}"
    return output


def _init(cwd: Path, env: dict[str, str]) -> None:
    _run(["terraform", "init", "-input=false", "-no-color", "-backend=false"], cwd, env)


@pytest.fixture(params=MODULES, ids=[m.name for m in MODULES])
def module(request: pytest.FixtureRequest) -> Path:
    """Each module folder in turn: every test taking it runs once per module."""
    return request.param


@pytest.fixture
def module_copy(module: Path, tmp_path: Path) -> Path:
    """A fresh copy of the module under test."""
    dest = tmp_path / module.name
    shutil.copytree(module, dest, ignore=COPY_IGNORE)
    return dest


@pytest.fixture(scope="session")
def plugin_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A provider plugin cache per session (per xdist worker: the cache is not safe for
    concurrent installs). A packed mirror is then unzipped once, not at every init."""
    return tmp_path_factory.mktemp("tf-plugin-cache")


@pytest.fixture
def module_tf_env(terraform_env: dict[str, str], plugin_cache: Path) -> dict[str, str]:
    """terraform_env plus the shared plugin cache."""
    env = dict(terraform_env)
    env["TF_PLUGIN_CACHE_DIR"] = str(plugin_cache)
    # The copies' lock files are thrown away, so there is no lock file the cache could break.
    env["TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE"] = "1"
    return env


def test_modules_exist() -> None:
    assert MODULES, f"no module folders found under {MODULES_DIR}"


def test_terraform_fmt_is_clean() -> None:
    _run(["terraform", "fmt", "-check", "-recursive", "-diff", "-no-color", "modules"], REPO_ROOT)


def test_module_layout(module: Path) -> None:
    missing = [name for name in REQUIRED_FILES if not (module / name).is_file()]
    assert not missing, f"{module.name} lacks {', '.join(missing)}"
    assert (module / "examples" / "basic").is_dir(), f"{module.name} lacks examples/basic/"
    assert list((module / "tests").glob("*.tftest.hcl")), f"{module.name} lacks tests/*.tftest.hcl"
    versions = (module / "versions.tf").read_text(encoding="utf-8")
    assert re.search(r'required_version\s*=\s*">=\s*1\.7"', versions), versions


def test_every_validation_rule_has_a_reject_run(module: Path) -> None:
    """One `run "reject_<rule>"` with expect_failures per `validation` block (style.md)."""
    rules = sum(
        len(re.findall(r"^\s*validation\s*\{", tf.read_text(encoding="utf-8"), re.M))
        for tf in module.glob("*.tf")
    )
    tests = "\n".join(
        t.read_text(encoding="utf-8") for t in (module / "tests").glob("*.tftest.hcl")
    )
    rejects = re.findall(r'^run\s+"reject_[^"]+"\s*\{(.*?)^\}', tests, re.M | re.S)
    assert all("expect_failures" in body for body in rejects), "a reject_ run lacks expect_failures"
    assert len(rejects) >= rules, (
        f"{module.name} has {rules} validation rules but {len(rejects)} reject_ runs"
    )


def test_module_terraform_test(module_copy: Path, module_tf_env: dict[str, str]) -> None:
    _init(module_copy, module_tf_env)
    output = _run(["terraform", "test", "-no-color"], module_copy, module_tf_env)
    match = re.search(r"Success! (\d+) passed, 0 failed", output)
    assert match and int(match.group(1)) > 0, output


def test_module_example_validates(module_copy: Path, module_tf_env: dict[str, str]) -> None:
    example = module_copy / "examples" / "basic"
    _init(example, module_tf_env)
    _run(["terraform", "validate", "-no-color"], example, module_tf_env)


def test_module_readme_is_current(module: Path) -> None:
    result = CliRunner().invoke(app, ["docs", str(module), "--check"])
    assert result.exit_code == 0, result.output


def test_module_checkov_has_no_failed_checks(module_copy: Path, checkov_bin: str) -> None:
    assert_checkov_clean(module_copy, checkov_bin)
