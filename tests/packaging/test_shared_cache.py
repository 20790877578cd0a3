"""The dependency cache is per user by default and shared by every clone on the machine:
two clones packaging at once, with real pip and real processes, install a set once and
both get the same, whole set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers.function_projects import simple_function, write_project

from deployer.packaging import dependencies

REQUIREMENTS = "markupsafe==3.0.2\n"  # compiled wheels: a real install for arm64


def _clone(root: Path) -> Path:
    write_project(root, {"api": simple_function(), "worker": simple_function()})
    for name in ("api", "worker"):
        (root / "lambda_src" / name / "requirements.txt").write_text(REQUIREMENTS)
    return root


def test_the_default_cache_is_the_platforms_per_user_cache_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(dependencies.CACHE_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert dependencies.default_cache_root() == tmp_path / "xdg" / "deployer" / "deps"
    monkeypatch.setenv(dependencies.CACHE_DIR_ENV, str(tmp_path / "elsewhere"))
    assert dependencies.default_cache_root() == tmp_path / "elsewhere" / "deps"


def test_two_clones_packaging_at_once_share_one_install(tmp_path):
    clones = [_clone(tmp_path / name) for name in ("clone-a", "clone-b")]
    env = {k: v for k, v in os.environ.items() if k != dependencies.CACHE_DIR_ENV}
    env["XDG_CACHE_HOME"] = str(tmp_path / "user-cache")  # where a user's cache would be
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "deployer", "package", "--json"],
            cwd=clone,
            env={**env, "DEPLOYER_PROJECT_DIR": str(clone)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for clone in clones
    ]
    outputs = [run.communicate(timeout=600) for run in runs]
    for run, (_, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
    said = [err for _, err in outputs]
    # One of them installed; the other waited on the set's lock and used it.
    assert sum("installing dependencies" in err for err in said) == 1, said
    deps = tmp_path / "user-cache" / "deployer" / "deps"
    sets = [p for p in deps.iterdir() if p.is_dir()]
    assert len(sets) == 1 and not sets[0].name.startswith(".")  # no staging left over
    assert (sets[0] / "markupsafe" / "__init__.py").is_file()
    hashes = [
        json.loads((clone / ".deployer/build/manifest.json").read_text())["functions"]["api"][
            "source_code_hash"
        ]
        for clone in clones
    ]
    assert hashes[0] == hashes[1]
