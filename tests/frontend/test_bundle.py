"""The frontend's settings, build and zip: what `deployer publish` uploads."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest
from helpers.function_projects import write_project

from deployer.common import ProcessError, UserInputError
from deployer.config import find_project
from deployer.frontend import CONFIG_FILE, config_document, make_bundle
from deployer.frontend.bundle import frontend_settings, run_build

OUTPUTS = {"api_url": "https://abc.execute-api.eu-west-1.amazonaws.com/", "region": "eu-west-1"}


def project_with(tmp_path: Path, table: str, files: dict[str, str] | None = None):
    root = write_project(tmp_path / "p", {})
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.deployer.frontend]\n" + table)
    for name, text in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return find_project(root)


def entries(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


SITE = {
    "site/index.html": "<h1>items</h1>",
    "site/app.js": "console.log(1)",
    "site/css/style.css": "body{}",
    "site/.env": "SECRET=1",
}


def test_the_zip_holds_the_site_and_the_environments_config(tmp_path):
    project = project_with(tmp_path, 'source = "site"\n', SITE)
    settings = frontend_settings(project)
    bundle = make_bundle(project, settings, config_document(OUTPUTS, "dev"), tmp_path / "s.zip")
    files = entries(bundle.path)
    assert sorted(files) == ["app.js", CONFIG_FILE, "css/style.css", "index.html"]
    assert json.loads(files[CONFIG_FILE]) == {
        "environment": "dev",
        "apiUrl": OUTPUTS["api_url"],
        "region": "eu-west-1",
    }
    assert bundle.files == 4


def test_the_same_files_give_the_same_bytes_and_a_change_a_new_hash(tmp_path):
    project = project_with(tmp_path, 'source = "site"\n', SITE)
    settings = frontend_settings(project)
    config = config_document(OUTPUTS, "dev")
    first = make_bundle(project, settings, config, tmp_path / "a.zip")
    (project.root / "site/app.js").touch()  # a new mtime changes nothing
    again = make_bundle(project, settings, config, tmp_path / "b.zip")
    assert first.sha256 == again.sha256
    assert first.path.read_bytes() == again.path.read_bytes()
    other_env = make_bundle(project, settings, config_document(OUTPUTS, "qa"), tmp_path / "c.zip")
    assert other_env.sha256 != first.sha256
    (project.root / "site/app.js").write_text("console.log(2)")
    edited = make_bundle(project, settings, config, tmp_path / "d.zip")
    assert edited.sha256 != first.sha256


def test_a_config_json_of_the_build_is_replaced_by_the_environments(tmp_path):
    files = {**SITE, "site/config.json": '{"apiUrl": "http://baked-in"}'}
    project = project_with(tmp_path, 'source = "site"\n', files)
    bundle = make_bundle(
        project, frontend_settings(project), config_document(OUTPUTS, "dev"), tmp_path / "s.zip"
    )
    assert json.loads(entries(bundle.path)[CONFIG_FILE])["apiUrl"] == OUTPUTS["api_url"]


def test_the_build_command_runs_in_the_source_folder_and_fills_dist(tmp_path):
    script = (
        "import pathlib; d = pathlib.Path('out'); d.mkdir(); "
        "(d / 'index.html').write_text(pathlib.Path('page.txt').read_text())"
    )
    build = f'{sys.executable} -c \\"{script}\\"'
    project = project_with(
        tmp_path,
        f'source = "web"\ndist = "web/out"\nbuild = "{build}"\n',
        {"web/page.txt": "<p>built</p>"},
    )
    settings = frontend_settings(project)
    lines: list[str] = []
    run_build(project, settings, lambda channel, line: lines.append(line))
    bundle = make_bundle(project, settings, {}, tmp_path / "s.zip")
    assert entries(bundle.path)["index.html"] == b"<p>built</p>"


def test_a_failed_build_names_the_setting_and_shows_its_output(tmp_path):
    project = project_with(
        tmp_path,
        'source = "web"\nbuild = "echo compiling; echo broken >&2; exit 3"\n',
        {"web/index.html": "x"},
    )
    with pytest.raises(ProcessError) as caught:
        run_build(project, frontend_settings(project), None)
    message = caught.value.message
    assert "[tool.deployer.frontend] build" in message and "exit code 3" in message
    assert "broken" in message


@pytest.mark.parametrize(
    ("table", "files", "expected"),
    [
        ('source = "site"\n', {"site/app.js": "x"}, "has no index.html"),
        ('source = "site"\ndist = "site/dist"\n', {"site/index.html": "x"}, "dist = 'site/dist'"),
    ],
)
def test_a_site_without_its_files_is_refused(tmp_path, table, files, expected):
    project = project_with(tmp_path, table, files)
    with pytest.raises(UserInputError, match=expected):
        make_bundle(project, frontend_settings(project), {}, tmp_path / "s.zip")
    assert not (tmp_path / "s.zip").exists()


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('source = "/srv/site"\n', "source"),
        ('source = "../elsewhere"\n', "source"),
        ('dist = ""\n', "dist"),
        ("build = 3\n", "build"),
        ('sources = "web"\n', "unknown key 'sources'"),
    ],
)
def test_bad_settings_name_the_key(tmp_path, table, key):
    with pytest.raises(UserInputError, match=r"\[tool.deployer\].frontend: " + key):
        project_with(tmp_path, table)


def test_a_project_without_the_table_has_no_frontend(tmp_path):
    project = find_project(write_project(tmp_path / "p", {}))
    assert project.settings.frontend is None
    with pytest.raises(UserInputError, match=r"no \[tool.deployer.frontend\] table"):
        frontend_settings(project)
