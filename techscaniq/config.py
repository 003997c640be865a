"""Settings.from_env(): the only reader of the process environment."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

DEFAULT_API_PORT = 3001
DEFAULT_DATA_DIR = Path.home() / ".techscaniq"


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"setting {name} must be a whole number, got {raw!r}") from exc


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"setting {name} must be a number, got {raw!r}") from exc


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in env.get(name, "").split(",") if part.strip())


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


RATE_WINDOW_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'60/minute' -> (60, 60): how many requests per window of how many seconds; ValueError otherwise."""
    count_text, _, unit = rate.strip().lower().partition("/")
    window = RATE_WINDOW_SECONDS.get(unit.strip().removesuffix("s"))
    if window is None or not count_text.strip().isdigit() or int(count_text) < 1:
        raise ValueError(f"a rate looks like '60/minute' (per second, minute, hour or day), not {rate!r}")
    return int(count_text), window


def _redis_url(env: Mapping[str, str]) -> str:
    if env.get("REDIS_URL"):
        return env["REDIS_URL"]
    if env.get("REDIS_HOST"):
        return f"redis://{env['REDIS_HOST']}:{env.get('REDIS_PORT', '6379')}/0"
    return ""


@dataclass(frozen=True)
class Settings:
    """Every setting of the system, with its default (see docs/settings.md)."""

    database_url: str = ""
    redis_url: str = ""
    result_backend_url: str = ""
    port: int = DEFAULT_API_PORT
    auth_mode: str = "required"
    secret_key: str = ""
    cors_origins: tuple[str, ...] = ()
    db_schema: str = "techscaniq"
    evidence_time_limit_seconds: int = 2700
    report_time_limit_seconds: int = 900
    visibility_timeout_seconds: int = 3600
    step_lease_seconds: int = 120
    reaper_interval_seconds: int = 30
    beat_tick_seconds: int = 60
    max_step_deliveries: int = 3
    step_queue_timeout_seconds: int = 3600
    step_claim_wait_seconds: float = 15.0
    worker_soft_shutdown_seconds: float = 45.0
    log_level: str = "INFO"
    data_dir: Path = DEFAULT_DATA_DIR
    allow_networks: tuple[str, ...] = ()
    dns_servers: tuple[str, ...] = ()
    user_agent: str = (
        "techscaniq/0.1 (+https://github.com/techscaniq/techscaniq; technology due diligence scanner)"
    )
    evidence_concurrency: int = 3
    report_concurrency: int = 2
    flower_url: str = "http://127.0.0.1:5555"
    flower_basic_auth: str = ""
    flower_host: str = ""
    submit_rate: str = "60/minute"
    retention_days: int = 0
    fingerprints_dir: str = ""
    llm_provider: str = ""
    llm_model: str = ""
    llm_timeout_seconds: float = 60.0
    llm_max_attempts: int = 3
    llm_backoff_seconds: float = 2.0
    anthropic_api_key: str = ""
    openai_api_key: str = ""
    openai_base_url: str = ""
    anthropic_base_url: str = ""
    crawl_max_pages: int = 200
    crawl_max_seconds: int = 1800
    crawl_lift_politeness: bool = False
    main_text_pages_per_class: int = 20
    malloc_arena_max: int = 2
    browser: str = "auto"  # auto | off | required (evidence/render/)
    render_pages: int = 12
    chromium_path: str = ""
    force_https: bool = False
    sse_stream_seconds: float = 25.0
    sse_heartbeat_seconds: float = 15.0
    event_streams_per_key: int = 4
    laptop_hosts: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from the environment (or the mapping given)."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("TECHSCANIQ_DATA_DIR") or DEFAULT_DATA_DIR)
        database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'techscaniq.db'}"
        redis_url = _redis_url(env)
        port = _int(env, "PORT", 0) or _int(env, "API_PORT", DEFAULT_API_PORT)
        auth_mode = env.get("TECHSCANIQ_AUTH", "required").strip().lower() or "required"
        if auth_mode not in {"required", "off"}:
            raise ValueError(f"TECHSCANIQ_AUTH must be 'required' or 'off', got {auth_mode!r}")
        allow_networks = _list(env, "TECHSCANIQ_ALLOW_NETWORKS")
        # Redis can be searched for a waiting message, so a vanished one is found in minutes; the embedded SQLite
        # broker cannot, and there the wait alone decides.
        queue_timeout = 300 if redis_url else 3600
        for cidr in allow_networks:
            ipaddress.ip_network(cidr, strict=False)
        settings = cls(
            database_url=database_url,
            redis_url=redis_url,
            result_backend_url=env.get("CELERY_RESULT_BACKEND", ""),
            port=port,
            auth_mode=auth_mode,
            secret_key=env.get("TECHSCANIQ_SECRET_KEY", ""),
            cors_origins=_list(env, "TECHSCANIQ_CORS_ORIGINS"),
            db_schema=env.get("TECHSCANIQ_DB_SCHEMA", "techscaniq").strip() or "techscaniq",
            evidence_time_limit_seconds=_int(env, "TECHSCANIQ_EVIDENCE_TIME_LIMIT", 2700),
            report_time_limit_seconds=_int(env, "TECHSCANIQ_REPORT_TIME_LIMIT", 900),
            visibility_timeout_seconds=_int(env, "TECHSCANIQ_VISIBILITY_TIMEOUT", 3600),
            step_lease_seconds=_int(env, "TECHSCANIQ_STEP_LEASE_SECONDS", 120),
            reaper_interval_seconds=_int(env, "TECHSCANIQ_REAPER_INTERVAL_SECONDS", 30),
            beat_tick_seconds=_int(env, "TECHSCANIQ_BEAT_TICK_SECONDS", 60),
            max_step_deliveries=_int(env, "TECHSCANIQ_MAX_STEP_DELIVERIES", 3),
            step_queue_timeout_seconds=_int(env, "TECHSCANIQ_STEP_QUEUE_TIMEOUT_SECONDS", queue_timeout),
            step_claim_wait_seconds=_float(env, "TECHSCANIQ_STEP_CLAIM_WAIT_SECONDS", 15.0),
            worker_soft_shutdown_seconds=_float(env, "TECHSCANIQ_WORKER_SOFT_SHUTDOWN_SECONDS", 45.0),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            data_dir=data_dir,
            allow_networks=allow_networks,
            dns_servers=_list(env, "TECHSCANIQ_DNS_SERVERS"),
            user_agent=env.get("TECHSCANIQ_USER_AGENT") or cls.user_agent,
            evidence_concurrency=_int(env, "TECHSCANIQ_EVIDENCE_CONCURRENCY", 3),
            report_concurrency=_int(env, "TECHSCANIQ_REPORT_CONCURRENCY", 2),
            flower_url=env.get("TECHSCANIQ_FLOWER_URL", "http://127.0.0.1:5555").rstrip("/"),
            flower_basic_auth=env.get("FLOWER_BASIC_AUTH", ""),
            flower_host=env.get("TECHSCANIQ_FLOWER_HOST", "").strip().lower(),
            submit_rate=env.get("TECHSCANIQ_SUBMIT_RATE", "60/minute").strip() or "60/minute",
            retention_days=_int(env, "TECHSCANIQ_RETENTION_DAYS", 0),
            fingerprints_dir=env.get("TECHSCANIQ_FINGERPRINTS_DIR", ""),
            llm_provider=env.get("TECHSCANIQ_LLM", "").strip().lower(),
            llm_model=env.get("TECHSCANIQ_LLM_MODEL", ""),
            llm_timeout_seconds=_float(env, "TECHSCANIQ_LLM_TIMEOUT_SECONDS", 60.0),
            llm_max_attempts=_int(env, "TECHSCANIQ_LLM_MAX_ATTEMPTS", 3),
            llm_backoff_seconds=_float(env, "TECHSCANIQ_LLM_BACKOFF_SECONDS", 2.0),
            anthropic_api_key=env.get("ANTHROPIC_API_KEY", ""),
            openai_api_key=env.get("OPENAI_API_KEY", ""),
            openai_base_url=env.get("OPENAI_BASE_URL", ""),
            anthropic_base_url=env.get("ANTHROPIC_BASE_URL", ""),
            crawl_max_pages=_int(env, "TECHSCANIQ_CRAWL_MAX_PAGES", 200),
            crawl_max_seconds=_int(env, "TECHSCANIQ_CRAWL_MAX_SECONDS", 1800),
            crawl_lift_politeness=_bool(env, "TECHSCANIQ_CRAWL_LIFT_POLITENESS", False),
            main_text_pages_per_class=_int(env, "TECHSCANIQ_MAIN_TEXT_PAGES_PER_CLASS", 20),
            malloc_arena_max=_int(env, "TECHSCANIQ_MALLOC_ARENA_MAX", 2),
            browser=env.get("TECHSCANIQ_BROWSER", "auto").strip().lower() or "auto",
            render_pages=_int(env, "TECHSCANIQ_RENDER_PAGES", 12),
            chromium_path=env.get("TECHSCANIQ_CHROMIUM_PATH", "").strip(),
            force_https=_bool(env, "TECHSCANIQ_FORCE_HTTPS", False),
            sse_stream_seconds=_float(env, "TECHSCANIQ_SSE_STREAM_SECONDS", 25.0),
            sse_heartbeat_seconds=_float(env, "TECHSCANIQ_SSE_HEARTBEAT_SECONDS", 15.0),
            event_streams_per_key=_int(env, "TECHSCANIQ_EVENT_STREAMS_PER_KEY", 4),
            laptop_hosts=tuple(h.lower() for h in _list(env, "TECHSCANIQ_LAPTOP_HOSTS")),
        )
        settings.check()
        return settings

    def __repr__(self) -> str:
        # Secrets never reach logs through a repr.
        hidden = {"secret_key", "anthropic_api_key", "openai_api_key", "flower_basic_auth"}
        shown = ", ".join(
            f"{name}={'***' if name in hidden and getattr(self, name) else getattr(self, name)!r}"
            for name in self.__dataclass_fields__
        )
        return f"Settings({shown})"

    def check(self) -> None:
        """Refuse settings that would break the lose-nothing rules."""
        longest_hard_limit = max(self.evidence_time_limit_seconds, self.report_time_limit_seconds)
        try:
            parse_rate(self.submit_rate)
        except ValueError as error:
            raise ValueError(f"TECHSCANIQ_SUBMIT_RATE: {error}") from error
        if self.event_streams_per_key < 1:
            raise ValueError("TECHSCANIQ_EVENT_STREAMS_PER_KEY must be at least 1")
        if self.worker_soft_shutdown_seconds < 0:
            raise ValueError("TECHSCANIQ_WORKER_SOFT_SHUTDOWN_SECONDS must not be negative")
        if self.step_queue_timeout_seconds < 1:
            raise ValueError("TECHSCANIQ_STEP_QUEUE_TIMEOUT_SECONDS must be at least 1")
        if self.browser not in {"auto", "off", "required"}:
            raise ValueError(f"TECHSCANIQ_BROWSER must be 'auto', 'off' or 'required', got {self.browser!r}")
        if self.render_pages < 0:
            raise ValueError("TECHSCANIQ_RENDER_PAGES must not be negative")
        if self.llm_max_attempts < 1:
            raise ValueError("TECHSCANIQ_LLM_MAX_ATTEMPTS must be at least 1")
        if min(self.llm_timeout_seconds, self.sse_stream_seconds, self.sse_heartbeat_seconds) <= 0:
            raise ValueError(
                "TECHSCANIQ_LLM_TIMEOUT_SECONDS, TECHSCANIQ_SSE_STREAM_SECONDS and "
                "TECHSCANIQ_SSE_HEARTBEAT_SECONDS must be above 0"
            )
        if self.llm_provider not in {"", "anthropic", "openai"}:
            raise ValueError(f"TECHSCANIQ_LLM must be 'anthropic' or 'openai', got {self.llm_provider!r}")
        if self.visibility_timeout_seconds <= longest_hard_limit:
            raise ValueError(
                "TECHSCANIQ_VISIBILITY_TIMEOUT must exceed the longest task time limit "
                f"({self.visibility_timeout_seconds} <= {longest_hard_limit}); otherwise a running task "
                "is delivered twice"
            )

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some settings changed (tests, CLI flags)."""
        return replace(self, **changes)

    @property
    def broker_url(self) -> str:
        """The Celery broker: Redis when configured, else the embedded SQLite transport."""
        if self.redis_url:
            return self.redis_url
        return f"sqla+sqlite:///{self.data_dir / 'broker.db'}"

    @property
    def celery_result_backend(self) -> str:
        """The Celery result backend: its own setting, else the broker's Redis, else SQLite."""
        if self.result_backend_url:
            return self.result_backend_url
        if self.redis_url:
            return self.redis_url
        return f"db+sqlite:///{self.data_dir / 'results.db'}"

    @property
    def is_postgres(self) -> bool:
        """True when the database is PostgreSQL (schema-qualified tables)."""
        return self.database_url.startswith("postgresql")
