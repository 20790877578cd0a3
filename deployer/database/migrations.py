"""`deployer db migrate|status ENV`, and the migrations `deployer apply ENV` runs afterwards.

The migrate function (lambda_src/db_migrate, docs/database.md) does the work next to the
database; this module asks it, turns its answer into a `MigrationResult`, and its
expected failures into one sentence naming the file and the fix (`MigrationError`).
It also says where the project's migrations/ and the deployed package disagree (a file
not deployed yet, or edited since): the function runs what is deployed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from deployer.common import DeployerError, UserInputError
from deployer.config import Project, get_environment, list_migrations
from deployer.database.invocation import (
    MigrateFunction,
    call,
    database_enabled,
    find_migrate_function,
    has_migrate_function,
)

# Refusals whose fix is in the project's files or settings: bad input (exit 2).
INPUT_KINDS = frozenset({"checksum_mismatch", "out_of_order", "invalid_migrations", "config"})


@dataclass
class MigrationResult:
    """The answer of one call of the migrate function, as the CLI shows it."""

    environment: str
    function_name: str
    action: str
    dry_run: bool = False
    applied: list[dict] = field(default_factory=list)
    pending: list[dict] = field(default_factory=list)
    ran: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: dict | None = None
    # What the run did to the application role (name, created, password_generated); None
    # when the stack names none or the run stopped before it.
    app_role: dict | None = None

    def as_dict(self) -> dict:
        return {
            "environment": self.environment,
            "function_name": self.function_name,
            "action": self.action,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "pending": self.pending,
            "ran": self.ran,
            "notes": self.notes,
            "error": self.error,
            "app_role": self.app_role,
        }


class MigrationError(DeployerError):
    """A refused or failed run; `result` holds what had happened (files that ran)."""

    def __init__(self, message: str, result: MigrationResult, exit_code: int) -> None:
        super().__init__(message, exit_code=exit_code)
        self.result = result


def status(project: Project, env_name: str) -> MigrationResult:
    """What the environment's database has applied and what is pending."""
    return _run(project, env_name, {"action": "status"})


def migrate(project: Project, env_name: str, *, dry_run: bool = False) -> MigrationResult:
    """Apply the pending migrations (`dry_run`: only list them); MigrationError on failure."""
    return _run(project, env_name, {"action": "migrate", "dry_run": dry_run})


def migrate_after_apply(project: Project, env_name: str) -> MigrationResult | None:
    """After a successful apply: the pending migrations, or None when there is nothing to do.

    Nothing to do: the project has no migrate function or no migration files, or the
    environment has no database (database.enabled = false in its tfvars).
    """
    if not has_migrate_function(project) or not list_migrations(project):
        return None
    if database_enabled(project, get_environment(project, env_name)) is False:
        return None
    return migrate(project, env_name)


def _run(project: Project, env_name: str, event: dict) -> MigrationResult:
    function = find_migrate_function(project, env_name)
    answer = call(function, event)
    result = MigrationResult(
        environment=env_name,
        function_name=function.name,
        action=str(answer.get("action") or event["action"]),
        dry_run=bool(answer.get("dry_run")),
        applied=list(answer.get("applied") or []),
        pending=list(answer.get("pending") or []),
        ran=list(answer.get("ran") or []),
        notes=_differences(project, env_name, answer),
        error=answer.get("error") if isinstance(answer.get("error"), dict) else None,
        app_role=answer.get("app_role") if isinstance(answer.get("app_role"), dict) else None,
    )
    if result.error is not None:
        kind = str(result.error.get("kind"))
        raise MigrationError(
            _sentence(project, function, result),
            result,
            UserInputError.exit_code if kind in INPUT_KINDS else DeployerError.exit_code,
        )
    return result


def _differences(project: Project, env_name: str, answer: dict) -> list[str]:
    """Where migrations/ and the deployed package disagree, one note each."""
    if answer.get("error") and not answer.get("files"):
        return []  # refused before it read its files: there is nothing to compare
    folder = project.settings.migrations
    local = {m.name: m.checksum for m in list_migrations(project)}
    deployed = {f.get("name"): f.get("checksum") for f in answer.get("files") or []}
    notes = []
    for name in sorted(local.keys() - deployed.keys()):
        notes.append(
            f"{folder}/{name} is not deployed to {env_name} yet (the deployed files are the "
            f"ones that run): deployer apply {env_name} packages it."
        )
    for name in sorted(local.keys() & deployed.keys()):
        if local[name] != deployed[name]:
            notes.append(
                f"{folder}/{name} differs from the copy deployed to {env_name}, which is the "
                f"one that runs: deployer apply {env_name} deploys yours."
            )
    for name in sorted(deployed.keys() - local.keys()):
        notes.append(f"{name} is deployed to {env_name} but not in {folder}/ (another branch?).")
    for row in answer.get("applied") or []:
        if row.get("in_package") is False:
            notes.append(
                f"{row.get('name')} is applied on {env_name} but no longer in the deployed "
                "package (applied migrations are never undone)."
            )
    return notes


def _sentence(project: Project, function: MigrateFunction, result: MigrationResult) -> str:
    """The error as one sentence: what happened, naming the file, and the fix."""
    error = result.error or {}
    kind = error.get("kind")
    said = str(error.get("message") or "").rstrip(".")
    env = result.environment
    again = f"deployer db migrate {env}"
    shown = f"{project.settings.migrations}/{said}"  # the function's sentences start with the file
    done = ", ".join(r["name"] for r in result.ran)
    before = f" ({done} applied before it)" if done else ""
    fixes = {
        "checksum_mismatch": f"{shown}; nothing ran on {env}: restore the file as it was "
        "applied and put the change in a new migration.",
        "out_of_order": f"{shown}; nothing ran on {env}: renumber it after the newest applied "
        "migration.",
        "sql_error": f"{shown}{before}; fix the file and run {again} again.",
        "timeout": f"{shown}{before}; run {again} again to apply the rest.",
        "locked": f"Another migration is running on {env}'s database, so nothing ran: wait "
        f"for it to finish, then run {again} again.",
        "connection": f"{function.name} could not reach {env}'s database: {said}; check that "
        f"the database is available (deployer apply {env}), then run {again} again.",
        "secret": f"{function.name} could not read {env}'s database secret: {said}; check the "
        f"secret and the function's access to it (deployer apply {env}).",
        "config": f"{function.name} has no database settings in {env}: {said}; enable the "
        f"database and run deployer apply {env}.",
        "invalid_migrations": f"The migrations deployed to {env} are invalid: {said}; fix "
        f"{project.settings.migrations}/ and run deployer apply {env}.",
        "app_role": f"Every migration applied on {env}, but {said}; then run {again} again.",
        "bad_request": f"{function.name} refused the request: {said}; it may be older than "
        f"this deployer: run deployer apply {env}.",
    }
    return fixes.get(kind) or f"{function.name} failed on {env} ({kind}): {said}."
