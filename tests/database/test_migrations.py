"""deployer.database before it calls anything: when there is nothing to migrate, it says so
(or, after an apply, quietly does nothing) without reaching AWS. The calls themselves, against
a running emulator and a real PostgreSQL: tests/cli/test_db.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.function_projects import simple_function, write_files, write_project

from deployer.common import UserInputError
from deployer.config import find_project
from deployer.database import migrate, migrate_after_apply, status

BACKEND = 'bucket = "b"\nkey = "dev/terraform.tfstate"\nregion = "eu-west-1"\n'


def project(root: Path, *, function: bool = True, files: bool = True, database: bool = True):
    functions = {"items": simple_function()}
    if function:
        functions["db_migrate"] = simple_function()
    write_project(root, functions, envs=())
    (root / "envs" / "dev.tfvars").write_text(
        f"database = {{ enabled = {str(database).lower()} }}\n", encoding="utf-8"
    )
    (root / "envs" / "dev.backend.hcl").write_text(BACKEND, encoding="utf-8")
    if files:
        write_files(root / "migrations", {"0001_items.sql": "CREATE TABLE items (id int);\n"})
    return find_project(root)


@pytest.fixture(autouse=True)
def _no_aws(monkeypatch):
    """Any AWS call would fail fast: these paths must not make one."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "none")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "none")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")


@pytest.mark.parametrize(
    "kind", [{"function": False}, {"files": False}, {"database": False}], ids=str
)
def test_after_an_apply_there_is_nothing_to_do_without_function_files_or_database(tmp_path, kind):
    assert migrate_after_apply(project(tmp_path, **kind), "dev") is None


def test_without_the_migrate_function_the_commands_say_how_to_add_it(tmp_path):
    proj = project(tmp_path, function=False)
    for command in (migrate, status):
        with pytest.raises(UserInputError) as raised:
            command(proj, "dev")
        assert raised.value.message.startswith(
            "The project has no migration function: lambda_src/db_migrate/ does not exist"
        )


def test_without_a_database_the_commands_name_the_tfvars(tmp_path):
    with pytest.raises(UserInputError) as raised:
        migrate(project(tmp_path, database=False), "dev", dry_run=True)
    assert raised.value.message == (
        "envs/dev.tfvars has no database (database.enabled is false), so dev has nothing to "
        "migrate; enable it there and run deployer apply dev."
    )


def test_an_unknown_environment_is_bad_input(tmp_path):
    with pytest.raises(UserInputError, match="Unknown environment 'qa'"):
        status(project(tmp_path), "qa")
