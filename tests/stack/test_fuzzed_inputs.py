"""No input makes the deployer print a traceback: seeded, reproducible fuzzing.

A deterministic generator (random.Random(seed)) mutates a real function.toml and the real
envs/dev.tfvars: values of every type and size, misspelt and doubled keys, lost lines and
braces, bytes that are not UTF-8, truncations. Each mutation goes through the CLI as a
user types it (`deployer package`, `deployer validate dev`): the exit code is 0 or 2,
never a traceback; an error names the file; and a refused input leaves .deployer/build/
exactly as it was (bytes and mtimes).

The project's terraform/ holds the root stack's real variables.tf (its types and validation
blocks) and nothing else, so a mutation that passes costs a provider-less init and plan.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.function_projects import simple_function, snapshot, write_project
from helpers.paths import REPO_ROOT
from typer.testing import CliRunner

from deployer.cli import app

SEED = 20241202
MANIFEST_CASES = 220
TFVARS_CASES = 110

MANIFEST = """\
handler = "handler.handler"
runtime = "python3.12"
architecture = "arm64"
memory = 256
timeout = 10
description = "Items API"

[environment]
LOG_LEVEL = "INFO"

[[routes]]
route = "GET /items/{id}"
auth = "default"
scopes = ["items:read"]

[access]
tables = { items = "read-write" }
database = true
"""
TFVARS = (REPO_ROOT / "envs" / "dev.tfvars").read_text(encoding="utf-8")

# Values that are wrong somewhere, in the syntax of each file.
TOML_VALUES = [
    '""',
    '"x"',
    '"' + "h" * 10_001 + '.handler"',
    '"' + "m" * 300 + '.handler"',
    '"a.b.c"',
    '"../x.handler"',
    '"GET /"',
    '"$default"',
    '"\\u0000"',
    '"é"',
    "0",
    "-1",
    "128",
    "10241",
    "9223372036854775807",
    "1.5",
    "nan",
    "inf",
    "true",
    "false",
    "[]",
    '["*"]',
    "[1, 2]",
    "{}",
    '{ a = "b" }',
    '{ items = "write" }',
    "1979-05-27",
    "07:32:00",
    '"owner"',
    '"python3.9"',
    '"x86_64"',
    "[[1]]",
    '"' + "d" * 300 + '"',
    '"none"',
    '["a b"]',
]
HCL_VALUES = [
    '""',
    '"yes"',
    '"seven"',
    '"300s"',
    "-1",
    "0",
    "7",
    "1.5",
    "1e309",
    "true",
    "null",
    "[]",
    "{}",
    '["a", null]',
    "{ a = 1 }",
    "{ a = { b = { c = [] } } }",
    '"${var.x}"',
    'upper("a")',
    "var.region",
    '"' + "x" * 5_000 + '"',
    '"é"',
    "[[[[1]]]]",
    "1 + 2",
    '{ enabled = "maybe" }',
    '[{ name = "id" }]',
    '{ dbPassword = "hunter2" }',
    '"\\u0000"',
]
TOML_LINES = [
    'DB_PASSWORD = "hunter2"',
    "[environment]",
    "[[routes]]",
    'route = "POST /items"',
    "[access]",
    'handlr = "handler.handler"',
    'name = "Items Service"',
    'include = [".."]',
    "[routes]",
    "access = 5",
    "memory = 1e3",
    'exclude = ["\\\\x"]',
]
HCL_LINES = [
    'dbPassword = "hunter2"',
    'tags = { DbSecret = "x" }',
    "network {",
    "}",
    "{",
    "]",
    'region = "eu-central-1"',
    "log_retention = 14",
    'environment = "prod"',
    "database = { deletion_protecton = true }",
    'authorizers = { x = { type = "jwt" } }',
    'default_authorizer = "nope"',
    "tables = 5",
]


def _mutate_line(rng: random.Random, lines: list[str], values: list[str]) -> None:
    """A `key = value` line gets another value."""
    candidates = [
        i for i, line in enumerate(lines) if "=" in line and not line.lstrip().startswith("#")
    ]
    if candidates:
        index = rng.choice(candidates)
        key = lines[index].split("=", 1)[0]
        lines[index] = f"{key}= {rng.choice(values)}"


def _misspell(rng: random.Random, lines: list[str], _values: list[str]) -> None:
    candidates = [i for i, line in enumerate(lines) if "=" in line]
    if candidates:
        index = rng.choice(candidates)
        key, rest = lines[index].split("=", 1)
        name = key.strip()
        if len(name) > 2:
            at = rng.randrange(len(name))
            name = rng.choice(
                [name[:at] + name[at + 1 :], name[:at] + "x" + name[at:], name.upper()]
            )
        lines[index] = f"{name} ={rest}"


def _double(rng: random.Random, lines: list[str], _values: list[str]) -> None:
    if lines:
        index = rng.randrange(len(lines))
        lines.insert(index, lines[index])


def _drop(rng: random.Random, lines: list[str], _values: list[str]) -> None:
    if lines:
        del lines[rng.randrange(len(lines))]


MUTATIONS: list[Callable[[random.Random, list[str], list[str]], None]] = [
    _mutate_line,
    _mutate_line,
    _mutate_line,
    _misspell,
    _double,
    _drop,
]


def mutated(rng: random.Random, text: str, values: list[str], extra_lines: list[str]) -> bytes:
    """One deterministic mutation of `text` (given the generator's state)."""
    lines = text.splitlines()
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.15:
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(extra_lines))
        else:
            rng.choice(MUTATIONS)(rng, lines, values)
    data = ("\n".join(lines) + "\n").encode("utf-8")
    roll = rng.random()
    if roll < 0.05:
        at = rng.randrange(len(data) + 1)
        data = (
            data[:at] + rng.choice([b"\xff", b"\xe9", b"\x00", b"\r", b"\xef\xbb\xbf"]) + data[at:]
        )
    elif roll < 0.08:
        data = data[: rng.randrange(len(data) + 1)]
    elif roll < 0.09:
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
    return data


@pytest.fixture
def fuzz_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider_mirror) -> Path:
    root = write_project(
        tmp_path / "project",
        {
            "items": simple_function(MANIFEST),
            "authorizer": simple_function(""),
        },
        app="fuzz",
        envs=(),
    )
    (root / "envs" / "dev.tfvars").write_text(TFVARS, encoding="utf-8")
    shutil.copy2(REPO_ROOT / "envs" / "dev.backend.hcl", root / "envs" / "dev.backend.hcl")
    (root / "terraform").mkdir()
    shutil.copy2(REPO_ROOT / "terraform" / "variables.tf", root / "terraform" / "variables.tf")
    monkeypatch.setenv("DEPLOYER_PROJECT_DIR", str(root))
    return root


def _assert_clean(result, names: str) -> None:
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert names in result.output, result.output


def test_the_unchanged_inputs_pass(fuzz_project: Path) -> None:
    """The fuzzing starts from inputs that pass, so each refusal is the mutation's doing."""
    runner = CliRunner()
    assert runner.invoke(app, ["package"]).exit_code == 0
    result = runner.invoke(app, ["validate", "dev"])
    assert result.exit_code == 0, result.output


def test_fuzzed_function_manifests_never_crash_package(fuzz_project: Path) -> None:
    rng = random.Random(SEED)
    runner = CliRunner()
    manifest = fuzz_project / "lambda_src" / "items" / "function.toml"
    build = fuzz_project / ".deployer" / "build"
    outcomes = {0: 0, 2: 0}
    for _ in range(MANIFEST_CASES):
        manifest.write_bytes(mutated(rng, MANIFEST, TOML_VALUES, TOML_LINES))
        before = snapshot(build)
        result = runner.invoke(app, ["package"])
        _assert_clean(result, "lambda_src/items/function.toml")
        if result.exit_code == 2:
            assert snapshot(build) == before, "a refused manifest changed .deployer/build/"
        outcomes[result.exit_code] += 1
    assert outcomes[2] > MANIFEST_CASES // 2 and outcomes[0] > 0, outcomes


def test_fuzzed_tfvars_never_crash_validate(fuzz_project: Path) -> None:
    rng = random.Random(SEED + 1)
    runner = CliRunner()
    tfvars = fuzz_project / "envs" / "dev.tfvars"
    build = fuzz_project / ".deployer" / "build"
    outcomes = {0: 0, 2: 0}
    for _ in range(TFVARS_CASES):
        tfvars.write_bytes(mutated(rng, TFVARS, HCL_VALUES, HCL_LINES))
        before = snapshot(build)
        result = runner.invoke(app, ["validate", "dev"])
        _assert_clean(result, "envs/dev.tfvars")
        assert snapshot(build) == before
        outcomes[result.exit_code] += 1
    assert outcomes[2] > TFVARS_CASES // 2 and outcomes[0] > 0, outcomes


def test_the_generator_is_deterministic() -> None:
    first = [mutated(random.Random(SEED), TFVARS, HCL_VALUES, HCL_LINES) for _ in range(3)]
    again = [mutated(random.Random(SEED), TFVARS, HCL_VALUES, HCL_LINES) for _ in range(3)]
    assert first == again
