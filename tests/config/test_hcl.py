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
    assert "Unexpected token" in error.reason


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
    latin.write_bytes('owner = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(HclSyntaxError, match=r"^latin\.tfvars: not valid HCL \(not UTF-8 text"):
        read_hcl(latin, root=tmp_path)


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
    path.write_text('region = "eu-west-1"\n', encoding="utf-8")
    first = read_hcl(path)
    second = read_hcl(path)
    assert first == second and len(parsed) == 1
    # Each caller has its own copy: changing one changes no later answer.
    second.values["region"] = "changed"
    assert read_hcl(path).values == {"region": "eu-west-1"}
    path.write_text('region = "us-east-2"\n', encoding="utf-8")
    assert read_hcl(path).values == {"region": "us-east-2"}
    assert len(parsed) == 2
