"""`deployer docs`: README tables generated from a module's variables and outputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deployer.cli import app
from deployer.common.errors import UserInputError
from deployer.terraform.module_docs import (
    BEGIN_MARKER,
    END_MARKER,
    generate,
    read_module,
    render_tables,
)

runner = CliRunner()

VARIABLES_TF = """\
variable "function_name" {
  description = "Name of the function."
  type        = string
}

variable "runtime" {
  description = "Lambda runtime identifier."
  type        = string
  default     = "python3.12"
}

variable "policy_statements" {
  description = <<-EOT
    IAM statements for the role.
    Actions must not contain "*".
  EOT
  type = list(object({
    sid     = optional(string)
    actions = list(string)
  }))
  default = []

  validation {
    condition = alltrue([
      for s in var.policy_statements : !anytrue([for a in s.actions : strcontains(a, "*")])
    ])
    error_message = "Actions must not contain a wildcard."
  }
}

variable "vpc_config" {
  description = "Subnets | security groups, or null."
  type = object({
    subnet_ids = list(string)
  })
  default = null
}

variable "reserved" {
  description = "Reserved concurrency, -1 for none."
  type        = number
  default     = -1
}

variable "token" {
  description = "Access token."
  type        = string
  default     = null
  sensitive   = true
}

variable "rules" {
  description = "Rewrite rules."
  type        = list(object({ source = string, target = string }))
  default     = [{ source = "/<*>", target = "/index.html" }]
}

variable "untyped" {}
"""

OUTPUTS_TF = """\
output "lambda_function_arn" {
  description = "ARN of the function."
  value       = try(aws_lambda_function.this[0].arn, null)
}

output "secret" {
  description = "A secret."
  value       = "x"
  sensitive   = true
}
"""

README = f"""\
# example

Hand-written purpose.

{BEGIN_MARKER}
stale content
{END_MARKER}

Closing prose.
"""


def _module(root: Path, name: str = "example", readme: str | None = README) -> Path:
    module = root / name
    module.mkdir(parents=True)
    (module / "variables.tf").write_text(VARIABLES_TF, encoding="utf-8")
    (module / "outputs.tf").write_text(OUTPUTS_TF, encoding="utf-8")
    if readme is not None:
        (module / "README.md").write_text(readme, encoding="utf-8")
    return module


def test_read_module_decodes_python_hcl2_source_forms(tmp_path: Path) -> None:
    interface = read_module(_module(tmp_path))
    by_name = {v.name: v for v in interface.variables}
    assert [v.name for v in interface.variables][:3] == [
        "function_name",
        "runtime",
        "policy_statements",
    ]
    assert by_name["function_name"].required and by_name["function_name"].default is None
    assert by_name["runtime"].default == '"python3.12"'
    assert by_name["runtime"].description == "Lambda runtime identifier."
    # A heredoc description comes back as its text, quotes unescaped.
    assert by_name["policy_statements"].description == (
        'IAM statements for the role.\nActions must not contain "*".'
    )
    assert by_name["policy_statements"].type == (
        "list(object({sid = optional(string), actions = list(string)}))"
    )
    assert by_name["policy_statements"].default == "[]"
    assert by_name["vpc_config"].default == "null" and not by_name["vpc_config"].required
    assert by_name["reserved"].default == "-1"
    assert by_name["token"].sensitive
    assert by_name["rules"].default == '[{source = "/<*>", target = "/index.html"}]'
    assert by_name["untyped"].type == "any" and by_name["untyped"].required
    assert [(o.name, o.sensitive) for o in interface.outputs] == [
        ("lambda_function_arn", False),
        ("secret", True),
    ]


def test_tables_escape_pipes_and_join_lines(tmp_path: Path) -> None:
    tables = render_tables(read_module(_module(tmp_path)))
    lines = tables.splitlines()
    assert lines[0] == "## Inputs"
    assert "| `function_name` | Name of the function. | `string` | n/a | yes |" in lines
    assert '| `runtime` | Lambda runtime identifier. | `string` | `"python3.12"` | no |' in lines
    assert any(
        line.startswith("| `policy_statements` | IAM statements for the role.<br>Actions must")
        for line in lines
    )
    assert any("Subnets \\| security groups, or null." in line for line in lines)
    assert "| `token` | Access token. (sensitive) | `string` | `null` | no |" in lines
    assert "| `lambda_function_arn` | ARN of the function. |" in lines
    # Every table row has the same number of cells as its header (no stray pipes).
    for line in lines:
        if line.startswith("| `"):
            cells = line.replace("\\|", "").count("|")
            assert cells in (6, 3), line


def test_generate_replaces_only_the_marked_section(tmp_path: Path) -> None:
    module = _module(tmp_path)
    [result] = generate([module])
    assert result.written and not result.up_to_date
    text = (module / "README.md").read_text(encoding="utf-8")
    assert text.startswith("# example\n\nHand-written purpose.\n\n" + BEGIN_MARKER + "\n## Inputs")
    assert text.endswith(END_MARKER + "\n\nClosing prose.\n")
    assert "stale content" not in text
    [again] = generate([module])
    assert again.up_to_date and not again.written
    assert (module / "README.md").read_text(encoding="utf-8") == text


def test_check_names_the_stale_readme_and_writes_nothing(tmp_path: Path) -> None:
    module = _module(tmp_path)
    result = runner.invoke(app, ["docs", str(module), "--check"])
    assert result.exit_code == 1
    assert f"{module / 'README.md'} is out of date" in result.output
    assert f"deployer docs {module}" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "stale content" in (module / "README.md").read_text(encoding="utf-8")


def test_cli_writes_then_check_passes(tmp_path: Path) -> None:
    module = _module(tmp_path)
    first = runner.invoke(app, ["docs", str(module)])
    assert first.exit_code == 0, first.output
    assert "updated" in first.output
    check = runner.invoke(app, ["docs", str(module), "--check", "--json"])
    assert check.exit_code == 0, check.output
    data = json.loads(check.output)
    assert data["ok"] is True
    assert data["modules"][0]["up_to_date"] is True


def test_a_variable_change_makes_the_readme_stale(tmp_path: Path) -> None:
    module = _module(tmp_path)
    generate([module])
    with (module / "variables.tf").open("a", encoding="utf-8") as handle:
        handle.write('\nvariable "added" {\n  description = "New."\n  type = bool\n}\n')
    result = runner.invoke(app, ["docs", str(module), "--check"])
    assert result.exit_code == 1
    generate([module])
    assert "| `added` | New. | `bool` | n/a | yes |" in (module / "README.md").read_text()


def test_module_without_variables_tf_is_exit_2(tmp_path: Path) -> None:
    module = tmp_path / "empty"
    module.mkdir()
    result = runner.invoke(app, ["docs", str(module), "--check"])
    assert result.exit_code == 2
    assert "has no variables.tf" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("readme", "expected"),
    [
        ("# no markers\n", "has no generated-docs markers: add a line " + BEGIN_MARKER),
        (f"{END_MARKER}\n{BEGIN_MARKER}\n", "exactly one"),
        (f"{BEGIN_MARKER}\n{END_MARKER}\n{END_MARKER}\n", "exactly one"),
        (None, "README.md does not exist"),
    ],
)
def test_bad_readme_is_exit_2_with_the_fix(tmp_path: Path, readme, expected: str) -> None:
    module = _module(tmp_path, readme=readme)
    result = runner.invoke(app, ["docs", str(module)])
    assert result.exit_code == 2
    assert expected in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_invalid_hcl_is_exit_2_naming_the_file(tmp_path: Path) -> None:
    module = _module(tmp_path)
    (module / "main.tf").write_text('resource "x" {\n  a = \n', encoding="utf-8")
    result = runner.invoke(app, ["docs", str(module)])
    assert result.exit_code == 2
    assert re.search(rf"{re.escape(str(module / 'main.tf'))}:\d+: not valid HCL", result.output)


def test_one_bad_module_among_several_writes_nothing(tmp_path: Path) -> None:
    good = _module(tmp_path, "good")
    bad = _module(tmp_path, "bad", readme="# no markers\n")
    with pytest.raises(UserInputError):
        generate([good, bad])
    assert "stale content" in (good / "README.md").read_text(encoding="utf-8")


def test_all_covers_every_module_of_the_project(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.deployer]\n", encoding="utf-8")
    first = _module(tmp_path / "modules", "one")
    second = _module(tmp_path / "modules", "two")
    (tmp_path / "modules" / "not_a_module").mkdir()
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["docs", "--all", "--json"])
    assert result.exit_code == 0, result.output
    written = [m["module"] for m in json.loads(result.output)["modules"] if m["written"]]
    assert written == [str(tmp_path / "modules" / "one"), str(tmp_path / "modules" / "two")]
    for module in (first, second):
        assert "## Outputs" in (module / "README.md").read_text(encoding="utf-8")


def test_no_module_given_is_exit_2(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["docs"])
    assert result.exit_code == 2
    assert "pass one or more module dirs, or --all" in result.output
