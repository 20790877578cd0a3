"""Packaging: reproducible zips, the build manifest, incremental builds, the dependency cache."""

from __future__ import annotations

import os
import shutil
import stat
import struct
import subprocess
import threading
import time
import zipfile
from pathlib import Path

import pytest
from function_projects import (
    HANDLER,
    simple_function,
    snapshot,
    terraform_filebase64sha256,
    write_files,
    write_project,
)

from deployer import __version__
from deployer.common.errors import DeployerError, UserInputError
from deployer.config.project import find_project
from deployer.packaging import builder as packaging
from deployer.packaging import dependencies as dependency_cache

ELF_MACHINE = {"aarch64": 183, "x86_64": 62}


def _build(root: Path, **kwargs) -> packaging.BuildResult:
    return packaging.build(find_project(root), progress=False, **kwargs)


def _zip_bytes(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / ".deployer/build").glob("*.zip"))}


class FakePip:
    """Stands in for pip where only the cache's bookkeeping is under test: fast and counted."""

    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.delay = delay
        self.fail = fail
        self._lock = threading.Lock()

    def __call__(self, command: list[str]) -> subprocess.CompletedProcess:
        with self._lock:
            self.calls.append(command)
        time.sleep(self.delay)
        if self.fail:
            out = "ERROR: No matching distribution found for broken-dep==9.9\n"
            return subprocess.CompletedProcess(command, 1, "", out)
        target = Path(command[command.index("--target") + 1])
        files = [Path(command[i + 1]) for i, arg in enumerate(command) if arg == "-r"]
        text = "".join(f.read_text() for f in files)
        write_files(
            target,
            {
                "fakedep/__init__.py": f"REQUIREMENTS = {text!r}\n",
                "fakedep/_speedups.so": "\x7fELF fake binary",
                "fakedep-1.0.dist-info/METADATA": "Name: fakedep\n",
                "fakedep-1.0.dist-info/RECORD": "fakedep/__init__.py,,\n../../bin/fake,,\n",
                "bin/fake": "#!/some/host/python\n",
            },
        )
        return subprocess.CompletedProcess(command, 0, "", "")


@pytest.fixture
def fake_pip(monkeypatch) -> FakePip:
    fake = FakePip()
    monkeypatch.setattr(dependency_cache, "run_pip", fake)
    return fake


def _two_functions(root: Path, **shared_files: str) -> Path:
    return write_project(
        root,
        {
            "items": simple_function(
                'memory = 256\n[[routes]]\nroute = "GET /items"\n',
                **{"models.py": "X = 1\n", "pkg/__init__.py": "", "pkg/util.py": "Y = 2\n"},
            ),
            "health": simple_function('[[routes]]\nroute = "GET /health"\nauth = "none"\n'),
        },
        shared={"common.py": "Z = 3\n", **shared_files},
    )


# ---------------------------------------------------------------- the zip and the manifest


def test_zip_contents_and_metadata_are_normalised(tmp_path) -> None:
    root = _two_functions(tmp_path)
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
    _build(root)
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
    root = _two_functions(tmp_path)
    result = _build(root)
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
    root = _two_functions(tmp_path)
    first = _build(root)
    before = _zip_bytes(root)
    _touch_and_chmod_everything(root / "lambda_src")
    assert _build(root).built == []  # content, not mtimes, decides what is stale
    forced = _build(root, force=True)
    assert forced.built == ["health", "items"]
    assert _zip_bytes(root) == before
    assert forced.manifest == first.manifest


def test_same_sources_elsewhere_give_byte_identical_zips(tmp_path, terraform_env) -> None:
    """A second clone at another path, other mtimes and another umask; real pip both times."""
    requirement = {"requirements.txt": "idna==3.10\n"}  # pure Python, with a console script
    root_a = _two_functions(tmp_path / "a")
    write_files(root_a / "lambda_src/items", requirement)
    result_a = _build(root_a)

    root_b = tmp_path / "somewhere" / "else" / "b"
    shutil.copytree(root_a, root_b, ignore=shutil.ignore_patterns(".deployer"))
    _touch_and_chmod_everything(root_b / "lambda_src")
    old_umask = os.umask(0o077)
    try:
        result_b = _build(root_b)
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
    root = _two_functions(tmp_path)
    _build(root)
    before = snapshot(root / ".deployer/build")
    result = _build(root)
    assert result.built == [] and result.skipped == ["health", "items"]
    assert snapshot(root / ".deployer/build") == before


def test_editing_one_function_rebuilds_only_it(tmp_path) -> None:
    root = _two_functions(tmp_path)
    first = _build(root)
    (root / "lambda_src/items/models.py").write_text("X = 2\n")
    second = _build(root)
    assert second.built == ["items"] and second.skipped == ["health"]
    hashes = {n: f["source_code_hash"] for n, f in second.manifest["functions"].items()}
    old = {n: f["source_code_hash"] for n, f in first.manifest["functions"].items()}
    assert hashes["health"] == old["health"] and hashes["items"] != old["items"]


def test_editing_shared_rebuilds_every_function(tmp_path) -> None:
    root = _two_functions(tmp_path)
    _build(root)
    (root / "lambda_src/_shared/common.py").write_text("Z = 4\n")
    assert _build(root).built == ["health", "items"]


def test_a_manifest_change_rebuilds_and_updates_the_settings(tmp_path) -> None:
    root = _two_functions(tmp_path)
    _build(root)
    (root / "lambda_src/health/function.toml").write_text(
        'memory = 512\n[[routes]]\nroute = "GET /health"\nauth = "none"\n'
    )
    result = _build(root)
    assert result.built == ["health"]
    assert result.manifest["functions"]["health"]["memory"] == 512


def test_force_rebuilds_everything(tmp_path) -> None:
    root = _two_functions(tmp_path)
    _build(root)
    assert _build(root, force=True).built == ["health", "items"]


def test_a_deleted_or_altered_zip_is_rebuilt(tmp_path) -> None:
    root = _two_functions(tmp_path)
    first = _build(root)
    (root / ".deployer/build/health.zip").unlink()
    items_zip = root / ".deployer/build/items.zip"
    items_zip.write_bytes(b"x" * items_zip.stat().st_size)  # same size, other bytes
    result = _build(root)
    assert result.built == ["health", "items"]
    assert result.manifest == first.manifest


def test_only_builds_one_function_and_keeps_the_others(tmp_path) -> None:
    root = _two_functions(tmp_path)
    first = _build(root)
    (root / "lambda_src/items/models.py").write_text("X = 5\n")
    (root / "lambda_src/health/handler.py").write_text(HANDLER + "# edited\n")
    result = _build(root, only="health")
    assert result.built == ["health"] and result.skipped == []
    assert result.manifest["functions"]["items"] == first.manifest["functions"]["items"]
    assert _build(root).built == ["items"]  # its edit is still pending


def test_unknown_only_name_suggests_one(tmp_path) -> None:
    root = _two_functions(tmp_path)
    with pytest.raises(UserInputError, match=r"'helth'.*did you mean \"health\""):
        _build(root, only="helth")


def test_a_removed_function_leaves_the_manifest_and_its_zip_goes(tmp_path) -> None:
    root = _two_functions(tmp_path)
    _build(root)
    shutil.rmtree(root / "lambda_src/health")
    result = _build(root)
    assert list(result.manifest["functions"]) == ["items"]
    assert not (root / ".deployer/build/health.zip").exists()


def test_a_file_in_both_function_and_shared_is_an_error(tmp_path) -> None:
    root = _two_functions(tmp_path)
    write_files(root / "lambda_src/items", {"common.py": "Z = 9\n"})
    with pytest.raises(UserInputError, match=r"lambda_src/items/common\.py would overwrite"):
        _build(root)
    assert not (root / ".deployer").exists()


def test_a_broken_symlink_is_an_error_not_a_traceback(tmp_path) -> None:
    root = _two_functions(tmp_path)
    (root / "lambda_src/items/gone.py").symlink_to(root / "nowhere.py")
    with pytest.raises(UserInputError, match=r"items/gone\.py: is not a regular file"):
        _build(root)


# ---------------------------------------------------------------- dependencies and the cache


def test_changing_requirements_reinstalls(tmp_path, fake_pip) -> None:
    root = _two_functions(tmp_path)
    write_files(root / "lambda_src/items", {"requirements.txt": "fakedep==1.0\n"})
    _build(root)
    assert len(fake_pip.calls) == 1
    (root / "lambda_src/items/requirements.txt").write_text("fakedep==1.0  # pinned\n")
    assert _build(root).built == []  # a comment changes nothing pip does
    (root / "lambda_src/items/requirements.txt").write_text("fakedep==2.0\n")
    assert _build(root).built == ["items"]
    assert len(fake_pip.calls) == 2
    with zipfile.ZipFile(root / ".deployer/build/items.zip") as archive:
        assert "fakedep==2.0" in archive.read("fakedep/__init__.py").decode()
        names = archive.namelist()
        record = archive.read("fakedep-1.0.dist-info/RECORD").decode()
        so_mode = stat.S_IMODE(archive.getinfo("fakedep/_speedups.so").external_attr >> 16)
    assert "bin/fake" not in names and "../../bin" not in record
    assert so_mode == 0o755
    assert "fakedep" not in [n.split("/")[0] for n in _zip_names(root, "health")]


def _zip_names(root: Path, name: str) -> list[str]:
    with zipfile.ZipFile(root / f".deployer/build/{name}.zip") as archive:
        return archive.namelist()


def test_shared_requirements_go_to_every_function(tmp_path, fake_pip) -> None:
    root = _two_functions(tmp_path, **{"requirements.txt": "fakedep==1.0\n"})
    _build(root)
    assert len(fake_pip.calls) == 1  # both functions: same requirements, same key
    assert "fakedep/__init__.py" in _zip_names(root, "health")
    assert "requirements.txt" not in _zip_names(root, "health")


def test_the_pip_command_targets_the_function_platform(tmp_path, fake_pip) -> None:
    root = write_project(
        tmp_path,
        {"fn": simple_function('runtime = "python3.11"\narchitecture = "x86_64"')},
    )
    write_files(root / "lambda_src/fn", {"requirements.txt": "fakedep\n"})
    _build(root)
    [command] = fake_pip.calls
    assert command[1:4] == ["-m", "pip", "install"]
    platforms = [command[i + 1] for i, a in enumerate(command) if a == "--platform"]
    assert platforms[0] == "manylinux2014_x86_64"
    assert "manylinux_2_26_x86_64" in platforms and "manylinux_2_28_x86_64" not in platforms
    for flag in ("--only-binary=:all:", "--no-compile"):
        assert flag in command
    assert command[command.index("--python-version") + 1] == "3.11"
    assert command[command.index("--implementation") + 1] == "cp"


def test_concurrent_builds_of_one_key_install_once(tmp_path, monkeypatch) -> None:
    fake = FakePip(delay=0.3)
    monkeypatch.setattr(dependency_cache, "run_pip", fake)
    root = write_project(tmp_path, {"fn": simple_function()})
    requirements_file = root / "lambda_src/fn/requirements.txt"
    requirements_file.write_text("fakedep\n")
    requirements = dependency_cache.read_requirements([requirements_file], root)
    key = dependency_cache.dependency_key(requirements, "python3.12", "arm64")
    cache_root = tmp_path / "cache"
    folders: list[Path] = []

    def one_build() -> None:  # a separate DependencyCache: like a second deployer process
        cache = dependency_cache.DependencyCache(cache_root)
        folders.append(cache.ensure(key, requirements, "python3.12", "arm64", ["fn"]))

    threads = [threading.Thread(target=one_build) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(fake.calls) == 1
    assert len(set(folders)) == 1 and (folders[0] / "fakedep/__init__.py").is_file()
    assert sorted(p.name for p in cache_root.iterdir() if p.is_dir()) == [key]  # no leftovers


def test_a_failed_build_leaves_the_previous_build_intact(tmp_path, monkeypatch, fake_pip) -> None:
    root = _two_functions(tmp_path)
    _build(root)
    before = snapshot(root / ".deployer/build")
    (root / "lambda_src/health/handler.py").write_text(HANDLER + "# changed\n")
    write_files(root / "lambda_src/items", {"requirements.txt": "broken-dep==9.9\n"})
    fake_pip.fail = True
    with pytest.raises(DeployerError) as caught:
        _build(root)
    message = caught.value.message
    assert message.startswith("items: pip could not install the requirement 'broken-dep==9.9'")
    assert "items/requirements.txt" in message and "python3.12 arm64" in message
    assert snapshot(root / ".deployer/build") == before  # health's new zip was not kept either
    assert not list((root / ".deployer/cache/deps").glob("*/"))


def test_unsupported_requirement_options_are_refused(tmp_path) -> None:
    root = _two_functions(tmp_path)
    write_files(root / "lambda_src/items", {"requirements.txt": "idna\n-r ../other.txt\n"})
    with pytest.raises(UserInputError, match=r"lambda_src/items/requirements.txt: line 2"):
        _build(root)
    assert not (root / ".deployer").exists()


def test_size_limits_name_the_function(tmp_path, monkeypatch) -> None:
    root = _two_functions(tmp_path)
    write_files(root / "lambda_src/items", {"data.txt": "a" * 50_000})
    monkeypatch.setattr(packaging, "UNZIPPED_LIMIT", 40_000)
    with pytest.raises(UserInputError, match=r"'items' is .* MB unzipped, over Lambda's"):
        _build(root)
    monkeypatch.setattr(packaging, "UNZIPPED_LIMIT", 10**9)
    write_files(root / "lambda_src/items", {"data.txt": os.urandom(30_000).hex()})
    monkeypatch.setattr(packaging, "ZIPPED_LIMIT", 20_000)
    with pytest.raises(UserInputError, match=r"'items' is .* MB zipped, over Lambda's"):
        _build(root)
    assert not list((root / ".deployer/build").glob("*.zip"))


# ---------------------------------------------------------------- real pip, other platforms


@pytest.fixture(scope="module")
def twenty_functions(tmp_path_factory):
    """20 arm64 functions and one x86_64 one, all needing markupsafe (compiled wheels)."""
    root = tmp_path_factory.mktemp("twenty")
    functions = {f"fn{i:02d}": simple_function() for i in range(20)}
    functions["intel"] = simple_function('architecture = "x86_64"')
    write_project(root, functions)
    for folder in functions:
        (root / "lambda_src" / folder / "requirements.txt").write_text("markupsafe==3.0.2\n")
    calls: list[list[str]] = []
    real_pip = dependency_cache.run_pip

    def counting_pip(command):
        calls.append(command)
        return real_pip(command)

    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(dependency_cache.CACHE_DIR_ENV, raising=False)
        patch.setattr(dependency_cache, "run_pip", counting_pip)
        result = _build(root)
    return root, result, calls


def test_functions_sharing_requirements_install_once(twenty_functions) -> None:
    root, result, calls = twenty_functions
    assert len(result.built) == 21
    assert len(calls) == 2  # one per (requirements, runtime, architecture)
    assert len(list((root / ".deployer/cache/deps").glob("*/"))) == 2


def _elf_machines(zip_file: Path) -> dict[str, int]:
    machines = {}
    with zipfile.ZipFile(zip_file) as archive:
        for name in archive.namelist():
            if name.endswith(".so"):
                header = archive.read(name)[:20]
                assert header[:4] == b"\x7fELF" and header[5] == 1  # little-endian
                machines[name] = struct.unpack_from("<H", header, 18)[0]
    return machines


def test_arm64_functions_get_aarch64_extensions_on_any_host(twenty_functions) -> None:
    root, _, _ = twenty_functions
    arm = _elf_machines(root / ".deployer/build/fn07.zip")
    assert arm and set(arm.values()) == {ELF_MACHINE["aarch64"]}
    assert all("cpython-312-aarch64" in name for name in arm)
    intel = _elf_machines(root / ".deployer/build/intel.zip")
    assert intel and set(intel.values()) == {ELF_MACHINE["x86_64"]}


def test_functions_with_equal_inputs_get_equal_zips(twenty_functions) -> None:
    _, result, _ = twenty_functions
    functions = result.manifest["functions"]
    hashes = {f["source_code_hash"] for name, f in functions.items() if name != "intel"}
    assert len(hashes) == 1  # same code, same deps: the folder name is not in the bytes


def test_a_missing_requirement_names_function_and_requirement(tmp_path) -> None:
    root = _two_functions(tmp_path)
    write_files(
        root / "lambda_src/items", {"requirements.txt": "deployer-test-no-such-package==0.0.1\n"}
    )
    with pytest.raises(DeployerError) as caught:
        _build(root)
    message = caught.value.message
    assert message.startswith("items: pip could not install the requirement")
    assert "deployer-test-no-such-package==0.0.1" in message
    assert not (root / ".deployer/build/manifest.json").exists()
