"""Small additions to moto that close the gaps our stack meets on the embedded emulator.

Each addition makes moto answer the way AWS does for one operation the AWS provider
uses; none changes what Terraform sends. They are applied in the emulator process
only (`deployer/emulator/control.py serve`), never to moto in the caller's process, and
each has a test in tests/emulator/test_patches.py. docs/local.md lists them. The HTTP
layer around moto (health, 501s, retried calls) is `deployer/emulator/app.py`.

- API Gateway v2 `UpdateStage`, `DeleteAccessLogSettings`, `DeleteRouteSettings`:
  not implemented in moto; the provider calls them when a stage's settings change.
  `GetAuthorizers` (the list) was missing too: scripts and tests list authorizers.
- RDS `DescribeDBParameters`: user-set parameters report `Source = "user"` and the
  `Source` filter works (the provider keeps only those in state); `ResetDBParameterGroup`
  exists (the provider calls it when a parameter is removed).
- RDS `DbiResourceId`: unique per instance, as on AWS (moto gives every instance the same
  one; the provider reads instances by it, so a second database was "not found").
- Lambda `UpdateFunctionConfiguration`: `TracingConfig`, `EphemeralStorage`,
  `KMSKeyArn` and `DeadLetterConfig` are applied (moto ignored them).
- EC2 `DescribeSecurityGroupRules`: a rule that references another security group
  reports its description (moto dropped it: a permanent diff on every such rule).
- Lambda `AddPermission`: a statement id already in the policy is refused with
  `ResourceConflictException`, as on AWS, unless the request repeats the existing
  statement exactly (an SDK retry of a request whose answer was lost): that answers the
  statement again instead of adding a twin. moto appended a duplicate, `RemovePermission`
  then removed one of the two, and the provider waited five minutes for the other.
- Lambda never needs Docker: functions are created without it, and run in the
  emulator's own warm workers (`deployer/emulator/gateway/`, `deployer/runtime/`).
- API Gateway v2 `UpdateRoute`: an empty `authorizationScopes` clears the route's scopes
  (moto kept the old ones: a route switched from a JWT to a Lambda authorizer showed
  its scopes as a diff in every plan).
- RDS: a PostgreSQL instance gets a real PostgreSQL server on loopback, with the master
  secret's credentials and TLS; its endpoint is reported (`deployer/emulator/database.py`).
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from moto.apigatewayv2 import urls
from moto.apigatewayv2.models import Route
from moto.apigatewayv2.responses import ApiGatewayV2Response
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaFunction
from moto.awslambda.policy import Policy
from moto.core.config import default_user_config
from moto.core.responses import ActionResult
from moto.ec2.models.security_groups import SecurityGroupRule
from moto.rds.exceptions import DBParameterGroupNotFoundError
from moto.rds.models import DBInstance, DBParameterGroup
from moto.rds.responses import RDSResponse

from deployer.emulator import database as emulator_database

_APPLIED = False


def apply() -> None:
    """Install every addition into the imported moto (idempotent)."""
    global _APPLIED
    if _APPLIED:
        return
    _lambda_without_docker()
    _apigatewayv2_stage_updates()
    _apigatewayv2_route_scopes()
    _rds_parameter_sources()
    _rds_unique_resource_ids()
    _lambda_configuration_updates()
    _lambda_unique_permission_ids()
    _ec2_group_rule_descriptions()
    emulator_database.install()
    _APPLIED = True


# --- Lambda ----------------------------------------------------------------------------------


def _lambda_without_docker() -> None:
    # moto's simple Lambda backend creates and invokes functions without Docker.
    default_user_config.setdefault("lambda", {})["use_docker"] = False


def _lambda_configuration_updates() -> None:
    original = LambdaFunction.update_configuration

    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "TracingConfig" in config_updates:
            self.tracing_config = config_updates["TracingConfig"] or {"Mode": "PassThrough"}
        if "EphemeralStorage" in config_updates:
            self.ephemeral_storage = config_updates["EphemeralStorage"]["Size"]
        if "KMSKeyArn" in config_updates:
            self.kms_key_arn = config_updates["KMSKeyArn"] or None
        if "DeadLetterConfig" in config_updates:
            self.dead_letter_config = config_updates["DeadLetterConfig"]
        return original(self, config_updates)

    original_get = LambdaFunction.get_configuration

    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        config = original_get(self, on_create)
        dlq = getattr(self, "dead_letter_config", None)
        if dlq and dlq.get("TargetArn"):
            config["DeadLetterConfig"] = dlq
        return config

    LambdaFunction.update_configuration = update_configuration
    LambdaFunction.get_configuration = get_configuration


def _lambda_unique_permission_ids() -> None:

    class StatementIdExists(LambdaClientError):
        code = 409

        def __init__(self, sid: str) -> None:
            super().__init__(
                "ResourceConflictException",
                f"The statement id ({sid}) provided already exists. Please provide a new "
                "statement id, or remove the existing statement.",
            )

    original = Policy.add_statement

    def add_statement(self: Any, raw: str, qualifier: str | None = None) -> tuple[Any, str]:
        revision = self.revision
        statement, new_revision = original(self, raw, qualifier)
        twins = [s for s in self.statements[:-1] if s.get("Sid") == statement.get("Sid")]
        if not twins:
            return statement, new_revision
        self.statements.pop()
        self.revision = revision
        if twins[0] == statement:
            return twins[0], revision
        raise StatementIdExists(statement.get("Sid", ""))

    Policy.add_statement = add_statement


# --- EC2 ------------------------------------------------------------------------------------


def _ec2_group_rule_descriptions() -> None:
    # A rule that references another security group keeps its description in the group pair,
    # not in an IP range; moto only looked at the latter.
    def description(self: Any) -> str | None:
        return self.ip_range.get("Description") or self.source_group.get("Description")

    SecurityGroupRule.description = property(description)


# --- API Gateway v2 --------------------------------------------------------------------------

_STAGE_FIELDS = {
    "accessLogSettings": "access_log_settings",
    "autoDeploy": "auto_deploy",
    "clientCertificateId": "client_certificate_id",
    "defaultRouteSettings": "default_route_settings",
    "description": "description",
    "routeSettings": "route_settings",
    "stageVariables": "stage_variables",
}


def _apigatewayv2_stage_updates() -> None:

    def update_stage(self: Any) -> tuple[int, dict, str]:
        api_id = self.path.split("/")[-3]
        stage_name = unquote(self.path.split("/")[-1])
        stage = self.apigatewayv2_backend.get_stage(api_id, stage_name)
        for key, value in json.loads(self.body or "{}").items():
            if key in _STAGE_FIELDS:
                setattr(stage, _STAGE_FIELDS[key], value)
            elif key == "deploymentId":
                stage.config["deploymentId"] = value
        stage.updated = datetime.now()
        return 200, {}, json.dumps(stage.to_json())

    def delete_access_log_settings(self: Any) -> tuple[int, dict, str]:
        parts = self.path.split("/")
        stage = self.apigatewayv2_backend.get_stage(parts[-4], unquote(parts[-2]))
        stage.access_log_settings = None
        return 204, {}, ""

    def delete_route_settings(self: Any) -> tuple[int, dict, str]:
        parts = self.path.split("/")
        stage = self.apigatewayv2_backend.get_stage(parts[-5], unquote(parts[-3]))
        stage.route_settings.pop(unquote(parts[-1]), None)
        return 204, {}, ""

    def get_authorizers(self: Any) -> tuple[int, dict, str]:
        api = self.apigatewayv2_backend.get_api(self.path.split("/")[-2])
        items = [a.to_json() for a in api.authorizers.values()]
        return 200, {}, json.dumps({"items": items})

    ApiGatewayV2Response.get_authorizers = get_authorizers
    ApiGatewayV2Response.update_stage = update_stage
    ApiGatewayV2Response.delete_access_log_settings = delete_access_log_settings
    ApiGatewayV2Response.delete_route_settings = delete_route_settings
    stage = "{0}/v2/apis/(?P<api_id>[^/]+)/stages/(?P<stage_name>[^/]+)"
    urls.url_paths[stage + "/accesslogsettings$"] = ApiGatewayV2Response.dispatch
    urls.url_paths[stage + "/routesettings/(?P<route_key>[^/]+)$"] = ApiGatewayV2Response.dispatch


def _apigatewayv2_route_scopes() -> None:
    original = Route.update

    def update(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        scopes = kwargs.get("authorization_scopes")
        if scopes is not None:  # [] clears them; moto skipped every falsy value
            self.authorization_scopes = list(scopes)

    Route.update = update


# --- RDS -------------------------------------------------------------------------------------


def _rds_parameter_sources() -> None:

    def update_parameters(self: Any, new_parameters: Iterable[dict[str, Any]]) -> None:
        for new_parameter in new_parameters:
            parameter = self.parameters[new_parameter["ParameterName"]]
            parameter.update(new_parameter)
            parameter.setdefault("Source", "user")  # what AWS reports for a set parameter
            parameter.setdefault("IsModifiable", True)

    def _group(self: Any) -> Any:
        name = self.params.get("DBParameterGroupName")
        groups = self.backend.describe_db_parameter_groups({"db_parameter_group_name": name})
        if not groups:
            raise DBParameterGroupNotFoundError(name)
        return groups[0]

    def describe_db_parameters(self: Any) -> Any:
        group = _group(self)
        source = self.params.get("Source")
        parameters = [
            p for p in group.parameters.values() if not source or p.get("Source") == source
        ]
        return ActionResult({"Parameters": parameters})

    def reset_db_parameter_group(self: Any) -> Any:
        group = _group(self)
        if self.params.get("ResetAllParameters"):
            group.parameters.clear()
        for param in self.params.get("Parameters", []):
            name = param.original_dict().get("ParameterName")
            group.parameters.pop(name, None)
        return ActionResult({"DBParameterGroupName": group.name})

    DBParameterGroup.update_parameters = update_parameters
    RDSResponse.describe_db_parameters = describe_db_parameters
    RDSResponse.reset_db_parameter_group = reset_db_parameter_group


def _rds_unique_resource_ids() -> None:
    original_init = DBInstance.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        # AWS: "db-" and 26 base32 characters, unique in the account and region.
        self.dbi_resource_id = "db-" + base64.b32encode(secrets.token_bytes(20)).decode()[:26]

    DBInstance.__init__ = __init__
