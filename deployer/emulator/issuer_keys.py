"""Where the gateway gets an issuer's signing keys: the emulator's own issuer
in-process, any other over HTTP as API Gateway does (OIDC discovery, then `jwks_uri`),
kept for a while and refetched sparingly.
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from deployer.emulator.oidc import LOCAL_ISSUER

# API Gateway may keep an issuer's keys up to two hours; an unknown `kid` refetches them,
# at most once a minute per issuer (sooner after a failed fetch: an issuer briefly down
# must not lock every caller out for a minute).
KEYS_MAX_AGE = 2 * 3600.0
REFETCH_INTERVAL = 60.0
RETRY_AFTER_FAILURE = 10.0
FETCH_TIMEOUT = 3.0
_MAX_DOCUMENT_BYTES = 1 << 20
_LOOPBACK_NAMES = frozenset({"localhost"})


class KeysUnavailable(Exception):
    """An issuer's keys cannot be had (down, not JSON, no JWKS); the message says which."""


class KeySource(Protocol):
    """Where the gateway gets an issuer's signing keys."""

    def signing_key(self, issuer: str, kid: str) -> Mapping[str, Any] | None:
        """The issuer's public JWK named `kid`; None when the issuer has no such key.

        Raises KeysUnavailable when the issuer's keys cannot be read at all.
        """
        ...


class _LocalKeys(Protocol):
    def jwks(self) -> Mapping[str, Any]: ...


@dataclass
class _Cached:
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    fetched_at: float | None = None
    attempted_at: float | None = None
    failure: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class IssuerKeys:
    """The KeySource of the gateway: LOCAL_ISSUER's keys in-process, others over HTTP.

    `local`: the emulator's issuer (its `jwks()`); `fetch`: issuer -> {kid: jwk}, by
    default OIDC discovery over HTTP (`fetch_issuer_keys`). An issuer's keys are kept
    KEYS_MAX_AGE; an unknown `kid` refetches them at most once per REFETCH_INTERVAL.
    """

    def __init__(
        self,
        local: _LocalKeys | None = None,
        *,
        fetch: Callable[[str], dict[str, dict[str, Any]]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_age: float = KEYS_MAX_AGE,
        refetch_interval: float = REFETCH_INTERVAL,
        retry_after_failure: float = RETRY_AFTER_FAILURE,
    ) -> None:
        self._local = local
        self._fetch = fetch or fetch_issuer_keys
        self._clock = clock
        self._max_age = max_age
        self._refetch_interval = refetch_interval
        self._retry_after_failure = retry_after_failure
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def signing_key(self, issuer: str, kid: str) -> Mapping[str, Any] | None:
        if issuer == LOCAL_ISSUER:
            if self._local is None:
                raise KeysUnavailable("the local issuer is not running")
            return _by_kid(self._local.jwks()).get(kid)
        with self._lock:
            cached = self._cache.setdefault(issuer, _Cached())
        with cached.lock:
            now = self._clock()
            key = cached.keys.get(kid)
            stale = cached.fetched_at is None or now - cached.fetched_at >= self._max_age
            if (key is None or stale) and self._may_fetch(cached, now):
                cached.attempted_at = now
                try:
                    cached.keys, cached.fetched_at, cached.failure = self._fetch(issuer), now, None
                except KeysUnavailable as exc:
                    cached.failure = str(exc)  # the keys known so far are still the issuer's
                key = cached.keys.get(kid)
            if key is None and not cached.keys and cached.failure:
                raise KeysUnavailable(cached.failure)
            return key

    def _may_fetch(self, cached: _Cached, now: float) -> bool:
        if cached.attempted_at is None:
            return True
        wait = self._refetch_interval
        if cached.failure is not None:
            wait = min(wait, self._retry_after_failure)
        return now - cached.attempted_at >= wait


def fetch_issuer_keys(issuer: str, timeout: float = FETCH_TIMEOUT) -> dict[str, dict[str, Any]]:
    """The issuer's RSA signing keys by `kid`: `<issuer>/.well-known/openid-configuration`,
    then its `jwks_uri`, as API Gateway reads them. Raises KeysUnavailable."""
    discovery = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration", timeout)
    jwks_uri = discovery.get("jwks_uri")
    if not isinstance(jwks_uri, str) or not jwks_uri:
        raise KeysUnavailable(f"the discovery document of {issuer} has no jwks_uri")
    keys = _by_kid(_get_json(jwks_uri, timeout))
    if not keys:
        raise KeysUnavailable(f"the JWKS of {issuer} has no RSA signing key")
    return keys


def _by_kid(jwks: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for jwk in jwks.get("keys") or []:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA":
            continue
        if jwk.get("use") not in (None, "sig") or not isinstance(jwk.get("kid"), str):
            continue
        found[jwk["kid"]] = jwk
    return found


def _get_json(url: str, timeout: float) -> dict[str, Any]:
    parts = urlsplit(url)
    loopback = _is_loopback(parts.hostname or "")
    if not (parts.scheme == "https" or (parts.scheme == "http" and loopback)):
        raise KeysUnavailable(f"{url} is not an https:// URL (plain http: loopback only)")
    # Loopback (tests, a local issuer) never goes through the user's proxy.
    handlers = [urllib.request.ProxyHandler({})] if loopback else []
    opener = urllib.request.build_opener(*handlers)
    # The scheme was checked above: https, or http on loopback.
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with opener.open(request, timeout=timeout) as answer:
            data = answer.read(_MAX_DOCUMENT_BYTES + 1)
    except (OSError, ValueError) as exc:  # URLError, HTTPError and timeouts are OSErrors
        raise KeysUnavailable(f"{url}: {exc}") from None
    if len(data) > _MAX_DOCUMENT_BYTES:
        raise KeysUnavailable(f"{url}: the answer is larger than 1 MiB")
    try:
        document = json.loads(data)
    except ValueError:
        raise KeysUnavailable(f"{url}: the answer is not JSON") from None
    if not isinstance(document, dict):
        raise KeysUnavailable(f"{url}: the answer is not a JSON object")
    return document


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
