"""Resources that exist in AWS but not in the state, and bringing them back under management.

A Terraform that is killed (the out-of-memory killer, `kill -9`) between creating a resource
and saving the state leaves that resource behind, unknown to the state: the next apply
fails on it ("already exists"). The stack names its resources deterministically
(`<app>-<env>-...`), so each one such an apply would create has an import ID that follows
from its planned values. `recover_plan` writes Terraform `import` blocks for those, plans
with them (dropping the ones Terraform finds do not exist), and returns a plan that imports
what exists and creates the rest; applying it makes the next plan converge.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from deployer.common import DeployerError, UserInputError, atomic_write
from deployer.terraform import TerraformError

# The import blocks live in the root module only while Terraform plans (it must read them
# from there); the saved plan carries its own copy of the configuration.
IMPORTS_FILE = "deployer_recover_imports.tf"
# Plan again without the blocks Terraform says have nothing to import, at most this often.
MAX_ROUNDS = 5

_ALREADY_EXISTS = re.compile(
    r"EntityAlreadyExists|ResourceInUseException|ResourceConflictException|"
    r"ResourceAlreadyExistsException|BucketAlreadyOwnedByYou|BucketAlreadyExists|"
    r"AlreadyExistsException|InvalidGroup\.Duplicate|DBInstanceAlreadyExists|"
    r"already exists|already exist\b",
    re.IGNORECASE,
)
_WITH = re.compile(r"with ((?:module\.[\w-]+(?:\[[^\]]+\])?\.)*[\w-]+\.[\w-]+(?:\[[^\]]+\])?),")
_NOT_THERE = re.compile(r"Cannot import non-existent remote object", re.IGNORECASE)


def _value(key: str) -> Callable[[dict], str | None]:
    return lambda after: after.get(key) if isinstance(after.get(key), str) else None


def _joined(first: str, second: str, sep: str) -> Callable[[dict], str | None]:
    def build(after: dict) -> str | None:
        a, b = after.get(first), after.get(second)
        return f"{a}{sep}{b}" if isinstance(a, str) and isinstance(b, str) else None

    return build


# Resource type -> its import ID from the planned values, for the types whose ID is a name
# the stack chooses (types with IDs that AWS generates cannot be found from the plan).
IMPORT_IDS: dict[str, Callable[[dict], str | None]] = {
    "aws_cloudwatch_dashboard": _value("dashboard_name"),
    "aws_cloudwatch_log_group": _value("name"),
    "aws_cloudwatch_metric_alarm": _value("alarm_name"),
    "aws_db_instance": _value("identifier"),
    "aws_db_subnet_group": _value("name"),
    "aws_dynamodb_table": _value("name"),
    "aws_iam_role": _value("name"),
    "aws_iam_role_policy": _joined("role", "name", ":"),
    "aws_kms_alias": _value("name"),
    "aws_lambda_alias": _joined("function_name", "name", "/"),
    "aws_lambda_function": _value("function_name"),
    "aws_s3_bucket": _value("bucket"),
}


def _error_blocks(text: str) -> list[str]:
    """Terraform's error messages, one string each (its lines joined)."""
    flat = " ".join(line.strip(" │╷╵") for line in text.splitlines())
    return [block for block in flat.split("Error: ")[1:] if block.strip()]


def unmanaged_addresses(error_text: str) -> list[str]:
    """The resources an apply failed to create because they already exist."""
    found = []
    for block in _error_blocks(error_text):
        match = _WITH.search(block)
        if match and _ALREADY_EXISTS.search(block) and match.group(1) not in found:
            found.append(match.group(1))
    return found


def explain_unmanaged(error: TerraformError, env: str, *, emulated: bool = False) -> TerraformError:
    """`error` with a first sentence naming what exists outside the state, when that is
    why it failed; else `error` itself. On an emulated environment it also offers the
    reset: the emulator's resources and state go together."""
    addresses = unmanaged_addresses(error.stderr + "\n" + error.stdout)
    if not addresses:
        return error
    shown = ", ".join(addresses[:8]) + (
        f" and {len(addresses) - 8} more" if len(addresses) > 8 else ""
    )
    summary = (
        f"{len(addresses)} resource(s) exist in AWS but not in {env}'s state ({shown}): a "
        "Terraform run that was killed created them and could not record them. Run "
        f"`deployer recover {env}` to bring them under management, then apply again"
        + (
            f" (or reset {env} with `deployer local stop`: its state and resources go together)"
            if emulated
            else ""
        )
    )
    return TerraformError(
        error.command, error.returncode, error.stderr, error.stdout, summary=summary
    )


@dataclass(frozen=True)
class Recovery:
    """A saved plan that imports `imported` (address -> ID) and does the rest of the apply."""

    planned: object  # a PlannedChange
    imported: dict[str, str]
    not_found: list[str]


def candidates(plan_doc: dict) -> dict[str, str]:
    """address -> import ID of each resource the plan would create that has a known ID."""
    found = {}
    for change in plan_doc.get("resource_changes") or []:
        if (change.get("change") or {}).get("actions") != ["create"]:
            continue
        if change.get("mode") != "managed":
            continue
        import_id = IMPORT_IDS.get(change.get("type", ""), lambda _: None)(
            (change.get("change") or {}).get("after") or {}
        )
        if import_id:
            found[change["address"]] = import_id
    return found


def _blocks(imports: dict[str, str]) -> str:
    # A JSON string is an HCL string; `${` and `%{` would be read as templates.
    def literal(text: str) -> str:
        return json.dumps(text).replace("${", "$${").replace("%{", "%%{")

    body = "".join(
        f"import {{\n  to = {address}\n  id = {literal(import_id)}\n}}\n\n"
        for address, import_id in sorted(imports.items())
    )
    return f"# Written by `deployer recover`, removed when it has planned.\n\n{body}"


def _missing(error: TerraformError) -> list[str]:
    return [
        match.group(1)
        for block in _error_blocks(error.stderr + "\n" + error.stdout)
        if _NOT_THERE.search(block) and (match := _WITH.search(block) or _TO.search(block))
    ]


_TO = re.compile(r"to = ((?:module\.[\w-]+(?:\[[^\]]+\])?\.)*[\w-]+\.[\w-]+(?:\[[^\]]+\])?)")


def recover_plan(stack, out: Path) -> Recovery:
    """Plan the stack with import blocks for what its apply would create and AWS already
    holds. A DeployerError when nothing the plan creates can be imported."""
    first = stack.plan(out=out)
    doc = stack.connect().show_json(first.plan_file) if first.has_changes else {}
    imports = candidates(doc)
    if not imports:
        raise UserInputError(
            f"Nothing to recover in {stack.name}: its plan creates no resource that could "
            f"already exist under the stack's names; run `deployer plan {stack.name}`."
        )
    not_found: list[str] = []
    target = stack.project.terraform_dir / IMPORTS_FILE
    try:
        for _ in range(MAX_ROUNDS):
            atomic_write(target, _blocks(imports))
            try:
                planned = stack.plan(out=out)
            except TerraformError as error:
                missing = [a for a in _missing(error) if a in imports]
                if not missing:
                    raise
                for address in missing:
                    not_found.append(address)
                    del imports[address]
                if not imports:
                    break
                continue
            return Recovery(planned=planned, imported=dict(imports), not_found=not_found)
    finally:
        target.unlink(missing_ok=True)
    raise DeployerError(
        f"None of the resources {stack.name}'s plan creates exists in AWS, so there is "
        f"nothing to import: run `deployer apply {stack.name}`."
    )
