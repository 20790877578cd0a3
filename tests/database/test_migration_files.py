"""The project's migration files (deployer.config.migrations) and the migrate function's
package (deployer.packaging): names checked before anything runs, the files packaged under
migrations/, reproducibly, and a changed file rebuilding that one package."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest
from helpers.builds import build
from helpers.function_projects import simple_function, snapshot, write_files, write_project

from deployer.common import UserInputError
from deployer.config import find_project, list_migrations
from deployer.functions import load_functions

FIRST = "CREATE TABLE items (id int);\n"


def project(
    root: Path,
    migrations: dict[str, str] | None = None,
    *,
    settings: str = "",
    folder: str = "migrations",
) -> Path:
    """A project with a migrate function (db_migrate), another function, and migrations/."""
    write_project(root, {"db_migrate": simple_function(), "items": simple_function()})
    if settings:
        pyproject = root / "pyproject.toml"
        pyproject.write_text(pyproject.read_text(encoding="utf-8") + settings, encoding="utf-8")
    if migrations is not None:
        write_files(root / folder, migrations)
    return root


def packaged(root: Path, function: str = "db_migrate") -> dict[str, bytes]:
    with zipfile.ZipFile(root / ".deployer" / "build" / f"{function}.zip") as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# --- names -----------------------------------------------------------------------------------


def test_migrations_are_the_sql_files_in_version_order(tmp_path):
    root = project(
        tmp_path,
        {
            "0002_add_prices.sql": "SELECT 2;\n",
            "0001_items.sql": FIRST,
            "README.md": "not a migration\n",
            "drafts/0003_later.sql": "SELECT 3;\n",  # subfolders are not migrations
        },
    )
    found = list_migrations(find_project(root))
    assert [(m.version, m.name) for m in found] == [
        ("0001", "0001_items.sql"),
        ("0002", "0002_add_prices.sql"),
    ]
    assert found[0].checksum == hashlib.sha256(FIRST.encode()).hexdigest()
    assert list_migrations(find_project(project(tmp_path / "none"))) == []  # no folder: none


@pytest.mark.parametrize(
    "name", ["1_items.sql", "0001-items.sql", "0001_Items.sql", "0001_items.SQL", "00001_a.sql"]
)
def test_a_misnamed_file_is_one_sentence_naming_it_before_anything_is_built(tmp_path, name):
    root = project(tmp_path, {"0001_items.sql": FIRST, name: "SELECT 1;\n"})
    with pytest.raises(UserInputError) as raised:
        build(root)
    message = raised.value.message
    assert message.startswith(f"migrations/{name}: a migration is named NNNN_description.sql")
    assert "rename the file" in message
    assert snapshot(root / ".deployer") == {}  # nothing written
    with pytest.raises(UserInputError, match=name):  # `deployer validate` reads them too
        load_functions(find_project(root))


def test_two_files_with_one_version_and_several_problems_are_reported_together(tmp_path):
    root = project(
        tmp_path,
        {"0001_items.sql": FIRST, "0001_other.sql": "SELECT 1;\n", "2_bad.sql": "SELECT 2;\n"},
    )
    with pytest.raises(UserInputError) as raised:
        load_functions(find_project(root))
    message = raised.value.message
    assert "2 problems" in message
    assert "migrations/0001_other.sql: version 0001 is already used by 0001_items.sql" in message
    assert "migrations/2_bad.sql: a migration is named" in message


def test_without_the_migrate_function_the_folder_is_not_the_deployers(tmp_path):
    # Another tool's migrations (Flyway's V1__init.sql) in a project without db_migrate.
    root = write_project(tmp_path, {"items": simple_function()})
    write_files(root / "migrations", {"V1__init.sql": FIRST})
    assert [s.name for s in load_functions(find_project(root))] == ["items"]
    assert build(root).built == ["items"]


def test_bad_settings_are_refused(tmp_path):
    for settings, field in [
        ('migrations = "/srv/sql"\n', "migrations"),
        ('migrations = "../shared/sql"\n', "migrations"),
        ('migrate_function = "db migrate"\n', "migrate_function"),
    ]:
        root = write_project(tmp_path / field / str(len(settings)), {})
        pyproject = root / "pyproject.toml"
        pyproject.write_text(pyproject.read_text(encoding="utf-8") + settings, encoding="utf-8")
        with pytest.raises(UserInputError, match=rf"\[tool.deployer\]: {field} = "):
            find_project(root)


# --- the package -----------------------------------------------------------------------------


def test_the_migrate_functions_package_holds_the_migrations(tmp_path):
    root = project(tmp_path, {"0001_items.sql": FIRST, "0002_more.sql": "SELECT 2;\n"})
    build(root)
    files = packaged(root)
    assert files["migrations/0001_items.sql"] == FIRST.encode()
    assert files["migrations/0002_more.sql"] == b"SELECT 2;\n"
    assert "handler.py" in files
    assert not any(name.startswith("migrations/") for name in packaged(root, "items"))
    with zipfile.ZipFile(root / ".deployer/build/db_migrate.zip") as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_the_folder_and_the_function_come_from_the_settings(tmp_path):
    settings = 'migrations = "db/sql"\nmigrate_function = "items"\n'
    root = project(tmp_path, {"0001_items.sql": FIRST}, settings=settings, folder="db/sql")
    build(root)
    assert "migrations/0001_items.sql" in packaged(root, "items")
    assert not any(name.startswith("migrations/") for name in packaged(root, "db_migrate"))


def test_a_changed_migration_rebuilds_only_the_migrate_function(tmp_path):
    root = project(tmp_path, {"0001_items.sql": FIRST})
    assert build(root).built == ["db_migrate", "items"]
    assert build(root).built == []
    (root / "migrations/0001_items.sql").touch()  # touched, not changed: nothing to do
    assert build(root).built == []
    (root / "migrations/0001_items.sql").write_text("CREATE TABLE items (id bigint);\n")
    assert build(root).built == ["db_migrate"]
    assert packaged(root)["migrations/0001_items.sql"] == b"CREATE TABLE items (id bigint);\n"
    (root / "migrations/0002_more.sql").write_text("SELECT 2;\n")
    assert build(root).built == ["db_migrate"]
    (root / "migrations/0002_more.sql").unlink()
    assert build(root).built == ["db_migrate"]
    assert "migrations/0002_more.sql" not in packaged(root)


def test_the_same_migrations_elsewhere_give_a_byte_identical_package(tmp_path):
    first = project(tmp_path / "a", {"0001_items.sql": FIRST, "0002_more.sql": "SELECT 2;\n"})
    build(first)
    second = tmp_path / "b"
    shutil.copytree(first, second, ignore=shutil.ignore_patterns(".deployer"))
    for path in (second / "migrations").iterdir():
        path.chmod(0o600)
    build(second)
    a, b = (r / ".deployer/build/db_migrate.zip" for r in (first, second))
    assert a.read_bytes() == b.read_bytes()


def test_a_migrations_folder_of_the_function_itself_is_an_error(tmp_path):
    root = project(tmp_path, {"0001_items.sql": FIRST})
    write_files(root / "lambda_src/db_migrate/migrations", {"0002_hidden.sql": "SELECT 2;\n"})
    with pytest.raises(UserInputError, match=r"lambda_src/db_migrate/migrations/0002_hidden.sql"):
        build(root)
