"""Celery settings for techscaniq: the lose-nothing configuration (see docs/ARCHITECTURE.md, queue section)."""

from __future__ import annotations

import ssl
from urllib.parse import parse_qs, urlsplit

from techscaniq.config import Settings

_settings = Settings.from_env()

broker_url = _settings.broker_url
result_backend = _settings.celery_result_backend

# Only ids cross the broker; no pickle.
task_serializer = "json"
result_serializer = "json"
accept_content = ["json"]

# Ack after the task returns; requeue when the pool child dies; a worker reserves exactly its concurrency.
task_acks_late = True
task_reject_on_worker_lost = True
task_acks_on_failure_or_timeout = True
worker_prefetch_multiplier = 1

# The visibility timeout must exceed the longest hard time limit (checked by Settings.check()), set in all
# three places the Redis transport reads it.
visibility_timeout = _settings.visibility_timeout_seconds
if _settings.redis_url:
    broker_transport_options = {"visibility_timeout": _settings.visibility_timeout_seconds}
    result_backend_transport_options = {"visibility_timeout": _settings.visibility_timeout_seconds}
else:
    # The embedded SQLite transport (no Redis) keeps unacked messages in its table and takes no such options.
    broker_transport_options = {}
    result_backend_transport_options = {}

task_track_started = True
result_extended = True
result_expires = 7 * 24 * 3600

worker_max_tasks_per_child = 100
worker_max_memory_per_child = 400_000  # KiB

broker_connection_retry_on_startup = True
broker_connection_max_retries = None
worker_cancel_long_running_tasks_on_connection_loss = True
# The window a running task keeps working after a stop (SIGTERM with REMAP_SIGTERM=SIGQUIT, as the Procfile runs
# workers, or SIGQUIT) before it is cancelled and its message handed back to the broker.
worker_soft_shutdown_timeout = float(_settings.worker_soft_shutdown_seconds)
worker_enable_soft_shutdown_on_idle = True
worker_deduplicate_successful_tasks = True
# Storing a cancelled task's state must wait for Redis, or a Redis restart mid-task kills the worker.
result_backend_always_retry = True
result_backend_max_retries = 150
result_backend_base_sleep_between_retries_ms = 200
result_backend_max_sleep_between_retries_ms = 2000

worker_send_task_events = True
task_send_sent_event = True

task_routes = {
    "techscaniq.collect_evidence": {"queue": "evidence"},
    "techscaniq.generate_report": {"queue": "reports"},
    "techscaniq.mark_scan_failed": {"queue": "reports"},
    "techscaniq.deliver_webhook": {"queue": "reports"},
    "techscaniq.submit_due_scans": {"queue": "reports"},
}
task_default_queue = "reports"
task_create_missing_queues = True

worker_hijack_root_logger = False
broker_pool_limit = 10
timezone = "UTC"
enable_utc = True

# Fail fast when the broker is down at submit: the API answers 503 instead of hanging.
task_publish_retry_policy = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
if _settings.redis_url:
    broker_transport_options["socket_connect_timeout"] = 3
redis_socket_connect_timeout = 3
redis_socket_timeout = 10


def _verified_tls(url: str) -> dict[str, object] | None:
    # A bare rediss:// URL (Upstash, Redis Cloud, Heroku) would otherwise skip certificate checks on the broker
    # and be refused by the result backend.
    if not url.startswith("rediss://") or "ssl_cert_reqs" in parse_qs(urlsplit(url).query):
        return None
    return {"ssl_cert_reqs": ssl.CERT_REQUIRED}


broker_use_ssl = _verified_tls(broker_url)
redis_backend_use_ssl = _verified_tls(result_backend)

# `celery -A techscaniq beat` ticks the re-scan schedules every minute; the task moves each due time on with a
# conditional UPDATE, so two beats (or a repeated tick) still submit each due scan once.
beat_schedule = {
    "submit-due-scans": {
        "task": "techscaniq.submit_due_scans",
        "schedule": float(_settings.beat_tick_seconds),
        "options": {"expires": max(1, _settings.beat_tick_seconds - 5)},
    },
}
