"""The authorizer's settings, read once per container from environment variables."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Hosts a plain-http JWKS URL may point at: only a JWKS served on this machine (tests, emulators).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class ConfigError(ValueError):
    """A setting is missing or invalid: every request is denied until it is fixed."""


@dataclass(frozen=True)
class Settings:
    """Everything the authorizer needs to know about the issuer and the API."""

    issuer: str
    audiences: tuple[str, ...]
    jwks_url: str
    token_use: str | None = None
    leeway_seconds: int = 30
    # One deadline for a whole JWKS fetch (connect, TLS, every read), cut to the invocation's time.
    jwks_timeout_seconds: float = 2.0
    jwks_refetch_cooldown_seconds: float = 300.0
    jwks_max_age_seconds: float = 3600.0
    max_token_bytes: int = 8192
    required_scopes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build the settings from environment variables; raise ConfigError naming the bad one."""
        issuer = env.get("JWT_ISSUER", "").strip()
        if not issuer:
            raise ConfigError("JWT_ISSUER is not set: set it to the issuer URL of your tokens.")
        audiences = tuple(a.strip() for a in env.get("JWT_AUDIENCE", "").split(",") if a.strip())
        if not audiences:
            raise ConfigError(
                "JWT_AUDIENCE is not set: set it to the API audience (Cognito: the app client id)."
            )
        jwks_url = env.get("JWKS_URL", "").strip() or issuer.rstrip("/") + "/.well-known/jwks.json"
        _check_jwks_url(jwks_url)
        token_use = env.get("TOKEN_USE", "").strip() or None
        if token_use not in (None, "access"):
            raise ConfigError(
                'TOKEN_USE must be empty (standard OIDC `aud`) or "access" (Cognito access tokens).'
            )
        return cls(
            issuer=issuer,
            audiences=audiences,
            jwks_url=jwks_url,
            token_use=token_use,
            leeway_seconds=int(_number(env, "JWT_LEEWAY_SECONDS", 30, 0, 300)),
            jwks_timeout_seconds=_number(env, "JWKS_TIMEOUT_SECONDS", 2.0, 0.1, 10),
            jwks_refetch_cooldown_seconds=_number(
                env, "JWKS_REFETCH_COOLDOWN_SECONDS", 300.0, 0, 86400
            ),
            jwks_max_age_seconds=_number(env, "JWKS_MAX_AGE_SECONDS", 3600.0, 1, 7 * 86400),
            max_token_bytes=int(_number(env, "MAX_TOKEN_BYTES", 8192, 512, 65536)),
            required_scopes=_required_scopes(env.get("REQUIRED_SCOPES", "")),
        )


def _check_jwks_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return
    raise ConfigError(
        f"JWKS_URL {url!r} must be an https:// URL (plain http is accepted for loopback only)."
    )


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (low <= value <= high):
        raise ConfigError(f"{name} must be a number between {low:g} and {high:g}, not {raw!r}.")
    return value


def _required_scopes(raw: str) -> dict[str, tuple[str, ...]]:
    """Parse REQUIRED_SCOPES: a JSON object mapping route keys to lists of scopes."""
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    valid = isinstance(data, dict) and all(
        isinstance(route, str)
        and isinstance(scopes, list)
        and all(isinstance(s, str) and s and " " not in s for s in scopes)
        for route, scopes in data.items()
    )
    if not valid:
        raise ConfigError(
            'REQUIRED_SCOPES must be a JSON object like {"DELETE /items/{id}": ["items:write"]}.'
        )
    return {route: tuple(scopes) for route, scopes in data.items()}
