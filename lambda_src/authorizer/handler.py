"""Lambda REQUEST authorizer for the HTTP API (payload format 2.0, simple responses).

Verifies `Authorization: Bearer <jwt>` against any OIDC issuer's JWKS (Auth0, Cognito, ...)
and answers exactly {"isAuthorized": bool, "context": {"sub": ..., "scope": ...}}.
Settings: see README.md. It fails closed: any error, including its own, is a deny.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable
from typing import Any

from jwks_cache import JwksKeyCache
from jwks_fetch import fetch_signing_keys
from log_json import log_event
from settings import ConfigError, Settings
from verifier import Authorizer, deny

logger = logging.getLogger("authorizer")
_level = os.environ.get("LOG_LEVEL", "INFO").upper()
logger.setLevel(_level if _level in logging.getLevelNamesMapping() else "INFO")

# One key cache per container: warm invocations reuse the cached keys.
_authorizer: Authorizer | None = None


def build_authorizer(settings: Settings, clock: Callable[[], float] = time.monotonic) -> Authorizer:
    """The authorizer for `settings`, with its own key cache (`clock` times its cooldowns)."""
    keys = JwksKeyCache(
        functools.partial(fetch_signing_keys, settings.jwks_url),
        refetch_cooldown=settings.jwks_refetch_cooldown_seconds,
        max_age=settings.jwks_max_age_seconds,
        clock=clock,
    )
    return Authorizer(settings, keys)


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point: allow or deny one request, never raise."""
    global _authorizer
    try:
        if _authorizer is None:
            _authorizer = build_authorizer(Settings.from_env(os.environ))
        return _authorizer.authorize(event, remaining_seconds=_remaining_seconds(context))
    except ConfigError as exc:
        log_event(logger, logging.ERROR, "authorizer_misconfigured", error=str(exc))
    except Exception as exc:
        # Only the type: a message could quote what was being parsed.
        log_event(logger, logging.ERROR, "authorizer_failed", error=type(exc).__name__)
    return deny()


def _remaining_seconds(context: Any) -> float | None:
    """The time Lambda leaves this invocation, or None when the context does not say."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if not callable(remaining):
        return None
    try:
        return float(remaining()) / 1000
    except (TypeError, ValueError):
        return None
