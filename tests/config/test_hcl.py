"""The one HCL parser (deployer.config.hcl): both forms, one lock, one error form."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT

from deployer.common import UserInputError
from deployer.config import HclSyntaxError, hcl, parse_hcl, read_hcl

TEXT = r"""
variable "policy" {
  description = <<-EOT
    IAM statements.
    Actions must not contain "*" or \.
  EOT
  type    = list(object({ sid = optional(string) }))
  default = [{ sid = "a\tb", "quoted key" = "x \"y\"" }]
}

variable "plain" {
  description = <<EOT
Body with "quotes" and a \n that is no newline.
EOT
  default = { enabled = true, size = 2, none = null, ref = "${upper("x")}" }
}

region = "eu-west-1"
"""


def test_values_are_unquoted_once_and_source_keeps_what_is_written(tmp_path: Path) -> None:
    path = tmp_path / "variables.tf"
    path.write_text(TEXT, encoding="utf-8")
    doc = read_hcl(path)

    [policy, plain] = [next(iter(block.values())) for block in doc.values["variable"]]
    assert [next(iter(block)) for block in doc.values["variable"]] == ["policy", "plain"]
    # An indented heredoc: its body, quotes as they are (python-hcl2's own
    # strip_string_quotes would leave them escaped).
    assert policy["description"] == 'IAM statements.\nActions must not contain "*" or \\.'
    assert policy["type"] == "${list(object({sid = optional(string)}))}"
    assert policy["default"] == [{"sid": "a\tb", "quoted key": 'x "y"'}]
    # A plain heredoc: no escapes inside it.
    assert plain["description"] == 'Body with "quotes" and a \\n that is no newline.'
    assert plain["default"] == {"enabled": True, "size": 2, "none": None, "ref": '${upper("x")}'}
    assert doc.values["region"] == "eu-west-1"

    [source_policy, _] = doc.source["variable"]
    assert list(source_policy) == ['"policy"']
    assert source_policy['"policy"']["default"] == [
        {"sid": '"a\\tb"', '"quoted key"': '"x \\"y\\""'}
    ]
    assert doc.source["region"] == '"eu-west-1"'


def test_parse_hcl_reads_text_and_read_hcl_reads_the_file_the_same(tmp_path: Path) -> None:
    path = tmp_path / "dev.tfvars"
    path.write_text('owner = "a"\ntables = { items = { hash_key = "id" } }\n', encoding="utf-8")
    assert read_hcl(path) == parse_hcl(path.read_text(encoding="utf-8"), shown="dev.tfvars")
    assert read_hcl(path).values == {"owner": "a", "tables": {"items": {"hash_key": "id"}}}


def test_a_syntax_error_names_the_file_relative_to_root_and_the_line(tmp_path: Path) -> None:
    path = tmp_path / "envs" / "dev.tfvars"
    path.parent.mkdir()
    path.write_text('owner = "a"\nregion = = "x"\n', encoding="utf-8")
    with pytest.raises(HclSyntaxError) as caught:
        read_hcl(path, root=tmp_path)
    error = caught.value
    assert isinstance(error, UserInputError) and error.exit_code == 2
    assert (error.shown, error.line) == ("envs/dev.tfvars", 2)
    assert error.message == (
        f"envs/dev.tfvars:2: not valid HCL ({error.reason}); fix the syntax "
        "(`terraform fmt` shows where)."
    )
    assert error.reason == "unexpected '=' at column 10"  # a few words, not lark's dump


def test_outside_root_the_full_path_is_named(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_text('resource "x" {\n  a = \n', encoding="utf-8")
    with pytest.raises(HclSyntaxError, match=rf"^{path}:2: not valid HCL \("):
        read_hcl(path, root=tmp_path / "elsewhere")


def test_unreadable_and_undecodable_files_are_named_too(tmp_path: Path) -> None:
    folder = tmp_path / "backend.hcl"
    folder.mkdir()  # a folder where the file should be
    with pytest.raises(
        UserInputError, match=r"^backend\.hcl: cannot be read \(Is a directory\)\.$"
    ):
        read_hcl(folder, root=tmp_path)
    latin = tmp_path / "latin.tfvars"
    latin.write_bytes('region = "a"\nowner = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(HclSyntaxError) as caught:
        read_hcl(latin, root=tmp_path)
    assert caught.value.message == (
        "latin.tfvars:2: is not UTF-8 text (byte 0xe9 at column 13); save the file as UTF-8."
    )


def test_threads_parsing_at_once_each_get_their_own_file() -> None:
    """python-hcl2's lexer is shared: without the lock, parallel parses (plans of several
    environments) get each other's tokens, and fail or return another file's data.

    The parser itself (`hcl._parse`), past the cache: cached answers need no lock."""
    parse = hcl._parse
    files = ["terraform/variables.tf", "terraform/api.tf", "envs/dev.tfvars", "envs/prod.tfvars"]
    texts = [(REPO_ROOT / name).read_text(encoding="utf-8") for name in files]
    expected = [parse(text, shown=name).values for text, name in zip(texts, files, strict=True)]
    jobs = [n % len(texts) for n in range(16)]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns often, as on a busy machine
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            got = list(pool.map(lambda n: parse(texts[n], shown=files[n]).values, jobs))
    finally:
        sys.setswitchinterval(switch)
    assert got == [expected[n] for n in jobs]


def test_the_real_backend_files_and_tfvars_parse_to_plain_values() -> None:
    backend = read_hcl(REPO_ROOT / "envs" / "dev.backend.hcl").values
    assert isinstance(backend["bucket"], str) and not backend["bucket"].startswith('"')
    tfvars = read_hcl(REPO_ROOT / "envs" / "dev.tfvars").values
    assert all(not (isinstance(v, str) and v.startswith('"')) for v in tfvars.values())


def test_importing_the_config_layer_does_not_import_python_hcl2() -> None:
    """python-hcl2 (and lark) load only when a file is parsed: `deployer package` and the
    other commands that never parse HCL start without them."""
    code = "import sys, deployer.config; print('hcl2' in sys.modules, 'lark' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    assert result.stdout.split() == ["False", "False"]


def test_each_text_is_parsed_once_and_an_edited_file_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real = hcl._parse

    def counting(text: str, *, shown: str):
        parsed.append(shown)
        return real(text, shown=shown)

    monkeypatch.setattr(hcl, "_parse", counting)
    path = tmp_path / "cache-probe.tfvars"
    # A text of its own: another test of this process may have parsed a plain one already.
    path.write_text(f'# {tmp_path}\nregion = "eu-west-1"\n', encoding="utf-8")
    first = read_hcl(path)
    second = read_hcl(path)
    assert first == second and len(parsed) == 1
    # Each caller has its own copy: changing one changes no later answer.
    second.values["region"] = "changed"
    assert read_hcl(path).values == {"region": "eu-west-1"}
    path.write_text(f'# {tmp_path}\nregion = "us-east-2"\n', encoding="utf-8")
    assert read_hcl(path).values == {"region": "us-east-2"}
    assert len(parsed) == 2


# --- what the parse tree adds: lines, duplicates, spans -------------------------------------


def test_every_key_and_element_has_its_line() -> None:
    doc = parse_hcl(
        'region = "a"\ntables = {\n  items = {\n    attributes = [\n      { name = "id" },\n'
        '    ]\n  }\n}\ntags = { "cost center" = 1 }\n',
        shown="dev.tfvars",
    )
    assert doc.lines[("region",)] == 1 and doc.lines[("tables", "items")] == 3
    assert doc.lines[("tables", "items", "attributes", 0, "name")] == 5
    assert doc.lines[("tags", "cost center")] == 9


def test_an_attribute_set_twice_is_an_error_naming_both_lines() -> None:
    with pytest.raises(HclSyntaxError) as caught:
        parse_hcl('region = "a"\n\nregion = "b"\n', shown="envs/dev.tfvars")
    assert caught.value.message == (
        "envs/dev.tfvars:3: region is set twice (first on line 1); remove one of them: each "
        "attribute may be set once."
    )
    with pytest.raises(HclSyntaxError, match=r"^main\.tf:3: type is set twice"):
        parse_hcl('variable "x" {\n  type = string\n  type = number\n}\n', shown="main.tf")
    # An object may repeat a key as far as HCL goes (Terraform keeps the last): recorded.
    doc = parse_hcl("tags = {\n  a = 1\n  a = 2\n}\n", shown="dev.tfvars")
    assert doc.values == {"tags": {"a": 2}} and doc.duplicates == ((("tags", "a"), 3, 2),)


def test_a_byte_order_mark_is_skipped_as_terraform_skips_it() -> None:
    assert parse_hcl('\ufeffregion = "a"\n', shown="dev.tfvars").values == {"region": "a"}


@pytest.mark.parametrize("depth", [300, 5000])
def test_values_nested_too_deep_are_an_error_not_a_crash(depth: int) -> None:
    text = "tags = " + "[" * depth + "]" * depth + "\n"
    try:
        doc = parse_hcl(text, shown="dev.tfvars")
    except HclSyntaxError as error:
        assert error.message == (
            "dev.tfvars: its values are nested too deeply to read; flatten them."
        )
    else:
        assert depth < 1000 and isinstance(doc.values["tags"], list)


def test_blocks_and_references_know_their_spans() -> None:
    text = (
        'module "api" {\n  source = "../modules/http_api"\n'
        "  routes = { for k, r in var.routes : k => module.fn[k].arn }\n"
        '  name   = "${var.app}-${data.aws_region.current.name}"\n}\n'
    )
    doc = parse_hcl(text, shown="api.tf")
    [block] = doc.body
    assert (block.kind, block.name, block.labels, block.line) == ("block", "module", ("api",), 1)
    assert text[block.start : block.open].strip() == 'module "api"'
    assert [c.name for c in block.children] == ["source", "routes", "name"]
    spans = {text[r.start : r.end]: r.parts for r in doc.references}
    assert spans["module.fn[k].arn"] == ("module", "fn")
    assert spans["data.aws_region.current.name"] == ("data", "aws_region", "current", "name")
    assert spans["var.routes"] == ("var", "routes") and spans["var.app"] == ("var", "app")
    assert "k" in spans  # the index inside a traversal is a reference of its own
