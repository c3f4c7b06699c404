"""Rate limits of the public pages, counted where every web node sees them.

The counters live in Redis (``BANJIAN_RATE_LIMIT_STORAGE``, by default the platform's ``BANJIAN_REDIS_URL``),
through the ``limits`` library's moving windows, so N web nodes with W workers each still allow a client the
limit once, not N·W times. ``memory://`` keeps them in the process (one process, development).

When Redis does not answer, the limits are counted in the process's memory instead (each process limits on its
own, as a single node would) and Redis is tried again after ``RETRY_SECONDS``: a Redis outage never blocks the
public pages and never lifts the limits.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import cast

from flask import current_app
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

DEFAULT_LIMITS = {
    "lookup": "10 per 10 minutes",  # failed progress lookups per client address
    "complaint": "5 per 10 minutes",  # public complaints per client address
    # 网上申报: one-time codes texted and applications submitted, per mobile number and per client address
    "code_phone": "3 per 10 minutes",
    "code_address": "10 per 10 minutes",
    "submit_phone": "10 per hour",
    "submit_address": "30 per hour",
}
RETRY_SECONDS = 30.0
REDIS_TIMEOUT = 0.5  # seconds a counter may wait for Redis before the process counts on its own


class SharedLimiter:
    """At most ``item`` events per key, counted in the shared storage (or, while it fails, in memory)."""

    def __init__(self, name: str, item: RateLimitItem, storage_uri: str) -> None:
        self.name = name
        self.item = item
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self.shared: MovingWindowRateLimiter | None = None
        if not storage_uri.startswith("memory://"):
            storage = storage_from_string(
                storage_uri, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
            )
            self.shared = MovingWindowRateLimiter(storage)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _limiters(self) -> list[MovingWindowRateLimiter]:
        """The shared limiter first, unless it failed within ``RETRY_SECONDS``; then the local one."""
        if self.shared is not None and time.monotonic() >= self._down_until:
            return [self.shared, self.local]
        return [self.local]

    def _failed(self, exc: Exception) -> None:
        with self._lock:
            if time.monotonic() >= self._down_until:
                log.warning(
                    "rate limit %s: shared storage unavailable (%s); counting in this process", self.name, exc
                )
            self._down_until = time.monotonic() + RETRY_SECONDS

    def blocked(self, key: str) -> bool:
        """True when ``key`` used up its events in the window."""
        for limiter in self._limiters():
            try:
                return not limiter.test(self.item, self.name, key)
            except Exception as exc:  # noqa: BLE001 - Redis down or unreachable: count locally
                self._failed(exc)
        return False  # unreachable: the local limiter does not fail

    def hit(self, key: str) -> None:
        """Count one event for ``key``."""
        for limiter in self._limiters():
            try:
                limiter.hit(self.item, self.name, key)
                return
            except Exception as exc:  # noqa: BLE001 - Redis down or unreachable: count locally
                self._failed(exc)


def limiter(name: str) -> SharedLimiter:
    """The app's limiter ``name`` (a key of ``DEFAULT_LIMITS``), made on first use from the app's config:
    ``RATE_LIMIT_STORAGE`` (default: the platform's Redis) and ``RATE_LIMIT_<NAME>`` (e.g. "10 per 10 minutes")."""
    limiters = cast(dict[str, SharedLimiter], current_app.extensions.setdefault("banjian_rate_limits", {}))
    if name not in limiters:
        config = current_app.config
        storage = config.get("RATE_LIMIT_STORAGE") or current_app.extensions["banjian"].settings.redis_url
        item = parse(config.get(f"RATE_LIMIT_{name.upper()}") or DEFAULT_LIMITS[name])
        limiters[name] = SharedLimiter(name, item, storage)
    return limiters[name]
