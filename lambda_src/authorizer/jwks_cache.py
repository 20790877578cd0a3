"""The issuer's signing keys, fetched rarely and kept in memory for warm invocations.

Fetching the JWKS for every unknown `kid` would turn a flood of tokens with made-up
`kid`s, or an issuer that is down, into one outbound request per API call. One rule here
decides when to fetch: at most once per refetch cooldown (a shorter retry delay after a
failed fetch), whatever the tokens say. Each fetch gets the time the caller can spare.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from jwt import PyJWK

from jwks_fetch import FetchError
from log_json import log_event

# Only asymmetric algorithms: a key of any other kind is never used, even if the JWKS has one.
ALLOWED_ALGORITHMS = frozenset({"RS256", "ES256"})

# After a failed fetch, the next attempt waits this long (or the cooldown, if shorter): a JWKS
# endpoint that is briefly down must not lock every caller out for the whole cooldown.
RETRY_AFTER_FAILURE_SECONDS = 10.0

logger = logging.getLogger("authorizer")


class JwksKeyCache:
    """Signing keys by `kid`, refreshed at most once per cooldown."""

    def __init__(
        self,
        fetch: Callable[[float], list[PyJWK]],
        *,
        refetch_cooldown: float,
        max_age: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch  # seconds it may take -> the signing keys, or raises
        self._refetch_cooldown = refetch_cooldown
        self._max_age = max_age
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None  # last successful fetch
        self._attempted_at: float | None = None  # last fetch, successful or not
        self._last_attempt_ok = False
        self._lock = threading.Lock()

    def get(self, kid: str, fetch_budget: float) -> PyJWK | None:
        """The key for `kid`, or None when the issuer does not publish it (or cannot be reached).

        A fetch, when one is due, may take at most `fetch_budget` seconds.
        """
        with self._lock:
            now = self._clock()
            key = self._keys.get(kid)
            stale = self._fetched_at is None or now - self._fetched_at >= self._max_age
            if (key is None or stale) and self._may_fetch(now):
                self._refresh(now, fetch_budget)
                # A failed refresh keeps the keys already known: they are still the issuer's.
                key = self._keys.get(kid)
            return key

    @property
    def has_keys(self) -> bool:
        """True once a fetch succeeded (False: the issuer's JWKS could not be read yet)."""
        return bool(self._keys)

    def _may_fetch(self, now: float) -> bool:
        if self._attempted_at is None:
            return True
        wait = self._refetch_cooldown
        if not self._last_attempt_ok:
            wait = min(wait, RETRY_AFTER_FAILURE_SECONDS)
        return now - self._attempted_at >= wait

    def _refresh(self, now: float, budget: float) -> None:
        self._attempted_at = now
        self._last_attempt_ok = False
        failed: dict[str, object] = {"deadline_seconds": round(budget, 3)}
        try:
            keys = self._fetch(budget)
        except Exception as exc:  # down, slow, not JSON, no usable keys: all mean "no new keys"
            # Our own messages say why and are safe to log; others could quote the issuer's bytes.
            if isinstance(exc, FetchError):
                failed["detail"] = str(exc)
            log_event(
                logger, logging.WARNING, "jwks_fetch_failed", error=type(exc).__name__, **failed
            )
            return
        usable = {k.key_id: k for k in keys if k.key_id and k.algorithm_name in ALLOWED_ALGORITHMS}
        if not usable:
            log_event(logger, logging.WARNING, "jwks_fetch_failed", error="NoUsableKeys", **failed)
            return
        self._keys = usable
        self._fetched_at = now
        self._last_attempt_ok = True
        log_event(logger, logging.INFO, "jwks_fetched", keys=len(usable))
