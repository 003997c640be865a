"""The broker: queue names, kombu's key layout in Redis, the Redis client, and the Celery configuration built from
Settings by celery_init_app(), which the app factory and the workers both call."""

from __future__ import annotations

import ssl
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import redis
from celery import Celery
from celery.backends.redis import RedisBackend

from techscaniq.config import Settings

EVIDENCE_QUEUE = "evidence"
REPORTS_QUEUE = "reports"
QUEUES = (EVIDENCE_QUEUE, REPORTS_QUEUE)
TASK_ROUTES = {
    "techscaniq.collect_evidence": {"queue": EVIDENCE_QUEUE},
    "techscaniq.generate_report": {"queue": REPORTS_QUEUE},
    "techscaniq.mark_scan_failed": {"queue": REPORTS_QUEUE},
    "techscaniq.deliver_webhook": {"queue": REPORTS_QUEUE},
    "techscaniq.submit_due_scans": {"queue": REPORTS_QUEUE},
}
# kombu's Redis transport keeps a queue's messages in a list named after it, those with a priority in
# "<queue>\x06\x16<step>" lists, and messages delivered but not yet acknowledged in one hash.
KOMBU_PRIORITY_SEPARATOR = "\x06\x16"
KOMBU_PRIORITY_STEPS = (3, 6, 9)
KOMBU_UNACKED_KEY = "unacked"
PUBLISH_CONNECT_TIMEOUT_SECONDS = 3
RESULT_EXPIRES_SECONDS = 7 * 24 * 3600


def queue_keys(queue: str) -> tuple[str, ...]:
    """The Redis lists that hold a queue's waiting messages: the plain list and one per priority step."""
    return (queue, *(f"{queue}{KOMBU_PRIORITY_SEPARATOR}{step}" for step in KOMBU_PRIORITY_STEPS))


def redis_client(url: str, *, timeout_seconds: float) -> redis.Redis:
    """A client of the Redis at this URL whose connects and reads give up after timeout_seconds."""
    return redis.Redis.from_url(url, socket_connect_timeout=timeout_seconds, socket_timeout=timeout_seconds)


def _verified_tls(url: str) -> dict[str, object] | None:
    # A bare rediss:// URL (Upstash, Redis Cloud, Heroku) would otherwise skip certificate checks on the broker
    # and be refused by the result backend.
    if not url.startswith("rediss://") or "ssl_cert_reqs" in parse_qs(urlsplit(url).query):
        return None
    return {"ssl_cert_reqs": ssl.CERT_REQUIRED}


def celery_config(settings: Settings) -> dict[str, Any]:
    """The lose-nothing Celery settings for these Settings (docs/ARCHITECTURE.md, the queue section)."""
    broker_options: dict[str, Any] = {}
    backend_options: dict[str, Any] = {}
    if settings.redis_url:
        # The visibility timeout must exceed the longest hard time limit (checked by Settings.check()), set in
        # all three places the Redis transport reads it. The embedded SQLite transport (no Redis) keeps unacked
        # messages in its table and takes no such options.
        broker_options = {
            "visibility_timeout": settings.visibility_timeout_seconds,
            "socket_connect_timeout": PUBLISH_CONNECT_TIMEOUT_SECONDS,
        }
        backend_options = {"visibility_timeout": settings.visibility_timeout_seconds}
    return {
        "broker_url": settings.broker_url,
        "result_backend": settings.celery_result_backend,
        "imports": ("techscaniq.tasks", "techscaniq.workflow.tasks"),
        # Only ids cross the broker; no pickle.
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        # Ack after the task returns; requeue when the pool child dies; a worker reserves exactly its concurrency.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "visibility_timeout": settings.visibility_timeout_seconds,
        "broker_transport_options": broker_options,
        "result_backend_transport_options": backend_options,
        "task_track_started": True,
        "result_extended": True,
        "result_expires": RESULT_EXPIRES_SECONDS,
        "worker_max_tasks_per_child": 100,
        "worker_max_memory_per_child": 400_000,  # KiB
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        # The window a running task keeps working after a stop (SIGTERM with REMAP_SIGTERM=SIGQUIT, as the Procfile
        # runs workers, or SIGQUIT) before it is cancelled and its message handed back to the broker.
        "worker_soft_shutdown_timeout": float(settings.worker_soft_shutdown_seconds),
        "worker_enable_soft_shutdown_on_idle": True,
        "worker_deduplicate_successful_tasks": True,
        # Storing a cancelled task's state must wait for Redis, or a Redis restart mid-task kills the worker.
        "result_backend_always_retry": True,
        "result_backend_max_retries": 150,
        "result_backend_base_sleep_between_retries_ms": 200,
        "result_backend_max_sleep_between_retries_ms": 2000,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "task_routes": TASK_ROUTES,
        "task_default_queue": REPORTS_QUEUE,
        "task_create_missing_queues": True,
        "worker_hijack_root_logger": False,
        "broker_pool_limit": 10,
        "timezone": "UTC",
        "enable_utc": True,
        # Fail fast when the broker is down at submit: the API answers 503 instead of hanging.
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        "redis_socket_connect_timeout": PUBLISH_CONNECT_TIMEOUT_SECONDS,
        "redis_socket_timeout": 10,
        "broker_use_ssl": _verified_tls(settings.broker_url),
        "redis_backend_use_ssl": _verified_tls(settings.celery_result_backend),
        # `celery -A techscaniq beat` ticks the re-scan schedules; the task moves each due time on with a
        # conditional UPDATE, so two beats (or a repeated tick) still submit each due scan once.
        "beat_schedule": {
            "submit-due-scans": {
                "task": "techscaniq.submit_due_scans",
                "schedule": float(settings.beat_tick_seconds),
                "options": {"expires": max(1, settings.beat_tick_seconds - 5)},
            },
        },
    }


_applied: dict[int, dict[str, Any]] = {}
_init_lock = threading.Lock()


def celery_init_app(settings: Settings, app: Celery | None = None) -> Celery:
    """Configure the Celery app (techscaniq's own unless given) for these settings and return it.

    Calling it again with other settings points the app elsewhere: pooled broker connections and the cached result
    backend are dropped so the next message goes to the new broker.
    """
    if app is None:
        from techscaniq.celery_app import celery_app

        app = celery_app
    config = celery_config(settings)
    with _init_lock:
        if _applied.get(id(app)) == config:
            return app
        had_config = id(app) in _applied
        app.conf.update(config)
        app.backend_cls = _publisher_backend(settings.celery_result_backend)
        if had_config:
            _drop_connections(app)
        _applied[id(app)] = config
    return app


class PublisherRedisBackend(RedisBackend):
    """Celery's Redis result backend without the result subscription it opens for every message a process sends.

    Nothing here waits on a task's result (the database is the record), yet Celery subscribes each sent task id
    to the result channel; with Redis down, dropping that subscription retried for 20 s inside the API's 503 answer.
    """

    def on_task_call(self, producer: Any, task_id: str) -> None:
        """Send without subscribing to the task's result."""


def _publisher_backend(url: str) -> str | None:
    # "module:Class+url" is Celery's way of naming a backend class for a URL; other backends stay as they are.
    return f"{__name__}:PublisherRedisBackend+{url}" if url.startswith(("redis://", "rediss://")) else None


def _drop_connections(app: Celery) -> None:
    # Celery caches the connection pool, the producer pool and the result backend on first use; without this the
    # app would keep talking to the broker it was first configured with. The old pools are left open: kombu keeps
    # them in its process-wide registry by URL and hands them out again when an app points back there.
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    app._backend_cache = None
    app._local = threading.local()
