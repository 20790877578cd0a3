"""Packaging (deployer.packaging.builder): reproducible zips, the build manifest,
incremental builds, size limits. Requirements and the dependency cache: test_dependencies.py.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
import zipfile
from pathlib import Path

import pytest
from helpers.builds import build, two_functions
from helpers.function_projects import (
    HANDLER,
    snapshot,
    terraform_filebase64sha256,
    write_files,
)

from deployer import __version__
from deployer.common.errors import UserInputError
from deployer.packaging import builder as packaging


def _zip_bytes(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / ".deployer/build").glob("*.zip"))}


# ---------------------------------------------------------------- the zip and the manifest


def test_zip_contents_and_metadata_are_normalised(tmp_path) -> None:
    root = two_functions(tmp_path)
    folder = root / "lambda_src/items"
    write_files(
        folder,
        {
            "run.sh": "#!/bin/sh\necho hi\n",
            "tests/test_handler.py": "def test(): pass\n",
            "pkg/tests/test_util.py": "",
            "__pycache__/handler.cpython-311.pyc": "",
            "pkg/stale.pyc": "",
            ".env": "SECRET=1\n",
            ".hidden/x.py": "",
            "requirements.txt": "\n# nothing to install\n",
        },
    )
    (folder / "models.py").chmod(0o755)  # a stray exec bit does not make it a script
    build(root)
    with zipfile.ZipFile(root / ".deployer/build/items.zip") as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert names == [
        "common.py",  # from _shared/, at the root of the package
        "handler.py",
        "models.py",
        "pkg/__init__.py",
        "pkg/util.py",
        "run.sh",
    ]
    modes = {i.filename: stat.S_IMODE(i.external_attr >> 16) for i in infos}
    assert modes == {n: 0o755 if n == "run.sh" else 0o644 for n in names}
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.create_system for i in infos} == {3}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}


def test_build_manifest_has_the_documented_shape(tmp_path, terraform_env) -> None:
    root = two_functions(tmp_path)
    result = build(root)
    assert result.manifest_path == root / ".deployer/build/manifest.json"
    import json

    manifest = json.loads(result.manifest_path.read_text())
    assert manifest == result.manifest
    assert manifest["format"] == 1
    assert manifest["deployer_version"] == __version__
    assert list(manifest["functions"]) == ["health", "items"]
    items = manifest["functions"]["items"]
    zip_file = root / items["zip_path"]
    assert items["zip_path"] == ".deployer/build/items.zip"
    assert items["size"] == zip_file.stat().st_size
    assert items == {
        "zip_path": ".deployer/build/items.zip",
        "size": items["size"],
        "source_code_hash": items["source_code_hash"],
        "settings_sha256": items["settings_sha256"],
        "handler": "handler.handler",
        "runtime": "python3.12",
        "architecture": "arm64",
        "memory": 256,
        "timeout": 3,
        "description": "",
        "environment": {},
        "routes": [{"route_key": "GET /items", "auth": "default", "scopes": []}],
        "access": {"tables": {}, "database": False},
    }
    terraform_says = terraform_filebase64sha256(zip_file, terraform_env, tmp_path / "tf")
    assert items["source_code_hash"] == terraform_says
    assert result.built == ["health", "items"] and result.skipped == []


# ---------------------------------------------------------------- reproducibility


def _touch_and_chmod_everything(folder: Path) -> None:
    later = time.time() + 3600
    for index, path in enumerate(sorted(folder.rglob("*"))):
        os.utime(path, (later, later))
        if path.is_file():
            path.chmod(0o600 if index % 2 else 0o777)


def test_touch_and_chmod_change_nothing(tmp_path) -> None:
    root = two_functions(tmp_path)
    first = build(root)
    before = _zip_bytes(root)
    _touch_and_chmod_everything(root / "lambda_src")
    assert build(root).built == []  # content, not mtimes, decides what is stale
    forced = build(root, force=True)
    assert forced.built == ["health", "items"]
    assert _zip_bytes(root) == before
    assert forced.manifest == first.manifest


def test_same_sources_elsewhere_give_byte_identical_zips(tmp_path, terraform_env) -> None:
    """A second clone at another path, other mtimes and another umask; real pip both times."""
    requirement = {"requirements.txt": "idna==3.10\n"}  # pure Python, with a console script
    root_a = two_functions(tmp_path / "a")
    write_files(root_a / "lambda_src/items", requirement)
    result_a = build(root_a)

    root_b = tmp_path / "somewhere" / "else" / "b"
    shutil.copytree(root_a, root_b, ignore=shutil.ignore_patterns(".deployer"))
    _touch_and_chmod_everything(root_b / "lambda_src")
    old_umask = os.umask(0o077)
    try:
        result_b = build(root_b)
    finally:
        os.umask(old_umask)

    assert result_b.built == ["health", "items"]  # nothing reused from the first clone
    assert _zip_bytes(root_a) == _zip_bytes(root_b)
    assert result_a.manifest == result_b.manifest
    with zipfile.ZipFile(root_b / ".deployer/build/items.zip") as archive:
        names = archive.namelist()
        record = archive.read("idna-3.10.dist-info/RECORD").decode()
    assert "idna/core.py" in names
    assert not [n for n in names if n.startswith("bin/")]  # the host-specific console script
    assert "../" not in record
    for name, entry in result_b.manifest["functions"].items():
        zip_file = root_b / entry["zip_path"]
        tf_hash = terraform_filebase64sha256(zip_file, terraform_env, tmp_path / f"tf-{name}")
        assert entry["source_code_hash"] == tf_hash


# ---------------------------------------------------------------- incremental builds


def test_a_second_run_rebuilds_nothing_and_rewrites_nothing(tmp_path) -> None:
    root = two_functions(tmp_path)
    build(root)
    before = snapshot(root / ".deployer/build")
    result = build(root)
    assert result.built == [] and result.skipped == ["health", "items"]
    assert snapshot(root / ".deployer/build") == before


def test_editing_one_function_rebuilds_only_it(tmp_path) -> None:
    root = two_functions(tmp_path)
    first = build(root)
    (root / "lambda_src/items/models.py").write_text("X = 2\n")
    second = build(root)
    assert second.built == ["items"] and second.skipped == ["health"]
    hashes = {n: f["source_code_hash"] for n, f in second.manifest["functions"].items()}
    old = {n: f["source_code_hash"] for n, f in first.manifest["functions"].items()}
    assert hashes["health"] == old["health"] and hashes["items"] != old["items"]


def test_editing_shared_rebuilds_every_function(tmp_path) -> None:
    root = two_functions(tmp_path)
    build(root)
    (root / "lambda_src/_shared/common.py").write_text("Z = 4\n")
    assert build(root).built == ["health", "items"]


def test_a_manifest_change_rebuilds_and_updates_the_settings(tmp_path) -> None:
    root = two_functions(tmp_path)
    build(root)
    (root / "lambda_src/health/function.toml").write_text(
        'memory = 512\n[[routes]]\nroute = "GET /health"\nauth = "none"\n'
    )
    result = build(root)
    assert result.built == ["health"]
    assert result.manifest["functions"]["health"]["memory"] == 512


def test_force_rebuilds_everything(tmp_path) -> None:
    root = two_functions(tmp_path)
    build(root)
    assert build(root, force=True).built == ["health", "items"]


def test_a_deleted_or_altered_zip_is_rebuilt(tmp_path) -> None:
    root = two_functions(tmp_path)
    first = build(root)
    (root / ".deployer/build/health.zip").unlink()
    items_zip = root / ".deployer/build/items.zip"
    items_zip.write_bytes(b"x" * items_zip.stat().st_size)  # same size, other bytes
    result = build(root)
    assert result.built == ["health", "items"]
    assert result.manifest == first.manifest


def test_only_builds_one_function_and_keeps_the_others(tmp_path) -> None:
    root = two_functions(tmp_path)
    first = build(root)
    (root / "lambda_src/items/models.py").write_text("X = 5\n")
    (root / "lambda_src/health/handler.py").write_text(HANDLER + "# edited\n")
    result = build(root, only="health")
    assert result.built == ["health"] and result.skipped == []
    assert result.manifest["functions"]["items"] == first.manifest["functions"]["items"]
    assert build(root).built == ["items"]  # its edit is still pending


def test_unknown_only_name_suggests_one(tmp_path) -> None:
    root = two_functions(tmp_path)
    with pytest.raises(UserInputError, match=r"'helth'.*did you mean \"health\""):
        build(root, only="helth")


def test_a_removed_function_leaves_the_manifest_and_its_zip_goes(tmp_path) -> None:
    root = two_functions(tmp_path)
    build(root)
    shutil.rmtree(root / "lambda_src/health")
    result = build(root)
    assert list(result.manifest["functions"]) == ["items"]
    assert not (root / ".deployer/build/health.zip").exists()


def test_a_file_in_both_function_and_shared_is_an_error(tmp_path) -> None:
    root = two_functions(tmp_path)
    write_files(root / "lambda_src/items", {"common.py": "Z = 9\n"})
    with pytest.raises(UserInputError, match=r"lambda_src/items/common\.py would overwrite"):
        build(root)
    assert not (root / ".deployer").exists()


def test_a_broken_symlink_is_an_error_not_a_traceback(tmp_path) -> None:
    root = two_functions(tmp_path)
    (root / "lambda_src/items/gone.py").symlink_to(root / "nowhere.py")
    with pytest.raises(UserInputError, match=r"items/gone\.py: is a broken symlink \(to /"):
        build(root)
    assert not (root / ".deployer").exists()


def test_size_limits_name_the_function(tmp_path, monkeypatch) -> None:
    root = two_functions(tmp_path)
    write_files(root / "lambda_src/items", {"data.txt": "a" * 50_000})
    monkeypatch.setattr(packaging, "UNZIPPED_LIMIT", 40_000)
    with pytest.raises(UserInputError, match=r"'items' is .* MB unzipped, over Lambda's"):
        build(root)
    monkeypatch.setattr(packaging, "UNZIPPED_LIMIT", 10**9)
    write_files(root / "lambda_src/items", {"data.txt": os.urandom(30_000).hex()})
    monkeypatch.setattr(packaging, "ZIPPED_LIMIT", 20_000)
    with pytest.raises(UserInputError, match=r"'items' is .* MB zipped, over Lambda's"):
        build(root)
    assert not list((root / ".deployer/build").glob("*.zip"))
