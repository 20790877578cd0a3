"""Requirements of functions (deployer.packaging.dependencies): pip for the function's
platform, the dependency cache shared by functions and processes, and pip's failures."""

from __future__ import annotations

import stat
import struct
import subprocess
import threading
import time
import zipfile
from pathlib import Path

import pytest
from helpers.builds import build, two_functions
from helpers.function_projects import HANDLER, simple_function, snapshot, write_files, write_project

from deployer.common.errors import DeployerError, UserInputError
from deployer.packaging import dependencies as dependency_cache

ELF_MACHINE = {"aarch64": 183, "x86_64": 62}


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
def fake_pip(monkeypatch, tmp_path) -> FakePip:
    """Fake installs go to a cache of the test's own, never one real builds read."""
    fake = FakePip()
    monkeypatch.setattr(dependency_cache, "run_pip", fake)
    monkeypatch.setenv(dependency_cache.CACHE_DIR_ENV, str(tmp_path / "fake-cache"))
    return fake


# ---------------------------------------------------------------- dependencies and the cache


def test_changing_requirements_reinstalls(tmp_path, fake_pip) -> None:
    root = two_functions(tmp_path)
    write_files(root / "lambda_src/items", {"requirements.txt": "fakedep==1.0\n"})
    build(root)
    assert len(fake_pip.calls) == 1
    (root / "lambda_src/items/requirements.txt").write_text("fakedep==1.0  # pinned\n")
    assert build(root).built == []  # a comment changes nothing pip does
    (root / "lambda_src/items/requirements.txt").write_text("fakedep==2.0\n")
    assert build(root).built == ["items"]
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
    root = two_functions(tmp_path, **{"requirements.txt": "fakedep==1.0\n"})
    build(root)
    assert len(fake_pip.calls) == 1  # both functions: same requirements, same key
    assert "fakedep/__init__.py" in _zip_names(root, "health")
    assert "requirements.txt" not in _zip_names(root, "health")


def test_the_pip_command_targets_the_function_platform(tmp_path, fake_pip) -> None:
    root = write_project(
        tmp_path,
        {"fn": simple_function('runtime = "python3.11"\narchitecture = "x86_64"')},
    )
    write_files(root / "lambda_src/fn", {"requirements.txt": "fakedep\n"})
    build(root)
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
    root = two_functions(tmp_path)
    build(root)
    before = snapshot(root / ".deployer/build")
    (root / "lambda_src/health/handler.py").write_text(HANDLER + "# changed\n")
    write_files(root / "lambda_src/items", {"requirements.txt": "broken-dep==9.9\n"})
    fake_pip.fail = True
    with pytest.raises(DeployerError) as caught:
        build(root)
    message = caught.value.message
    assert message.startswith("items: pip could not install the requirement 'broken-dep==9.9'")
    assert "items/requirements.txt" in message and "python3.12 arm64" in message
    assert snapshot(root / ".deployer/build") == before  # health's new zip was not kept either
    assert not list(dependency_cache.default_cache_root().glob("*/"))


def test_unsupported_requirement_options_are_refused(tmp_path) -> None:
    root = two_functions(tmp_path)
    write_files(root / "lambda_src/items", {"requirements.txt": "idna\n-r ../other.txt\n"})
    with pytest.raises(UserInputError, match=r"lambda_src/items/requirements.txt: line 2"):
        build(root)
    assert not (root / ".deployer").exists()


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

    cache = root.parent / "twenty-cache"  # cold: every set is installed here
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(dependency_cache.CACHE_DIR_ENV, str(cache))
        patch.setattr(dependency_cache, "run_pip", counting_pip)
        result = build(root)
    return root, result, calls, cache


def test_functions_sharing_requirements_install_once(twenty_functions) -> None:
    _, result, calls, cache = twenty_functions
    assert len(result.built) == 21
    assert len(calls) == 2  # one per (requirements, runtime, architecture)
    assert len(list((cache / "deps").glob("*/"))) == 2


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
    root, _, _, _ = twenty_functions
    arm = _elf_machines(root / ".deployer/build/fn07.zip")
    assert arm and set(arm.values()) == {ELF_MACHINE["aarch64"]}
    assert all("cpython-312-aarch64" in name for name in arm)
    intel = _elf_machines(root / ".deployer/build/intel.zip")
    assert intel and set(intel.values()) == {ELF_MACHINE["x86_64"]}


def test_functions_with_equal_inputs_get_equal_zips(twenty_functions) -> None:
    _, result, _, _ = twenty_functions
    functions = result.manifest["functions"]
    hashes = {f["source_code_hash"] for name, f in functions.items() if name != "intel"}
    assert len(hashes) == 1  # same code, same deps: the folder name is not in the bytes


def test_a_missing_requirement_names_function_and_requirement(tmp_path) -> None:
    root = two_functions(tmp_path)
    write_files(
        root / "lambda_src/items", {"requirements.txt": "deployer-test-no-such-package==0.0.1\n"}
    )
    with pytest.raises(DeployerError) as caught:
        build(root)
    message = caught.value.message
    assert message.startswith("items: pip could not install the requirement")
    assert "deployer-test-no-such-package==0.0.1" in message
    assert not (root / ".deployer/build/manifest.json").exists()
