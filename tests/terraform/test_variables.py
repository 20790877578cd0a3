"""The one `Variable` (deployer.terraform.variables): what the tfvars checks and the module
docs both read from a folder's `variable` blocks."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT

from deployer.common import UserInputError
from deployer.stack import tfvars_check
from deployer.terraform import Variable, declared_variables
from deployer.terraform.module_docs import read_module

MAIN_TF = """\
variable "from_main" {
  type    = number
  default = 3
}
"""

VARIABLES_TF = """\
variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "owner" {
  description = <<-EOT
    Who answers for it.
    Says "me".
  EOT
  type = string
}

variable "tables" {
  type    = map(object({ hash_key = string }))
  default = { items = { hash_key = "id" } }
}

variable "nothing" {
  default = null
}

variable "db_password" {
  type      = string
  default   = null
  sensitive = true
}

variable "untyped" {}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    stack = tmp_path / "terraform"
    stack.mkdir()
    (stack / "variables.tf").write_text(VARIABLES_TF, encoding="utf-8")
    (stack / "main.tf").write_text(MAIN_TF, encoding="utf-8")
    (stack / "README.md").write_text("not read\n", encoding="utf-8")
    return stack


def test_each_variable_has_its_default_as_source_and_as_value(folder: Path) -> None:
    found = declared_variables(folder)
    assert found["region"] == Variable(
        name="region",
        description="AWS region.",
        type="string",
        default='"eu-west-1"',
        value="eu-west-1",
    )
    tables = found["tables"]
    assert tables.type == "map(object({hash_key = string}))"
    assert tables.default == '{items = {hash_key = "id"}}'
    assert tables.value == {"items": {"hash_key": "id"}}
    assert found["from_main"].default == "3" and found["from_main"].value == 3


def test_required_means_no_default_and_null_is_a_default(folder: Path) -> None:
    found = declared_variables(folder)
    assert found["owner"].required and found["owner"].default is None
    assert found["untyped"].required and found["untyped"].type == "any"
    assert not found["nothing"].required
    assert (found["nothing"].default, found["nothing"].value) == ("null", None)
    assert found["db_password"].sensitive and not found["db_password"].required
    assert not found["region"].sensitive


def test_a_heredoc_description_is_its_text(folder: Path) -> None:
    assert declared_variables(folder)["owner"].description == 'Who answers for it.\nSays "me".'


def test_variables_tf_is_read_first_then_the_other_files_by_name(folder: Path) -> None:
    assert list(declared_variables(folder)) == [
        "region",
        "owner",
        "tables",
        "nothing",
        "db_password",
        "untyped",
        "from_main",
    ]


def test_the_tfvars_checks_and_the_module_docs_read_the_same_variables(folder: Path) -> None:
    assert tfvars_check.Variable is Variable
    assert tfvars_check.declared_variables is declared_variables
    assert tuple(declared_variables(folder).values()) == read_module(folder).variables


def test_the_tfvars_check_falls_back_to_the_declared_default_value(folder: Path) -> None:
    tfvars = folder.parent / "dev.tfvars"
    tfvars.write_text('owner = "team-a"\nuntyped = 1\n', encoding="utf-8")
    check = tfvars_check.check_tfvars(tfvars, folder, root=folder.parent)
    assert check.value("tables") == {"items": {"hash_key": "id"}}
    assert check.value("from_main") == 3 and check.value("nothing") is None


def test_a_bad_file_is_named_relative_to_root(folder: Path) -> None:
    (folder / "broken.tf").write_text('variable "x" {\n  type = = string\n}\n', encoding="utf-8")
    with pytest.raises(UserInputError, match=r"^terraform/broken\.tf:2: not valid HCL"):
        declared_variables(folder, root=folder.parent)


def test_the_root_stack_declares_what_the_tfvars_set() -> None:
    found = declared_variables(REPO_ROOT / "terraform")
    assert {"app", "environment", "functions"} <= set(found)
    assert all(isinstance(v, Variable) for v in found.values())
    assert all(v.type and not v.type.startswith("${") for v in found.values())
