"""The effective Celery configuration holds every lose-nothing setting of docs/reliability.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from techscaniq.broker import celery_config, celery_init_app
from techscaniq.celery_app import celery_app
from techscaniq.config import Settings

conf = celery_init_app(Settings.from_env()).conf


def test_acks_late_and_requeue_on_worker_loss() -> None:
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.task_acks_on_failure_or_timeout is True


def test_prefetch_is_one() -> None:
    assert conf.worker_prefetch_multiplier == 1


def test_visibility_timeout_in_all_three_places_and_above_the_hard_limits() -> None:
    settings = Settings.from_env()
    assert conf.broker_transport_options["visibility_timeout"] == settings.visibility_timeout_seconds
    assert conf.result_backend_transport_options["visibility_timeout"] == settings.visibility_timeout_seconds
    assert conf.visibility_timeout == settings.visibility_timeout_seconds
    assert settings.visibility_timeout_seconds > settings.evidence_time_limit_seconds
    assert settings.visibility_timeout_seconds > settings.report_time_limit_seconds


def test_a_visibility_timeout_below_a_time_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="VISIBILITY_TIMEOUT"):
        Settings.from_env({"TECHSCANIQ_VISIBILITY_TIMEOUT": "600", "TECHSCANIQ_EVIDENCE_TIME_LIMIT": "2700"})


def test_state_tracking_and_extended_results() -> None:
    assert conf.task_track_started is True
    assert conf.result_extended is True
    assert conf.result_expires == 7 * 24 * 3600


def test_child_recycling() -> None:
    assert conf.worker_max_tasks_per_child == 100
    assert conf.worker_max_memory_per_child == 400_000


def test_broker_connection_retries_forever() -> None:
    assert conf.broker_connection_retry_on_startup is True
    assert conf.broker_connection_max_retries is None
    assert conf.worker_cancel_long_running_tasks_on_connection_loss is True


def test_soft_shutdown_and_dedup_of_successful_tasks() -> None:
    assert conf.worker_soft_shutdown_timeout == Settings.from_env().worker_soft_shutdown_seconds
    assert conf.worker_enable_soft_shutdown_on_idle is True
    assert conf.worker_deduplicate_successful_tasks is True


def test_events_for_flower() -> None:
    assert conf.worker_send_task_events is True
    assert conf.task_send_sent_event is True


def test_routes_live_in_config() -> None:
    route = celery_app.amqp.router.route
    assert route({}, "techscaniq.collect_evidence")["queue"].name == "evidence"
    assert route({}, "techscaniq.generate_report")["queue"].name == "reports"


def test_json_only() -> None:
    assert conf.task_serializer == "json"
    assert list(conf.accept_content) == ["json"]


def test_retry_policy_of_the_tasks() -> None:
    from techscaniq import tasks

    assert tasks.collect_evidence.max_retries == 2  # 3 attempts, as BullMQ's attempts: 3
    assert tasks.generate_report.max_retries == 1  # 2 attempts
    assert tasks.EVIDENCE_BACKOFF_SECONDS == 5
    assert tasks.REPORT_BACKOFF_SECONDS == 10
    delays = [tasks.backoff_seconds(5, retry) for retry in range(4)]
    assert all(2.5 <= delay <= min(600, 5 * 2**retry) for retry, delay in enumerate(delays))


def test_time_limits_stay_below_the_visibility_timeout() -> None:
    from techscaniq import tasks
    from techscaniq.domain import StepName

    settings = Settings.from_env()
    for step in StepName:
        limits = tasks._time_limits(settings, step)
        assert limits["soft_time_limit"] < limits["time_limit"] < settings.visibility_timeout_seconds


def test_the_package_exposes_the_celery_app() -> None:
    import techscaniq

    assert techscaniq.celery is celery_app


def test_the_app_is_configured_from_the_settings_it_is_given(tmp_path: Path) -> None:
    elsewhere = Settings.from_env().with_overrides(redis_url="redis://127.0.0.1:9/3", data_dir=tmp_path)
    try:
        assert celery_init_app(elsewhere) is celery_app
        assert conf.broker_url == "redis://127.0.0.1:9/3"
        assert conf.result_backend == "redis://127.0.0.1:9/3"
        embedded = elsewhere.with_overrides(redis_url="")
        celery_init_app(embedded)
        assert conf.broker_url == f"sqla+sqlite:///{tmp_path / 'broker.db'}"
        assert conf.broker_transport_options == {}
    finally:
        celery_init_app(Settings.from_env())
    assert conf.broker_url == Settings.from_env().broker_url


def test_the_top_level_celeryconfig_holds_the_same_settings() -> None:
    import celeryconfig

    for name, value in celery_config(Settings.from_env()).items():
        assert getattr(celeryconfig, name) == value, name
