"""A politeness budget per site host shared by every scan: at most N fetches in flight to one host at once and
the host's crawl delay between starts, counted in Redis so it holds across workers and machines.

Each slot is a lease (member of a sorted set scored by its expiry), so a worker that dies holding slots frees
them when the lease runs out instead of starving the host for good.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

import redis

from techscaniq.evidence.fetch import ResourceKind

log = logging.getLogger(__name__)

KEY_PREFIX = "techscaniq:host-budget"
# A slot outlives the longest crawl fetch (its whole deadline) by a little, and no more: a worker killed
# mid-fetch holds its host's slots only that long.
LEASE_SECONDS = ResourceKind.HTML.deadline_seconds + 2.0
REDIS_TIMEOUT_SECONDS = 1.0

# KEYS[1] slots (sorted set: token -> lease expiry ms), KEYS[2] next allowed start (ms)
# ARGV: now ms, limit, token, lease ms, delay ms. Returns 1 when the slot is taken, else 0.
_ACQUIRE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
local next_start = tonumber(redis.call('GET', KEYS[2]) or '0')
if next_start > now then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
local delay = tonumber(ARGV[5])
if delay > 0 then redis.call('SET', KEYS[2], now + delay, 'PX', delay) end
return 1
"""


class HostBudget:
    """No budget beyond the scan's own rules (no Redis): every request for a slot is granted."""

    def try_acquire(self, host: str, limit: int, delay_seconds: float) -> str | None:
        """A slot token when a fetch to host may start now, else None."""
        return "local"

    def release(self, host: str, token: str | None) -> None:
        """Give a slot back."""


class RedisHostBudget(HostBudget):
    """The budget shared through Redis; if Redis cannot be reached, scans fall back to their own rules."""

    def __init__(self, url: str, *, lease_seconds: float = LEASE_SECONDS) -> None:
        self._client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
        )
        self._acquire = self._client.register_script(_ACQUIRE)
        self._lease_ms = int(lease_seconds * 1000)
        self._warned = threading.Event()

    def _keys(self, host: str) -> list[str]:
        return [f"{KEY_PREFIX}:slots:{host}", f"{KEY_PREFIX}:next:{host}"]

    def try_acquire(self, host: str, limit: int, delay_seconds: float) -> str | None:
        """A slot token when the host has a free slot across all scans and its delay has passed, else None."""
        token = uuid.uuid4().hex
        now_ms = int(time.time() * 1000)
        try:
            taken = self._acquire(
                keys=self._keys(host), args=[now_ms, limit, token, self._lease_ms, int(delay_seconds * 1000)]
            )
        except redis.RedisError:
            if not self._warned.is_set():
                self._warned.set()
                log.warning("the shared host budget is unavailable; this scan keeps only its own politeness")
            return "local"
        return token if taken == 1 else None

    def release(self, host: str, token: str | None) -> None:
        """Give the slot back (a lost release only holds the slot until its lease ends)."""
        if not token or token == "local":
            return
        try:
            self._client.zrem(self._keys(host)[0], token)
        except redis.RedisError:
            log.debug("could not release a host budget slot of %s", host, exc_info=True)


def host_budget_for(redis_url: str) -> HostBudget:
    """The shared budget when Redis is configured, else the scan's own rules alone."""
    return RedisHostBudget(redis_url) if redis_url.startswith(("redis://", "rediss://")) else HostBudget()
