"""Error responses shared by the HTTP API functions built on Powertools' event handler.

Copied into every package (imported only by the functions that use Powertools). Every
error a client sees is a small JSON body {"message": ...}; anything unexpected is
logged in full and answered with a generic 500, whatever POWERTOOLS_DEV says.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError, ServiceError

INTERNAL_ERROR_MESSAGE = "Internal server error"


def json_error(status_code: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A JSON error response: {"message": message}."""
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body={"message": message},
        headers=headers,
    )


def install_error_handlers(app: APIGatewayHttpResolver, logger: Logger) -> None:
    """Map expected errors to their status and everything else to a generic 500."""

    @app.not_found
    def _not_found(exc: NotFoundError) -> Response:
        return json_error(404, exc.msg if isinstance(exc.msg, str) else "Not found")

    @app.exception_handler(ServiceError)
    def _service_error(exc: ServiceError) -> Response:
        return json_error(exc.status_code, exc.msg if isinstance(exc.msg, str) else "Error")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # The details go to the log only: a client never sees a trace, a table or a host name.
        logger.exception("Unhandled error", extra={"error_type": type(exc).__name__})
        return json_error(500, INTERNAL_ERROR_MESSAGE)


def reject_other_methods(app: APIGatewayHttpResolver, path: str, allowed: Iterable[str]) -> None:
    """Answer 405 with an Allow header for every method `path` does not serve."""
    allowed = sorted({m.upper() for m in allowed})
    others = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m not in allowed]
    allow_header = ", ".join(allowed)

    def _method_not_allowed(**_path_params: str) -> Response:
        return json_error(405, "Method not allowed", headers={"Allow": allow_header})

    app.route(path, method=others)(_method_not_allowed)
