"""Structured JSON logs: one object per line, with scan_id and task_id on every line, and no secrets."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import traceback
from collections.abc import Iterator
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any, TextIO

from techscaniq.config import Settings

scan_id_var: ContextVar[str | None] = ContextVar("techscaniq_scan_id", default=None)
task_id_var: ContextVar[str | None] = ContextVar("techscaniq_task_id", default=None)

# The handler this module installs, so configuring twice replaces it instead of doubling every line.
_HANDLER_NAME = "techscaniq-json"

_REDACTED = "***"
_SECRET_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Credentials inside URLs: scheme://user:password@host and scheme://:password@host.
    (re.compile(r"(?P<keep>[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+(?=@)", re.IGNORECASE), r"\g<keep>***"),
    # Authorization headers, however they were printed.
    (re.compile(r"(?P<keep>\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{6,}", re.IGNORECASE), r"\g<keep>***"),
    # Our own API keys and webhook secrets, wherever they appear.
    (re.compile(r"\b(?P<keep>tsq_|whsec_)[A-Za-z0-9_-]{6,}"), r"\g<keep>***"),
    # key=value pairs whose name says they are secret.
    (
        re.compile(
            r"(?P<keep>\b[\w-]*(?:password|passwd|secret|token|api[_-]?key|basic_auth)[\w-]*"
            r"[\"']?\s*[=:]\s*[\"']?)[^\s\"',&]+",
            re.IGNORECASE,
        ),
        r"\g<keep>***",
    ),
)


def redact(text: str) -> str:
    """The text with credentials, API keys and secret values replaced by ***."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _celery_task_id(record: logging.LogRecord) -> str | None:
    # The worker's own lines ("Task ... received", "... succeeded") carry the task id in their arguments.
    args = record.args
    if isinstance(args, dict) and isinstance(args.get("id"), str):
        return str(args["id"])
    return None


def _scan_id_from_task(task_id: str | None) -> str | None:
    # Step task ids are "<scan_id>.<step>.<attempt>" (tasks.task_id_for), so a task id names its scan.
    if task_id and _UUID.fullmatch(task_id.split(".", 1)[0]):
        return task_id.split(".", 1)[0]
    return None


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line with its scan and task, plus any `extra={"fields": {...}}` keys."""

    def __init__(self, component: str) -> None:
        super().__init__()
        self.component = component

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single JSON line."""
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "component": self.component,
            "message": redact(record.getMessage()),
        }
        task_id = getattr(record, "task_id", None) or task_id_var.get() or _celery_task_id(record)
        entry["scan_id"] = (
            getattr(record, "scan_id", None) or scan_id_var.get() or _scan_id_from_task(task_id)
        )
        entry["task_id"] = task_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            # Structured extras (an access line's method, path, status, ...) never replace the keys above.
            for name, value in fields.items():
                if name not in entry:
                    entry[name] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = redact("".join(traceback.format_exception(*record.exc_info)))
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(settings: Settings, component: str, stream: TextIO | None = None) -> None:
    """Send every log record of this process to stderr (or the stream given) as JSON lines at the configured level.

    Without a stream, a process that is already set up keeps its handler.
    """
    root = logging.getLogger()
    existing = [handler for handler in root.handlers if handler.get_name() == _HANDLER_NAME]
    if existing and stream is None:
        # Already set up in this process (an app created twice, or a test capturing the lines): keep it.
        root.setLevel(settings.log_level)
        return
    for handler in existing:
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(JsonFormatter(component))
    root.addHandler(handler)
    root.setLevel(settings.log_level)


@contextlib.contextmanager
def log_context(*, scan_id: str | None = None, task_id: str | None = None) -> Iterator[None]:
    """Attach a scan id and/or task id to every log line written inside the block."""
    tokens: list[tuple[ContextVar[str | None], Token[str | None]]] = []
    if scan_id is not None:
        tokens.append((scan_id_var, scan_id_var.set(scan_id)))
    if task_id is not None:
        tokens.append((task_id_var, task_id_var.set(task_id)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def _scan_id_of(args: Any, kwargs: Any) -> str | None:
    if isinstance(kwargs, dict) and isinstance(kwargs.get("scan_id"), str):
        return str(kwargs["scan_id"])
    if isinstance(args, list | tuple) and args and isinstance(args[0], str):
        return str(args[0])
    return None


def install_celery_logging(settings: Settings) -> None:
    """Make workers log JSON and tag each task's lines with its scan id and task id (Celery signals)."""
    from celery.signals import setup_logging, task_postrun, task_prerun

    @setup_logging.connect(weak=False)
    def _setup(**_: Any) -> None:
        # Connecting this signal stops Celery from installing its own handlers.
        configure_logging(settings, "worker")
        logging.captureWarnings(True)  # Celery's start-up warnings become JSON lines too

    @task_prerun.connect(weak=False)
    def _bind(task_id: str | None = None, args: Any = None, kwargs: Any = None, **_: Any) -> None:
        scan_id_var.set(_scan_id_of(args, kwargs))
        task_id_var.set(task_id)

    @task_postrun.connect(weak=False)
    def _unbind(**_: Any) -> None:
        scan_id_var.set(None)
        task_id_var.set(None)


def install_flask_logging(app: Any) -> None:
    """Tag each API request's log lines with the scan id of its URL (if any)."""
    from flask import request

    @app.before_request
    def _bind_scan() -> None:
        view_args = request.view_args or {}
        scan_id = view_args.get("scan_id")
        scan_id_var.set(str(scan_id) if scan_id else None)
        task_id_var.set(None)

    @app.teardown_request
    def _unbind_scan(_: BaseException | None = None) -> None:
        # Server threads are reused: the next request must not inherit this one's scan.
        scan_id_var.set(None)
