"""The house rules of deployer/: layers (import-linter contracts), faces, file sizes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT

PACKAGE = REPO_ROOT / "deployer"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MAX_LINES = 400


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    # Run from `root`: import-linter finds the `deployer` package there, and reads its
    # contracts from root/pyproject.toml.
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", "pyproject.toml", "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_import_contracts_are_kept() -> None:
    result = _lint_imports(REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        # A low layer reaching up to the CLI.
        ("config/project.py", "from deployer.cli import app", "Layers"),
        # Two siblings of one layer reaching into each other.
        ("aws/clients.py", "from deployer.packaging import build", "Layers"),
        # Past a subpackage's face into one of its modules.
        ("stack/doctor.py", "from deployer.terraform.binary import find_terraform", "face"),
    ],
)
def test_a_change_that_breaks_a_contract_fails(
    tmp_path: Path, module: str, bad_import: str, contract: str
) -> None:
    """The contracts bite: the same tree with one bad import is refused."""
    shutil.copy(REPO_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(PACKAGE, tmp_path / "deployer", ignore=shutil.ignore_patterns("__pycache__"))
    target = tmp_path / "deployer" / module
    target.write_text(
        target.read_text(encoding="utf-8") + f"\n{bad_import}  # noqa\n", encoding="utf-8"
    )
    result = _lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(contract in line for line in broken), result.stdout


def test_every_module_lives_in_a_layer() -> None:
    """No flat modules next to the subpackages: only the package's own entry points."""
    flat = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert flat == ["__init__.py", "__main__.py"]
    for folder in sorted(p for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"):
        assert (folder / "__init__.py").is_file(), f"{folder.name}/ has no __init__.py (face)"


def test_no_module_is_longer_than_the_house_limit() -> None:
    long = {
        str(path.relative_to(REPO_ROOT)): count
        for path in sorted(PACKAGE.rglob("*.py"))
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these by job (over {MAX_LINES} lines): {long}"
