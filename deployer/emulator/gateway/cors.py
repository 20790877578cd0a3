"""An HTTP API's CORS configuration, applied as API Gateway applies it.

With CORS configured, API Gateway answers a preflight (`OPTIONS` with `Origin` and
`Access-Control-Request-Method`) itself, without calling any integration, and adds the
CORS headers to the responses of allowed origins. Without it, nothing is added.
"""

from __future__ import annotations

from typing import Any

from deployer.emulator.gateway.responses import Response


def _allowed(values: list[str] | None, value: str, case: bool = True) -> bool:
    values = values or []
    if "*" in values:
        return True
    if case:
        return value in values
    return value.lower() in (v.lower() for v in values)


def _origin_allowed(config: dict, origin: str) -> bool:
    return _allowed(config.get("allowOrigins"), origin)


def _origin_header(config: dict, origin: str) -> str:
    wildcard = "*" in (config.get("allowOrigins") or [])
    return "*" if wildcard and not config.get("allowCredentials") else origin


def preflight(
    config: dict[str, Any] | None, method: str, headers: dict[str, str]
) -> Response | None:
    """The answer to a preflight request, or None when this is not one (or CORS is off)."""
    if not config or method != "OPTIONS":
        return None
    origin = headers.get("origin")
    wanted = headers.get("access-control-request-method")
    if not origin or not wanted:
        return None
    answer = Response(204)
    if not _origin_allowed(config, origin) or not _allowed(
        config.get("allowMethods"), wanted.upper(), case=False
    ):
        return answer  # no CORS headers: the browser refuses
    answer.headers.append(("access-control-allow-origin", _origin_header(config, origin)))
    methods = config.get("allowMethods") or []
    answer.headers.append(("access-control-allow-methods", ",".join(methods) or wanted))
    asked = headers.get("access-control-request-headers", "")
    allow_headers = config.get("allowHeaders") or []
    if asked:
        requested = [h.strip() for h in asked.split(",") if h.strip()]
        granted = [h for h in requested if _allowed(allow_headers, h, case=False)]
        if granted:
            answer.headers.append(("access-control-allow-headers", ",".join(granted)))
    if config.get("allowCredentials"):
        answer.headers.append(("access-control-allow-credentials", "true"))
    if config.get("maxAge") is not None:
        answer.headers.append(("access-control-max-age", str(config["maxAge"])))
    return answer


def decorate(config: dict[str, Any] | None, headers: dict[str, str], response: Response) -> None:
    """Add the CORS headers to an actual response for an allowed origin."""
    origin = headers.get("origin")
    if not config or not origin or not _origin_allowed(config, origin):
        return
    response.headers.append(("access-control-allow-origin", _origin_header(config, origin)))
    if config.get("allowCredentials"):
        response.headers.append(("access-control-allow-credentials", "true"))
    expose = config.get("exposeHeaders") or []
    if expose:
        response.headers.append(("access-control-expose-headers", ",".join(expose)))
