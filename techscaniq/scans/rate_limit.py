"""The submission rate limit per API key (TECHSCANIQ_SUBMIT_RATE), counted in Redis or, without it, in memory."""

from __future__ import annotations

import threading
import time

import redis

from techscaniq.accounts import Viewer
from techscaniq.broker import redis_client
from techscaniq.config import Settings, parse_rate
from techscaniq.errors import TechScanError

RATE_LIMIT_REDIS_TIMEOUT_SECONDS = 1.0
RATE_LIMIT_KEY_PREFIX = "techscaniq:submit-rate"


class RateLimited(TechScanError):
    """Too many submissions from one key in the current window: 429 with Retry-After."""

    code = "rate_limited"
    http_status = 429

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


_rate_clients: dict[str, redis.Redis] = {}
_local_counts: dict[tuple[str, int], int] = {}
_rate_lock = threading.Lock()


def _rate_client(url: str) -> redis.Redis:
    with _rate_lock:
        client = _rate_clients.get(url)
        if client is None:
            client = redis_client(url, timeout_seconds=RATE_LIMIT_REDIS_TIMEOUT_SECONDS)
            _rate_clients[url] = client
        return client


def _count_submission(config: Settings, subject: str, window_index: int, window_seconds: int) -> int | None:
    """This submission's number in its window, or None when the counter cannot be reached."""
    if not config.redis_url:
        # No Redis (the one-machine setup): one API process, so a counter in memory is exact.
        with _rate_lock:
            for old in [k for k in _local_counts if k[1] < window_index]:
                del _local_counts[old]
            _local_counts[(subject, window_index)] = _local_counts.get((subject, window_index), 0) + 1
            return _local_counts[(subject, window_index)]
    name = f"{RATE_LIMIT_KEY_PREFIX}:{subject}:{window_seconds}:{window_index}"
    try:
        with _rate_client(config.redis_url).pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window_seconds + 1)
            count, _ = pipe.execute()
        return int(count)
    except redis.RedisError:
        return None


def enforce_submit_rate(config: Settings, viewer: Viewer) -> None:
    """Count a submission against the key's TECHSCANIQ_SUBMIT_RATE; RateLimited (429) past the limit."""
    limit, window_seconds = parse_rate(config.submit_rate)
    now = time.time()
    window_index = int(now // window_seconds)
    subject = viewer.key_id or f"org-{viewer.org_id}"
    count = _count_submission(config, subject, window_index, window_seconds)
    # Fail open when Redis is down: the submission itself then answers 503 broker_unavailable.
    if count is None or count <= limit:
        return
    retry_after = max(1, int((window_index + 1) * window_seconds - now + 0.999))
    raise RateLimited(
        f"at most {config.submit_rate} scan submissions per API key; try again in {retry_after} s",
        retry_after_seconds=retry_after,
    )
