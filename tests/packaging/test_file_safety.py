"""`deployer package` keeps a package to what its folder holds: symlinks that leave the folder,
dangle or loop, special files and a function.toml that is not a regular file are exit 2 with
nothing written (docs/functions.md, "What a package holds"). Default exclusions:
test_default_excludes.py.
"""

from __future__ import annotations

import os
import socket
import stat
import zipfile
from pathlib import Path

import pytest
from helpers.builds import two_functions
from helpers.function_projects import HANDLER, snapshot, write_files
from typer.testing import CliRunner

from deployer.cli import app

runner = CliRunner()


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project with a good previous build: a failure must leave it exactly as it was."""
    root = two_functions(tmp_path / "repo")
    monkeypatch.chdir(root)
    first = runner.invoke(app, ["package"])
    assert first.exit_code == 0, first.output
    return root


def _outside(project: Path) -> Path:
    """A folder next to the project (outside the repo), holding a secret-looking file."""
    outside = project.parent / "outside"
    write_files(outside, {"credentials": "[default]\naws_secret_access_key = x\n"})
    return outside


def _refused(project: Path, *expected: str) -> str:
    """Package after an edit to items/: exit 2 naming `expected`, and nothing written."""
    before = snapshot(project / ".deployer")
    handler = project / "lambda_src/items/handler.py"
    handler.write_text(HANDLER + "# edited\n", encoding="utf-8")  # stale: only checks stop it
    result = runner.invoke(app, ["package"])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ")
    assert "Traceback" not in result.output
    for text in expected:
        assert text in result.output
    assert snapshot(project / ".deployer") == before
    assert not list((project / ".deployer/build").glob(".staging-*"))
    return result.output


def _zip_names(project: Path, function: str = "items") -> list[str]:
    with zipfile.ZipFile(project / f".deployer/build/{function}.zip") as archive:
        return archive.namelist()


# ---------------------------------------------------------------- links out of the folder


@pytest.mark.parametrize(
    "target",
    ["/proc/self/environ", "/etc/passwd", "/dev/null"],
    ids=["proc-environ", "etc-passwd", "dev-null"],
)
def test_a_link_to_a_system_file_is_refused(project, target) -> None:
    (project / "lambda_src/items/data.txt").symlink_to(target)
    _refused(project, "lambda_src/items/data.txt: is a symlink to " + target, "outside")


def test_a_link_to_a_credentials_file_outside_the_repo_is_refused(project) -> None:
    credentials = _outside(project) / "credentials"
    (project / "lambda_src/items/aws.ini").symlink_to(credentials)
    _refused(project, "lambda_src/items/aws.ini", str(credentials), "outside lambda_src/items/")


def test_a_link_to_a_folder_outside_the_repo_is_refused(project) -> None:
    outside = _outside(project)
    (project / "lambda_src/items/vendor").symlink_to(outside, target_is_directory=True)
    _refused(project, "lambda_src/items/vendor: is a symlink to", str(outside))


def test_a_dotdot_link_is_refused(project) -> None:
    (project / "lambda_src/items/up").symlink_to("..", target_is_directory=True)
    message = _refused(project, "lambda_src/items/up: is a symlink to .., that is ")
    assert "outside lambda_src/items/" in message


def test_a_relative_link_to_a_repo_file_outside_the_folder_is_refused(project) -> None:
    (project / "lambda_src/items/project.toml").symlink_to("../../pyproject.toml")
    _refused(project, "lambda_src/items/project.toml: is a symlink to ../../pyproject.toml")


def test_a_link_from_a_function_into_shared_is_refused(project) -> None:
    (project / "lambda_src/items/common2.py").symlink_to("../_shared/common.py")
    _refused(project, "lambda_src/items/common2.py", "../_shared/common.py")


def test_a_link_out_of_shared_is_refused(project) -> None:
    (project / "lambda_src/_shared/config.txt").symlink_to("/etc/passwd")
    _refused(project, "lambda_src/_shared/config.txt: is a symlink to /etc/passwd")


def test_a_link_deep_inside_a_subfolder_is_refused(project) -> None:
    (project / "lambda_src/items/pkg/data.bin").symlink_to("/proc/self/environ")
    _refused(project, "lambda_src/items/pkg/data.bin: is a symlink to /proc/self/environ")


@pytest.mark.parametrize("which", ["_shared", "function"])
def test_a_linked_folder_is_refused(project, which) -> None:
    elsewhere = project.parent / "elsewhere"
    folder = project / "lambda_src" / ("_shared" if which == "_shared" else "linked")
    if which == "_shared":
        os.rename(folder, elsewhere)
    else:
        write_files(elsewhere, {"function.toml": "", "handler.py": HANDLER})
    folder.symlink_to(elsewhere, target_is_directory=True)
    _refused(project, f"{folder.relative_to(project).as_posix()}: is a symlink to {elsewhere}")


# ---------------------------------------------------------------- loops and broken links


def test_two_links_pointing_at_each_other_are_a_loop(project) -> None:
    folder = project / "lambda_src/items"
    (folder / "a.py").symlink_to("b.py")
    (folder / "b.py").symlink_to("a.py")
    _refused(project, "lambda_src/items/a.py: is a symlink loop (b.py)")


@pytest.mark.parametrize("target", [".", "..", "absolute"])
def test_a_folder_link_back_up_is_refused_without_recursing(project, target) -> None:
    # Inside the folder, but it leads to a folder that holds the link: the walk would never end.
    link = project / "lambda_src/items/pkg/again"
    shown = str(project / "lambda_src/items") if target == "absolute" else target
    link.symlink_to(shown, target_is_directory=True)
    _refused(project, f"lambda_src/items/pkg/again: is a symlink to {shown}, a folder that holds")


def test_a_dangling_link_is_refused(project) -> None:
    (project / "lambda_src/items/gone.py").symlink_to("nowhere.py")
    _refused(project, "lambda_src/items/gone.py: is a broken symlink (to nowhere.py)")


def test_a_dangling_editor_lock_file_is_left_out_quietly(project) -> None:
    # Emacs keeps `.#file` lock links that point nowhere; dot-files never ship.
    (project / "lambda_src/items/.#handler.py").symlink_to("user@host.1234:1700000000")
    result = runner.invoke(app, ["package"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr


# ---------------------------------------------------------------- links inside the folder


def test_links_inside_the_folder_are_followed_and_stored_as_files(project) -> None:
    folder = project / "lambda_src/items"
    (folder / "alias.py").symlink_to("models.py")
    (folder / "lib").symlink_to("pkg", target_is_directory=True)
    (folder / "pkg/models_link.py").symlink_to("../models.py")
    result = runner.invoke(app, ["package"])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(project / ".deployer/build/items.zip") as archive:
        infos = {i.filename: i for i in archive.infolist()}
        assert archive.read("alias.py") == (folder / "models.py").read_bytes()
        assert archive.read("lib/util.py") == (folder / "pkg/util.py").read_bytes()
        assert archive.read("pkg/models_link.py") == (folder / "models.py").read_bytes()
    assert {"alias.py", "lib/__init__.py", "lib/util.py", "pkg/models_link.py"} <= set(infos)
    # Stored as regular files: the zip holds no link that Lambda would resolve elsewhere.
    assert all(stat.S_ISREG(i.external_attr >> 16) for i in infos.values())


def test_a_link_to_a_left_out_file_is_left_out_too(project) -> None:
    folder = project / "lambda_src/items"
    write_files(folder, {"id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n"})
    (folder / "config.txt").symlink_to("id_rsa")
    (folder / "helper.py").symlink_to("tests/helper.py")
    write_files(folder, {"tests/helper.py": "H = 1\n"})
    result = runner.invoke(app, ["package"])
    assert result.exit_code == 0, result.output
    names = _zip_names(project)
    assert "config.txt" not in names and "helper.py" not in names and "id_rsa" not in names
    assert (
        "warning: lambda_src/items/config.txt is not packaged: it links to id_rsa, which looks "
        'like an SSH key; to ship it, add include = ["id_rsa"]'
    ) in result.stderr
    assert "lambda_src/items/helper.py is not packaged: it links to tests/helper.py" in (
        result.stderr
    )


# ---------------------------------------------------------------- special files


def test_a_fifo_is_refused_without_blocking(project) -> None:
    os.mkfifo(project / "lambda_src/items/pipe")
    _refused(project, "lambda_src/items/pipe: is a named pipe (FIFO), not a regular file")


def test_a_socket_is_refused(project, monkeypatch) -> None:
    folder = project / "lambda_src/items"
    monkeypatch.chdir(folder)  # a relative bind: socket paths are limited to ~100 bytes
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("control.sock")
        monkeypatch.chdir(project)
        _refused(project, "lambda_src/items/control.sock: is a socket")


def test_a_device_is_refused(project) -> None:
    device = project / "lambda_src/_shared/null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD")
    _refused(project, "lambda_src/_shared/null: is a character device")


def test_a_fifo_left_out_by_a_rule_is_never_opened(project) -> None:
    os.mkfifo(project / "lambda_src/items/.queue")  # a dot-file: never packaged
    write_files(project / "lambda_src/items", {"tests/test_x.py": ""})
    os.mkfifo(project / "lambda_src/items/tests/pipe")
    result = runner.invoke(app, ["package"])
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- function.toml itself


def _manifest_refused(project: Path, what: str) -> None:
    _refused(project, f"lambda_src/items/function.toml: is {what}")
    assert (project / ".deployer/build/items.zip").is_file()  # the function did not drop out


@pytest.mark.parametrize(
    "target",
    ["nowhere.toml", "function.toml", "/dev/null", "../health/function.toml", "real.toml"],
    ids=["dangling", "loop", "dev-null", "another-manifest", "file-inside"],
)
def test_a_manifest_that_is_a_link_is_refused(project, target) -> None:
    manifest = project / "lambda_src/items/function.toml"
    (manifest.parent / "real.toml").write_text(manifest.read_text())
    manifest.unlink()
    manifest.symlink_to(target)
    _manifest_refused(project, f"a symlink to {target}")


def test_a_manifest_that_is_a_folder_is_refused(project) -> None:
    manifest = project / "lambda_src/items/function.toml"
    manifest.unlink()
    manifest.mkdir()
    _manifest_refused(project, "a folder")


def test_a_manifest_that_is_a_fifo_is_refused_without_blocking(project) -> None:
    manifest = project / "lambda_src/items/function.toml"
    manifest.unlink()
    os.mkfifo(manifest)
    _manifest_refused(project, "not a regular file")
