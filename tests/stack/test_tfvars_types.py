"""Type constraints and tfvars values: the deployer converts as Terraform converts.

Every type the repository declares parses; and for a table of values, the deployer's
verdict is Terraform's own, decided by a real `terraform plan` of one variable per case
(no provider needed) in one run.
"""

from __future__ import annotations

import glob
import re
import subprocess
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT

from deployer.config import parse_hcl
from deployer.stack.tfvars_types import ANY, field_name, parse_type, show_value, type_problems
from deployer.terraform import declared_variables

OBJECT = "object({ a = string, b = optional(number, 1) })"
# (type, value as tfvars writes it): Terraform takes some and refuses the others.
CONVERSIONS = [
    ("bool", '"yes"'),
    ("bool", '"1"'),
    ("bool", '"True"'),
    ("bool", "1"),
    ("bool", '"false"'),
    ("number", '"7"'),
    ("number", '" 7"'),
    ("number", '"0x10"'),
    ("number", '"1e3"'),
    ("number", "true"),
    ("number", '"seven"'),
    ("number", "-1.5"),
    ("string", "5"),
    ("string", "true"),
    ("string", "[1]"),
    ("string", "{}"),
    ("string", "null"),
    ("list(string)", '["a", null]'),
    ("list(string)", '"a"'),
    ("list(string)", "{}"),
    ("list(number)", '["1", 2]'),
    ("list(string)", "[1, [2]]"),
    ("set(string)", '["a", "a"]'),
    ("map(string)", "{ a = 1, b = true }"),
    ("map(string)", "{ a = [1] }"),
    ("map(string)", "[]"),
    ("map(number)", '{ a = "x" }'),
    (OBJECT, "{ b = 2 }"),
    (OBJECT, '{ a = "x", b = "2" }'),
    (OBJECT, "{ a = null }"),
    (OBJECT, '{ a = "x", b = "two" }'),
    ("tuple([string, number])", '["a", 1]'),
    ("tuple([string, number])", '["a"]'),
    ("map(object({ t = string }))", '{ x = { t = "a" } }'),
    ("map(object({ t = string }))", '{ x = "a" }'),
    ("list(object({ n = number }))", '[{ n = "1" }]'),
    ("list(object({ n = number }))", '[{ n = "one" }]'),
]


def deployer_takes(type_text: str, value_text: str) -> bool:
    value = parse_hcl(f"v = {value_text}\n", shown="case.tfvars").values["v"]
    return not list(type_problems(value, parse_type(type_text), ("v",)))


@pytest.fixture(scope="module")
def terraform_refuses(tmp_path_factory) -> set[int]:
    """The cases Terraform refuses: one plan of one variable per case."""
    folder = tmp_path_factory.mktemp("conversions")
    variables = "".join(
        f'variable "v{i}" {{\n  type    = {t}\n  default = null\n}}\n'
        for i, (t, _) in enumerate(CONVERSIONS)
    )
    (folder / "main.tf").write_text(variables, encoding="utf-8")
    values = "".join(f"v{i} = {v}\n" for i, (_, v) in enumerate(CONVERSIONS))
    (folder / "cases.tfvars").write_text(values, encoding="utf-8")
    result = subprocess.run(
        ["terraform", "plan", "-input=false", "-no-color", "-var-file=cases.tfvars"],
        cwd=folder,
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "TF_DATA_DIR": str(folder / "d")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    refused = {int(n) for n in re.findall(r"var\.v(\d+) declared", " ".join(result.stderr.split()))}
    assert result.returncode == (1 if refused else 0), result.stderr
    return refused


@pytest.mark.parametrize(
    ("index", "case"), list(enumerate(CONVERSIONS)), ids=[f"{t}={v}" for t, v in CONVERSIONS]
)
def test_the_deployer_converts_as_terraform_does(index, case, terraform_refuses) -> None:
    type_text, value_text = case
    assert deployer_takes(type_text, value_text) is (index not in terraform_refuses)


def test_the_table_holds_both_verdicts(terraform_refuses) -> None:
    assert 5 < len(terraform_refuses) < len(CONVERSIONS) - 5


def test_every_type_the_repository_declares_parses() -> None:
    folders = [REPO_ROOT / "terraform", *map(Path, sorted(glob.glob(str(REPO_ROOT / "modules/*"))))]
    for folder in folders:
        for variable in declared_variables(folder).values():
            if variable.type != "any":
                assert parse_type(variable.type) is not ANY, (folder.name, variable.name)


def test_an_object_type_keeps_its_attributes_and_defaults() -> None:
    spec = parse_type(declared_variables(REPO_ROOT / "terraform")["tables"].type)
    assert spec.kind == "map" and spec.element.kind == "object"
    billing = spec.element.attributes["billing_mode"]
    assert billing.optional and billing.default == '"PAY_PER_REQUEST"'
    assert not spec.element.attributes["hash_key"].optional
    assert spec.element.attributes["attributes"].type.element.attributes.keys() == {"name", "type"}


@pytest.mark.parametrize("text", ["", "list(", "object({ a = })", "frob(string)", "string extra"])
def test_a_type_it_cannot_read_is_any_and_refuses_nothing(text: str) -> None:
    assert parse_type(text) is ANY
    assert not list(type_problems({"x": [1]}, parse_type(text), ("v",)))


def test_an_attribute_the_type_does_not_declare_is_refused_with_a_hint() -> None:
    """Terraform drops it without a word; the deployer refuses it."""
    [(path, sentence)] = type_problems({"a": "x", "bb": 1}, parse_type(OBJECT), ("v",))
    assert path == ("v", "bb")
    assert sentence.startswith('v.bb is not an attribute of v (did you mean "b"?)')


def test_hidden_values_are_never_shown() -> None:
    [(_, sentence)] = type_problems(["s3cr3t"], parse_type("string"), ("token",), hidden=True)
    assert "s3cr3t" not in sentence and sentence.startswith("token is not a string")


def test_field_names_and_values_read_as_tfvars_writes_them() -> None:
    assert (
        field_name(("tables", "items", "attributes", 0, "type"))
        == "tables.items.attributes[0].type"
    )
    assert field_name(("tags", "cost center")) == 'tags["cost center"]'
    assert show_value("x" * 100) == '"' + "x" * 36 + "..."  # cut at 40 characters
    assert [show_value(v) for v in (True, None, [], {"a": 1}, 7)] == [
        "true",
        "null",
        "[]",
        "{...}",
        "7",
    ]
