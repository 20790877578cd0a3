"""`deployer validate` refuses what Terraform's own plan refuses, offline.

Each case is a mistake in an environment's tfvars. Terraform judges every case once per
session, in one batch: `terraform test` of the real root stack with a mocked AWS provider
(`command = plan`, no credentials), so the list cannot drift from what Terraform does.
Then `deployer validate ENV` (CliRunner, on a copy of the project) must refuse each case
too, with exit code 2 and a message that names the file, the line and the field.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers.paths import REPO_ROOT, copy_project
from typer.testing import CliRunner

from deployer.cli import app
from deployer.config import find_project
from deployer.functions import load_functions

DEV = (REPO_ROOT / "envs" / "dev.tfvars").read_text(encoding="utf-8")
PROD = (REPO_ROOT / "envs" / "prod.tfvars").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Case:
    """A tfvars mistake: the file's text, and what `validate` must say about it."""

    id: str
    text: str | bytes
    expected: str  # a part of validate's message
    env: str = "dev"
    # "values": Terraform reads the values as a run block's variables; "file": as a
    # var-file (parse errors: duplicates, references, blocks, encoding).
    kind: str = "values"


def edit(old: str, new: str, base: str = DEV) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


CASES = [
    # Types: Terraform cannot convert the value.
    Case(
        "bool_from_yes",
        edit('  enabled = true\n  branch  = "dev"', '  enabled = "yes"\n  branch  = "dev"'),
        'envs/dev.tfvars:59: frontend.enabled = "yes" is not a bool',
    ),
    Case(
        "number_from_word",
        edit("log_retention_days = 7", 'log_retention_days = "seven"'),
        'envs/dev.tfvars:5: log_retention_days = "seven" is not a number',
    ),
    Case(
        "nested_number_with_unit",
        edit("    ttl      = 300", '    ttl      = "300s"'),
        'envs/dev.tfvars:29: authorizers.lambda.ttl = "300s" is not a number',
    ),
    Case(
        "bool_from_word",
        edit("tracing            = true", 'tracing            = "maybe"'),
        'envs/dev.tfvars:6: tracing = "maybe" is not a bool',
    ),
    Case(
        "list_given_an_object",
        edit('attributes          = [{ name = "id", type = "S" }]', 'attributes = { name = "id" }'),
        "envs/dev.tfvars:11: tables.items.attributes = {...} is not a list",
    ),
    Case(
        "map_of_strings_given_a_list",
        edit("region             =", 'tags = { team = ["a", "b"] }\nregion             ='),
        "envs/dev.tfvars:4: tags.team = [...] is not a string",
    ),
    Case(
        "required_attribute_missing",
        edit('    hash_key            = "id"\n', ""),
        "envs/dev.tfvars:9: tables.items has no hash_key, which its type requires",
    ),
    # The root stack's validation blocks.
    Case(
        "retention_not_a_cloudwatch_value",
        edit("log_retention_days = 7", "log_retention_days = -1"),
        "envs/dev.tfvars:5: log_retention_days must be a CloudWatch Logs retention value",
    ),
    Case(
        "authorizer_type_unknown",
        edit('    type     = "jwt"', '    type     = "oauth"'),
        'Every authorizers[*].type must be "jwt" or "request"',
    ),
    Case(
        "authorizer_ttl_too_long",
        edit("    ttl      = 300", "    ttl      = 7200"),
        "Every authorizers[*].ttl must be between 0 and 3600 seconds",
    ),
    Case(
        "cidr_too_small",
        edit('cidr = "10.40.0.0/16"', 'cidr = "10.40.0.0/28"'),
        "network.cidr must be an IPv4 CIDR block of /24 or larger",
    ),
    Case(
        "negative_throttling",
        edit("throttling_burst_limit = 100", "throttling_burst_limit = -5"),
        "api.throttling_burst_limit and api.throttling_rate_limit must be zero or more",
    ),
    Case(
        "prod_without_alarms",  # a validation that reads var.environment too
        edit(
            "  enabled            = true\n  evaluation_periods",
            "  enabled            = false\n  evaluation_periods",
            PROD,
        ),
        "alarms.enabled cannot be false in prod",
        env="prod",
    ),
    # The modules' validation blocks, with the values the root stack passes them.
    Case(
        "table_billing_mode_unknown",
        edit(
            '    hash_key            = "id"',
            '    hash_key            = "id"\n    billing_mode        = "FOO"',
        ),
        "billing_mode must be PAY_PER_REQUEST or PROVISIONED",
    ),
    Case(
        "database_backups_too_long",
        edit("backup_retention_period      = 1", "backup_retention_period      = 40"),
        "backup_retention_period must be a whole number of days from 1 to 35",
    ),
    Case(
        "frontend_platform_unknown",
        edit('  branch  = "dev"', '  branch  = "dev"\n  platform = "IOS"'),
        "modules/amplify_app/variables.tf",
    ),
    # Preconditions that depend on the inputs alone.
    Case(
        "table_key_not_an_attribute",
        edit('    hash_key            = "id"', '    hash_key            = "pk"'),
        'hash_key "pk" must be declared in attributes with its type',
    ),
    Case(
        "provisioned_table_without_capacity",
        edit(
            '    hash_key            = "id"',
            '    hash_key            = "id"\n    billing_mode        = "PROVISIONED"',
        ),
        "billing_mode PROVISIONED requires read_capacity and write_capacity",
    ),
    # Parse errors of the file itself.
    Case(
        "attribute_set_twice",
        edit(
            'region             = "eu-west-1"',
            'region             = "eu-west-1"\nregion = "eu-central-1"',
        ),
        "envs/dev.tfvars:5: region is set twice (first on line 4)",
        kind="file",
    ),
    Case(
        "reference_to_a_variable",
        edit('region             = "eu-west-1"', 'region             = "${var.zone}"'),
        "envs/dev.tfvars:4: Variables not allowed",
        kind="file",
    ),
    Case(
        "function_call",
        edit('region             = "eu-west-1"', 'region             = lower("EU-WEST-1")'),
        "envs/dev.tfvars:4: Function calls not allowed",
        kind="file",
    ),
    Case(
        "block_instead_of_attribute",
        edit("\nnetwork = {", "\nnetwork {"),
        "envs/dev.tfvars:54: network { ... } is a block, which a tfvars file cannot hold",
        kind="file",
    ),
    Case(
        "not_utf8",
        edit('region             = "eu-west-1"', 'region             = "eu-west-1\xe9"').encode(
            "latin-1"
        ),
        "envs/dev.tfvars:4: is not UTF-8 text",
        kind="file",
    ),
]


def _mock_provider() -> str:
    """The root stack's own test's mocked AWS provider (its data sources' defaults)."""
    lines = (REPO_ROOT / "terraform" / "tests" / "stack.tftest.hcl").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('mock_provider "aws"'))
    end = next(i for i in range(start, len(lines)) if lines[i] == "}")
    # Policy documents are read at plan time; a random mock string is no JSON policy.
    document = json.dumps(json.dumps({"Version": "2012-10-17", "Statement": []}))
    policy = (
        f'  mock_data "aws_iam_policy_document" {{\n    defaults = {{ json = {document} }}\n  }}'
    )
    return "\n".join([*lines[start:end], policy, "}"])


def _functions() -> dict:
    """The functions of lambda_src/ as the generated var-file gives them (nothing built)."""
    functions = {}
    for spec in load_functions(find_project(REPO_ROOT)):
        functions[spec.name] = {
            **spec.settings(),
            "zip_path": f"{spec.name}.zip",
            "source_code_hash": "A" * 43 + "=",
        }
    return functions


def _run(argv: list[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def _verdicts(output: str) -> dict[str, tuple[str, list[str]]]:
    """{test file stem: (status, error summaries)} from `terraform test -json`."""
    found: dict[str, tuple[str, list[str]]] = {}
    for line in output.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        name = Path(event.get("@testfile", "")).name.removesuffix(".tftest.hcl")
        if event.get("type") == "test_run" and event["test_run"].get("progress") == "complete":
            found[name] = (event["test_run"]["status"], found.get(name, ("", []))[1])
        elif event.get("type") == "diagnostic" and event["diagnostic"]["severity"] == "error":
            status, summaries = found.get(name, ("", []))
            found[name] = (status, [*summaries, event["diagnostic"]["summary"]])
    return found


@pytest.fixture(scope="module")
def terraform_verdicts(tmp_path_factory, terraform_cli_config: Path) -> dict:
    """What Terraform's plan (mocked AWS provider) says about each case and the baseline."""
    base = tmp_path_factory.mktemp("terraform_judge")
    shutil.copytree(
        REPO_ROOT / "modules", base / "modules", ignore=shutil.ignore_patterns(".terraform*")
    )
    stack = base / "terraform"
    stack.mkdir()
    for tf in (REPO_ROOT / "terraform").glob("*.tf"):
        shutil.copy2(tf, stack / tf.name)
    (stack / "tests").mkdir()
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(terraform_cli_config),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
        "TF_DATA_DIR": str(base / "tfdata"),
    }
    init = _run(["terraform", "init", "-backend=false", "-input=false", "-no-color"], stack, env)
    assert init.returncode == 0, init.stdout + init.stderr
    mock = _mock_provider()
    functions = base / "functions.tfvars.json"
    functions.write_text(
        json.dumps({"app": "deployer", "functions": _functions()}), encoding="utf-8"
    )

    def test_file(name: str, variables: str) -> None:
        body = f"  variables {{\n{variables}\n  }}\n" if variables else ""
        (stack / "tests" / f"{name}.tftest.hcl").write_text(
            f'{mock}\n\nrun "{name.replace("-", "_")}" {{\n  command = plan\n{body}}}\n',
            encoding="utf-8",
        )

    for env_name, text in (("dev", DEV), ("prod", PROD)):
        test_file(f"baseline_{env_name}", f'environment = "{env_name}"\n{text}')
    values = [c for c in CASES if c.kind == "values"]
    for case in values:
        test_file(case.id, f'environment = "{case.env}"\n{case.text}')
    test_file("from_var_files", 'environment = "dev"')
    names = ["baseline_dev", "baseline_prod", *(c.id for c in values)]
    batch = _run(
        ["terraform", "test", "-json", f"-var-file={functions}"]
        + [f"-filter=tests/{name}.tftest.hcl" for name in names],
        stack,
        env,
    )
    verdicts = _verdicts(batch.stdout)
    for case in (c for c in CASES if c.kind == "file"):
        var_file = base / f"{case.id}.tfvars"
        var_file.write_bytes(case.text if isinstance(case.text, bytes) else case.text.encode())
        run = _run(
            [
                *("terraform", "test", "-json", f"-var-file={var_file}"),
                *(f"-var-file={functions}", "-filter=tests/from_var_files.tftest.hcl"),
            ],
            stack,
            env,
        )
        summaries = (
            _verdicts(run.stdout).get("", ("", []))[1]
            + _verdicts(run.stdout).get("from_var_files", ("", []))[1]
        )
        verdicts[case.id] = ("error" if run.returncode else "pass", summaries)
    return verdicts


@pytest.fixture(scope="module")
def project(tmp_path_factory, provider_mirror) -> Path:
    return copy_project(tmp_path_factory.mktemp("agree") / "project")


def validate(project: Path, env: str, text: str | bytes, monkeypatch) -> object:
    monkeypatch.setenv("DEPLOYER_PROJECT_DIR", str(project))
    tfvars = project / "envs" / f"{env}.tfvars"
    original = (REPO_ROOT / "envs" / f"{env}.tfvars").read_bytes()
    tfvars.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    try:
        return CliRunner().invoke(app, ["validate", env])
    finally:
        tfvars.write_bytes(original)


def test_terraform_takes_the_unchanged_environments(terraform_verdicts: dict) -> None:
    """The judge is fair: the repository's own tfvars pass its plan."""
    assert terraform_verdicts["baseline_dev"] == ("pass", [])
    assert terraform_verdicts["baseline_prod"] == ("pass", [])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_validate_refuses_what_terraform_refuses(
    case: Case, terraform_verdicts: dict, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, summaries = terraform_verdicts[case.id]
    assert status in ("error", "fail"), f"Terraform's plan takes {case.id}: {summaries}"
    result = validate(project, case.env, case.text, monkeypatch)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert case.expected in result.output, result.output


def test_validate_takes_what_terraform_takes(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = validate(project, "dev", DEV, monkeypatch)
    assert result.exit_code == 0, result.output
    assert "envs/dev.tfvars and terraform/ are valid." in result.output
