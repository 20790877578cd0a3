"""A stage's throttling (`defaultRouteSettings`, per-route `routeSettings`): a token
bucket per stage and route, as API Gateway applies its rate and burst limits. A request
over the limit is answered 429 `{"message":"Too Many Requests"}` without calling the
integration.
"""

from __future__ import annotations

import threading
import time


class Buckets:
    """Token buckets by (api, stage, route), refilled at `rate` per second up to `burst`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str, str], tuple[float, float]] = {}

    def admit(self, key: tuple[str, str, str], rate: float | None, burst: int | None) -> bool:
        """True when the request may go on (no limits set: always)."""
        if rate is None and burst is None:
            return True
        rate = float(rate if rate is not None else 10000)
        capacity = float(burst if burst is not None else max(1, int(rate)))
        if capacity <= 0 or rate <= 0:
            return False  # a limit of zero blocks the route, as on AWS
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1, now)
            return True


def limits(stage, route_key: str) -> tuple[float | None, int | None]:
    """(rate, burst) for the route on `stage` (moto Stage): route settings over the default."""
    settings = dict(getattr(stage, "default_route_settings", None) or {})
    route = (getattr(stage, "route_settings", None) or {}).get(route_key) or {}
    settings.update({k: v for k, v in route.items() if v is not None})
    rate = settings.get("throttlingRateLimit")
    burst = settings.get("throttlingBurstLimit")
    return (
        float(rate) if rate is not None else None,
        int(burst) if burst is not None else None,
    )
