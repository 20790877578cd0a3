"""The rules copy of the root stack, and Terraform's plan of an environment's inputs."""

from __future__ import annotations

import re
from pathlib import Path

from deployer.config import find_project, read_hcl
from deployer.functions import load_functions
from deployer.stack.input_rules import UNKNOWN, write_rules_copy
from deployer.stack.plan_inputs import parse_diagnostics, plan_inputs


def _copy(project: Path) -> tuple[Path, object]:
    dest = project / ".deployer" / "dev" / "inputs"
    return dest, write_rules_copy(project / "terraform", dest, root=project)


def test_the_copy_keeps_every_rule_on_its_own_line(project_copy: Path) -> None:
    _, copy = _copy(project_copy)
    for copied, original in copy.originals.items():
        for tf in sorted(original.glob("*.tf")):
            old = tf.read_text(encoding="utf-8").splitlines()
            new = (copied / tf.name).read_text(encoding="utf-8").splitlines()
            assert len(new) == len(old), tf
            for number, line in enumerate(new):
                # A kept line is the original line, or the original with a reference to
                # what only a real plan knows replaced, a module's source, a path.*.
                rewritten = UNKNOWN in line or "terraform_data" in line or "source" in line
                if line.strip() and not rewritten:
                    assert line == old[number] or "path." in old[number], (tf, number + 1)
    stack = "\n".join(p.read_text() for p in sorted(copy.root.glob("*.tf")))
    assert 'provider "aws"' not in stack and 'backend "s3"' not in stack
    assert 'resource "aws_' not in stack and 'data "aws_' not in stack
    assert "validation {" in stack and "precondition {" in stack
    assert 'source = "../modules/table"' in (copy.root / "data.tf").read_text()


def test_the_copy_is_made_again_only_when_a_source_changes(project_copy: Path) -> None:
    _, first = _copy(project_copy)
    variables = first.root / "variables.tf"
    stamp = variables.stat().st_mtime_ns
    _, again = _copy(project_copy)
    assert again == first and variables.stat().st_mtime_ns == stamp
    with (project_copy / "terraform" / "variables.tf").open("a", encoding="utf-8") as f:
        f.write('\nvariable "added" {\n  type    = string\n  default = "x"\n}\n')
    _, changed = _copy(project_copy)
    assert 'variable "added"' in (changed.root / "variables.tf").read_text()


def _inputs(project: Path, tfvars_text: str) -> list[str]:
    tfvars = project / "envs" / "dev.tfvars"
    tfvars.write_text(tfvars_text, encoding="utf-8")
    functions = {s.name: s.settings() for s in load_functions(find_project(project))}
    doc = read_hcl(tfvars)
    return plan_inputs(
        tfvars=tfvars,
        terraform_dir=project / "terraform",
        root=project,
        work_dir=project / ".deployer" / "dev" / "inputs",
        generated={"app": "deployer", "environment": "dev", "functions": functions},
        environ={},
        values=doc.values,
        lines=doc.lines,
    )


def test_the_repository_environment_passes_and_a_module_rule_names_its_lines(
    project_copy: Path,
) -> None:
    text = (project_copy / "envs" / "dev.tfvars").read_text(encoding="utf-8")
    assert _inputs(project_copy, text) == []
    bad = text.replace("backup_retention_period      = 1", "backup_retention_period      = 40")
    [problem] = _inputs(project_copy, bad)
    assert problem.startswith(
        "envs/dev.tfvars:48: database.backup_retention_period = 40: backup_retention_period "
        "must be a whole number of days from 1 to 35."
    )
    # The lines it cites are the real lines of the real files.
    rule = re.search(r"modules/rds_postgres/variables\.tf:(\d+)", problem)
    given = re.search(r"terraform/database\.tf:(\d+)", problem)
    assert rule and given, problem
    rules = (project_copy / "modules/rds_postgres/variables.tf").read_text().splitlines()
    assert rules[int(rule[1]) - 1].strip() == "validation {"
    call = (project_copy / "terraform/database.tf").read_text().splitlines()
    assert call[int(given[1]) - 1].strip().startswith("backup_retention_period")


def test_a_precondition_on_a_resource_bites_in_the_copy(project_copy: Path) -> None:
    text = (project_copy / "envs" / "dev.tfvars").read_text(encoding="utf-8")
    bad = text.replace('hash_key            = "id"', 'hash_key            = "pk"')
    problems = _inputs(project_copy, bad)
    assert any(
        p.startswith('envs/dev.tfvars:10: tables.items.hash_key = "pk": hash_key "pk" must be')
        and "the precondition at modules/dynamodb_table/main.tf:" in p
        for p in problems
    ), problems


SAMPLE = """\
There are some problems with the CLI configuration:
╷
│ Warning: Unable to open CLI configuration file
│
│ The CLI configuration file at "/nowhere/.terraformrc" does not exist.
╵

Error: Invalid value for variable

  on /p/envs/dev.tfvars line 5:
   5: log_retention_days = -1
    ├────────────────
    │ var.log_retention_days is -1

log_retention_days must be a CloudWatch Logs retention value: 1, 3, 5, 7, 14,
30 or 60.

This was checked by the validation rule at variables.tf:90,3-13.

Error: Invalid character

  on /p/envs/dev.tfvars line 1:
   1: region = "a"\rtracing = true

This character is not used within the language.
"""


def test_terraforms_errors_are_read_whole_and_warnings_left_out() -> None:
    first, second = parse_diagnostics(SAMPLE)
    assert (first.summary, first.file, first.line) == (
        "Invalid value for variable",
        "/p/envs/dev.tfvars",
        5,
    )
    assert first.code == "log_retention_days = -1"
    assert first.values == ("var.log_retention_days is -1",)
    assert first.detail == (
        "log_retention_days must be a CloudWatch Logs retention value: 1, 3, 5, 7, 14, 30 or "
        "60. This was checked by the validation rule at variables.tf:90,3-13."
    )
    assert (second.summary, second.line) == ("Invalid character", 1)
    assert second.detail == "This character is not used within the language."
