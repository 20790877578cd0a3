"""Small additions to moto that close the gaps our stack meets on the embedded emulator.

Each addition makes moto answer the way AWS does for one operation the AWS provider
uses; none changes what Terraform sends. They are applied in the emulator process
only (`deployer/local_emulator.py serve`), never to moto in the caller's process, and
each has a test in tests/test_local_emulator.py. docs/local.md lists them.

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
- Lambda never needs Docker: functions are created without it (the deployer runs
  handlers itself, `deployer invoke`), and an Invoke through moto answers without it.
- An operation moto lacks, or an emulator bug, answers HTTP 501 with a message naming
  the operation, instead of moto's HTTP 500, which AWS SDKs retry for many minutes
  (it looked like a hang). SDKs do not retry 501.
"""

from __future__ import annotations

import io
import json
import sys
import traceback
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

_APPLIED = False

# Services whose APIs speak JSON even on GET requests that carry no Content-Type.
_REST_JSON_SERVICES = {"lambda", "apigateway", "execute-api", "logs", "secretsmanager"}


def apply() -> None:
    """Install every addition into the imported moto (idempotent)."""
    global _APPLIED
    if _APPLIED:
        return
    _lambda_without_docker()
    _apigatewayv2_stage_updates()
    _rds_parameter_sources()
    _rds_unique_resource_ids()
    _lambda_configuration_updates()
    _ec2_group_rule_descriptions()
    _APPLIED = True


# --- Lambda ----------------------------------------------------------------------------------


def _lambda_without_docker() -> None:
    # moto's simple Lambda backend creates and invokes functions without Docker.
    from moto.core.config import default_user_config

    default_user_config.setdefault("lambda", {})["use_docker"] = False


def _lambda_configuration_updates() -> None:
    from moto.awslambda.models import LambdaFunction

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


# --- EC2 ------------------------------------------------------------------------------------


def _ec2_group_rule_descriptions() -> None:
    # A rule that references another security group keeps its description in the group pair,
    # not in an IP range; moto only looked at the latter.
    from moto.ec2.models.security_groups import SecurityGroupRule

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
    from datetime import datetime

    from moto.apigatewayv2 import urls
    from moto.apigatewayv2.responses import ApiGatewayV2Response

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


# --- RDS -------------------------------------------------------------------------------------


def _rds_parameter_sources() -> None:
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import DBParameterGroupNotFoundError
    from moto.rds.models import DBParameterGroup
    from moto.rds.responses import RDSResponse

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
    import base64
    import secrets

    from moto.rds.models import DBInstance

    original_init = DBInstance.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        # AWS: "db-" and 26 base32 characters, unique in the account and region.
        self.dbi_resource_id = "db-" + base64.b32encode(secrets.token_bytes(20)).decode()[:26]

    DBInstance.__init__ = __init__


# --- the WSGI application --------------------------------------------------------------------


def build_app(health: dict[str, Any]) -> Callable:
    """moto's server application with our additions, a health endpoint and 501s for gaps."""
    apply()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return EmulatorApp(DomainDispatcherApplication(create_backend_app), health)


def handler() -> type:
    """The request handler class moto's own server uses (it keeps underscored headers)."""
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    return MotoRequestHandler


class EmulatorApp:
    """Health endpoint + turns moto's 500s (missing operations, bugs) into non-retried 501s."""

    def __init__(self, app: Callable, health: dict[str, Any]) -> None:
        self.app = app
        self.health = health

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        from deployer.local_emulator import HEALTH_PATH

        if environ.get("PATH_INFO") == HEALTH_PATH:
            body = json.dumps(self.health).encode()
            start_response("200 OK", [("Content-Type", "application/json")])
            return [body]
        _remember_query_action(environ)

        def guarded_start_response(status: str, headers: list, exc_info: Any = None) -> Any:
            if status.startswith("500"):
                status = "501 Not Implemented"
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, guarded_start_response)
        except NotImplementedError as exc:
            return _error(environ, start_response, "NotImplemented", _gap_message(environ, exc))
        except Exception as exc:
            traceback.print_exc(file=sys.stdout)
            message = (
                f"the local emulator failed on {_operation(environ)}: "
                f"{type(exc).__name__}: {exc} (see .deployer/local/moto.log)"
            )
            return _error(environ, start_response, "EmulatorError", message)


def _remember_query_action(environ: dict[str, Any]) -> None:
    """Query-protocol calls name their operation in the form body: keep it for messages."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return
    from urllib.parse import parse_qs

    try:
        size = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    body = environ["wsgi.input"].read(size) if size else b""
    environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
    action = parse_qs(body.decode(errors="replace")).get("Action")
    if action:
        environ["deployer.action"] = action[0]


def _service(environ: dict[str, Any]) -> str:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        return auth.split("Credential=")[1].split(",")[0].split("/")[3].lower()
    except IndexError:
        return ""


def _operation(environ: dict[str, Any]) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    name = target.split(".")[-1] if target else environ.get("deployer.action", "")
    if not name:
        name = f"{environ.get('REQUEST_METHOD', '')} {environ.get('PATH_INFO', '')}"
    return f"{_service(environ) or 'AWS'} {name}".strip()


def _gap_message(environ: dict[str, Any], exc: NotImplementedError) -> str:
    return (
        f"the local emulator does not implement {_operation(environ)} ({exc}); on an emulated "
        "environment, leave out the setting that needs it (see docs/local.md)"
    )


def _error(environ: dict[str, Any], start_response: Callable, code: str, message: str) -> list:
    service = _service(environ)
    content_type = environ.get("CONTENT_TYPE", "")
    if "json" in content_type or service in _REST_JSON_SERVICES:
        body = json.dumps({"__type": code, "message": message, "Message": message})
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code)]
    else:
        from xml.sax.saxutils import escape

        error = f"<Code>{code}</Code><Message>{escape(message)}</Message>"
        if service == "ec2":
            body = f"<Response><Errors><Error>{error}</Error></Errors></Response>"
        elif service == "s3":
            body = f"<Error>{error}</Error>"
        else:
            body = f"<ErrorResponse><Error><Type>Receiver</Type>{error}</Error></ErrorResponse>"
        headers = [("Content-Type", "text/xml")]
    start_response("501 Not Implemented", headers)
    return [body.encode()]
