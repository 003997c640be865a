"""Settings come from the environment, with the seed's names and clear errors."""

from __future__ import annotations

import pytest

from techscaniq.config import DEFAULT_API_PORT, Settings


def test_defaults_need_nothing() -> None:
    settings = Settings.from_env({})
    assert settings.port == DEFAULT_API_PORT == 3001
    assert settings.database_url.startswith("sqlite:///")
    assert settings.broker_url.startswith("sqla+sqlite:///")
    assert settings.auth_mode == "required"
    assert settings.allow_networks == ()


def test_port_prefers_the_paas_variable() -> None:
    assert Settings.from_env({"PORT": "8080", "API_PORT": "9000"}).port == 8080
    assert Settings.from_env({"API_PORT": "9000"}).port == 9000


def test_redis_from_the_seed_variables() -> None:
    settings = Settings.from_env({"REDIS_HOST": "cache.internal", "REDIS_PORT": "6380"})
    assert settings.redis_url == "redis://cache.internal:6380/0"
    assert settings.broker_url == settings.celery_result_backend == "redis://cache.internal:6380/0"
    assert Settings.from_env({"REDIS_URL": "rediss://u:p@h:1/0"}).redis_url == "rediss://u:p@h:1/0"


def test_bad_values_are_named() -> None:
    with pytest.raises(ValueError, match="API_PORT"):
        Settings.from_env({"API_PORT": "eighty"})
    with pytest.raises(ValueError, match="TECHSCANIQ_AUTH"):
        Settings.from_env({"TECHSCANIQ_AUTH": "maybe"})
    with pytest.raises(ValueError):
        Settings.from_env({"TECHSCANIQ_ALLOW_NETWORKS": "not-a-network"})


def test_lists_are_comma_separated() -> None:
    settings = Settings.from_env({"TECHSCANIQ_CORS_ORIGINS": "https://a.example, https://b.example"})
    assert settings.cors_origins == ("https://a.example", "https://b.example")


def test_a_bad_submission_rate_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="TECHSCANIQ_SUBMIT_RATE"):
        Settings.from_env({"TECHSCANIQ_SUBMIT_RATE": "lots"})
    assert Settings.from_env({"TECHSCANIQ_SUBMIT_RATE": "5/hour"}).submit_rate == "5/hour"


def test_the_worker_soft_shutdown_window_is_a_setting() -> None:
    assert Settings.from_env({}).worker_soft_shutdown_seconds == 45.0
    assert (
        Settings.from_env({"TECHSCANIQ_WORKER_SOFT_SHUTDOWN_SECONDS": "2.5"}).worker_soft_shutdown_seconds
        == 2.5
    )
    with pytest.raises(ValueError, match="TECHSCANIQ_WORKER_SOFT_SHUTDOWN_SECONDS"):
        Settings.from_env({"TECHSCANIQ_WORKER_SOFT_SHUTDOWN_SECONDS": "-1"})
    with pytest.raises(ValueError, match="TECHSCANIQ_WORKER_SOFT_SHUTDOWN_SECONDS"):
        Settings.from_env({"TECHSCANIQ_WORKER_SOFT_SHUTDOWN_SECONDS": "soon"})


def test_the_queue_timeout_of_a_waiting_step_is_a_setting() -> None:
    assert Settings.from_env({}).step_queue_timeout_seconds == 3600
    assert Settings.from_env({"TECHSCANIQ_STEP_QUEUE_TIMEOUT_SECONDS": "5"}).step_queue_timeout_seconds == 5
    with pytest.raises(ValueError, match="TECHSCANIQ_STEP_QUEUE_TIMEOUT_SECONDS"):
        Settings.from_env({"TECHSCANIQ_STEP_QUEUE_TIMEOUT_SECONDS": "0"})


def test_every_setting_read_from_the_environment_is_documented() -> None:
    import re
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "techscaniq" / "config.py").read_text()
    table = (Path(__file__).resolve().parents[2] / "docs" / "settings.md").read_text()
    read = set(
        re.findall(
            r"""(?:env\.get\(|env\[|_(?:int|float|bool|list)\(env, )["']([A-Z][A-Z0-9_]+)["']""", source
        )
    )
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    assert {"TECHSCANIQ_WORKER_SOFT_SHUTDOWN_SECONDS", "TECHSCANIQ_STEP_QUEUE_TIMEOUT_SECONDS"} <= read
    assert sorted(read - documented) == []


def test_llm_and_event_stream_timings_are_typed_settings() -> None:
    settings = Settings.from_env(
        {
            "TECHSCANIQ_LLM_TIMEOUT_SECONDS": "12.5",
            "TECHSCANIQ_LLM_MAX_ATTEMPTS": "5",
            "TECHSCANIQ_LLM_BACKOFF_SECONDS": "0.5",
            "TECHSCANIQ_SSE_STREAM_SECONDS": "20",
            "TECHSCANIQ_SSE_HEARTBEAT_SECONDS": "5",
        }
    )
    assert (settings.llm_timeout_seconds, settings.llm_max_attempts, settings.llm_backoff_seconds) == (
        12.5,
        5,
        0.5,
    )
    assert (settings.sse_stream_seconds, settings.sse_heartbeat_seconds) == (20.0, 5.0)
    defaults = Settings.from_env({})
    assert (defaults.sse_stream_seconds, defaults.sse_heartbeat_seconds) == (25.0, 15.0)
    with pytest.raises(ValueError, match="TECHSCANIQ_LLM_MAX_ATTEMPTS"):
        Settings.from_env({"TECHSCANIQ_LLM_MAX_ATTEMPTS": "0"})
    with pytest.raises(ValueError, match="TECHSCANIQ_SSE_HEARTBEAT_SECONDS"):
        Settings.from_env({"TECHSCANIQ_SSE_HEARTBEAT_SECONDS": "0"})


def test_no_setting_travels_beside_the_typed_fields() -> None:
    fields = set(Settings.__dataclass_fields__)
    assert not fields & {"extra", "max_body_bytes"}
