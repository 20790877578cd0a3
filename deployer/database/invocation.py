"""The deployed migrate function of an environment, called with the Lambda Invoke API.

The same path on every environment: on AWS the function runs inside the VPC, next to the
database; on an emulated environment the emulator runs it for real against the
PostgreSQL server it started for the RDS instance. Either way the deployer only invokes
it (RequestResponse) and reads its JSON answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError, ReadTimeoutError

from deployer.aws import client, environment
from deployer.common import DeployerError, UserInputError
from deployer.config import Environment, Project, get_environment, read_hcl
from deployer.functions import deployed_name, load_functions

# How much longer than the function's own timeout the deployer waits for its answer.
ANSWER_ALLOWANCE_SECONDS = 30


@dataclass(frozen=True)
class MigrateFunction:
    """The migrate function as deployed in one environment, ready to invoke."""

    environment: str
    name: str  # the deployed Lambda name, <app>-<env>-<function>
    timeout: int
    environ: dict[str, str]


def database_enabled(project: Project, env: Environment) -> bool | None:
    """`database.enabled` of the environment's tfvars; None when it is an expression."""
    values = read_hcl(project.root / env.tfvars, root=project.root).values
    database = values.get("database")
    enabled = database.get("enabled", False) if isinstance(database, dict) else False
    return enabled if isinstance(enabled, bool) else None


def has_migrate_function(project: Project) -> bool:
    """Whether lambda_src/ holds the function `[tool.deployer] migrate_function` names."""
    return any(s.name == project.settings.migrate_function for s in load_functions(project))


def find_migrate_function(project: Project, env_name: str) -> MigrateFunction:
    """The deployed migrate function of `env_name`; a UserInputError saying what to do."""
    env = get_environment(project, env_name)
    function = project.settings.migrate_function
    if not has_migrate_function(project):
        raise UserInputError(
            f"The project has no migration function: lambda_src/{function}/ does not exist "
            f'([tool.deployer] migrate_function = "{function}"); add it as docs/database.md '
            "shows, then run deployer apply."
        )
    if database_enabled(project, env) is False:
        raise UserInputError(
            f"{env.tfvars} has no database (database.enabled is false), so {env_name} has "
            f"nothing to migrate; enable it there and run deployer apply {env_name}."
        )
    environ = environment(project, env_name)
    name = deployed_name(project, env_name, function)
    try:
        config = client(environ, "lambda").get_function_configuration(FunctionName=name)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "ResourceNotFoundException":
            raise UserInputError(
                f"The migration function {name} is not deployed in {env_name}: run "
                f"deployer apply {env_name} first."
            ) from None
        raise DeployerError(
            f"Reading the configuration of {name} failed ({error.get('Code')}: "
            f"{error.get('Message')}); check the AWS credentials."
        ) from None
    except BotoCoreError as exc:
        raise DeployerError(f"Cannot reach Lambda to find {name} ({exc}).") from None
    variables = (config.get("Environment") or {}).get("Variables") or {}
    if not variables.get("DB_SECRET_ARN"):
        raise UserInputError(
            f"The migration function {name} has no database settings in {env_name} (no "
            f"DB_SECRET_ARN): the deployed stack has no database; enable it in {env.tfvars} "
            f"and run deployer apply {env_name}."
        )
    return MigrateFunction(env_name, name, int(config.get("Timeout") or 300), environ)


def call(function: MigrateFunction, event: dict) -> dict:
    """Invoke the function once and return its answer (a dict)."""
    # One attempt only: a retried invoke would start a second run beside the first.
    environ = {**function.environ, "AWS_MAX_ATTEMPTS": "1"}
    lam = client(environ, "lambda", read_timeout=function.timeout + ANSWER_ALLOWANCE_SECONDS)
    try:
        answer = lam.invoke(
            FunctionName=function.name,
            InvocationType="RequestResponse",
            Payload=json.dumps(event).encode("utf-8"),
        )
        payload = answer["Payload"].read()
    except ReadTimeoutError:
        raise DeployerError(
            f"{function.name} did not answer within {function.timeout} s; it may still be "
            f"running: see deployer db status {function.environment} before running it again."
        ) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise DeployerError(
            f"Invoking {function.name} failed ({error.get('Code')}: {error.get('Message')}); "
            "check the AWS credentials (lambda:InvokeFunction)."
        ) from None
    except BotoCoreError as exc:
        raise DeployerError(f"Cannot reach Lambda to invoke {function.name} ({exc}).") from None
    try:
        data = json.loads(payload or b"null")
    except ValueError:
        data = None
    if answer.get("FunctionError"):
        error = data if isinstance(data, dict) else {}
        raise DeployerError(
            f"{function.name} failed in {function.environment}: "
            f"{error.get('errorType', 'error')}: {error.get('errorMessage', payload[:200])}; "
            f"its log group /aws/lambda/{function.name} has the details."
        )
    if not isinstance(data, dict):
        raise DeployerError(
            f"{function.name} answered {payload[:200]!r}, not a migration report: is it the "
            f"migrate function of docs/database.md? Run deployer apply {function.environment}."
        )
    return data
