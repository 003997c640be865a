"""Structured logs: JSON lines carrying scan_id and task_id, from API requests and Celery tasks, with no secrets."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from celery.signals import task_postrun, task_prerun

from techscaniq.app import create_app
from techscaniq.config import Settings
from techscaniq.logs import (
    configure_logging,
    install_celery_logging,
    install_flask_logging,
    log_context,
    redact,
)

SCAN_ID = "0b7f6f7e-8a47-4c55-9a51-3f3f1f0d2a11"
log = logging.getLogger("techscaniq.tests.ops_logs")


@dataclass
class JsonLog:
    """The JSON lines written since logging was configured for the test."""

    stream: io.StringIO

    def lines(self) -> list[dict[str, object]]:
        """Every line parsed."""
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]


@pytest.fixture
def json_log() -> Iterator[JsonLog]:
    """JSON logging into a buffer for one test; the root logger is restored afterwards."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    configure_logging(Settings.from_env({"LOG_LEVEL": "INFO"}), "api", stream)
    configure_logging(Settings.from_env({"LOG_LEVEL": "INFO"}), "api", stream)  # again: lines must not double
    yield JsonLog(stream)
    root.handlers[:] = handlers
    root.setLevel(level)


def test_context_and_celery_signals_tag_every_line(json_log: JsonLog) -> None:
    install_celery_logging(Settings.from_env({}))
    log.info("outside any scan")
    with log_context(scan_id=SCAN_ID):
        log.info("inside a scan")
    task_prerun.send(sender=None, task_id=f"{SCAN_ID}.evidence.1", task=None, args=[SCAN_ID], kwargs={})
    log.warning("inside a task")
    task_postrun.send(sender=None, task_id=f"{SCAN_ID}.evidence.1", task=None, args=[SCAN_ID], kwargs={})
    log.info("after the task")
    lines = json_log.lines()
    assert [(line["message"], line["scan_id"], line["task_id"]) for line in lines] == [
        ("outside any scan", None, None),
        ("inside a scan", SCAN_ID, None),
        ("inside a task", SCAN_ID, f"{SCAN_ID}.evidence.1"),
        ("after the task", None, None),
    ]
    assert lines[2]["level"] == "warning" and lines[2]["component"] == "api"


def test_api_requests_tag_lines_with_the_scan_of_their_url(json_log: JsonLog) -> None:
    app = create_app(Settings.from_env({"TECHSCANIQ_AUTH": "off"}))
    install_flask_logging(app)

    @app.get("/probe/scans/<scan_id>")
    def probe(scan_id: str) -> str:
        log.info("looking at a scan")
        return "ok"

    assert app.test_client().get(f"/probe/scans/{SCAN_ID}").status_code == 200
    log.info("between requests")
    lines = json_log.lines()
    tagged = {line["message"]: line["scan_id"] for line in lines}
    assert tagged["looking at a scan"] == SCAN_ID
    assert tagged["between requests"] is None


def test_secrets_never_reach_a_log_line(json_log: JsonLog) -> None:
    samples = {
        "rediss://default:s3cr3t-pass@redis.example.com:6380/0": "s3cr3t-pass",
        "postgresql://user:pg-password-1@db.example.com/app": "pg-password-1",
        "Authorization: Bearer tsq_abcdef1234567890": "abcdef1234567890",
        "key tsq_0123456789abcdef leaked": "0123456789abcdef",
        "secret whsec_99887766554433 leaked": "99887766554433",
        "FLOWER_BASIC_AUTH=ops:flower-pass-9": "flower-pass-9",
        "OPENAI_API_KEY=sk-live-123456789": "sk-live-123456789",
        "password='hunter22'": "hunter22",
    }
    for text, secret in samples.items():
        assert secret not in redact(text), text
    assert redact("scan 42 finished with 17 items at https://acme.example.com/pricing") == (
        "scan 42 finished with 17 items at https://acme.example.com/pricing"
    )
    try:
        raise RuntimeError("cannot reach rediss://:exception-pass@cache.example.com:6380")
    except RuntimeError:
        log.exception("broker problem with %s", "postgresql://u:arg-pass@db.example.com/x")
    lines = json_log.lines()
    written = json.dumps(lines)
    assert "exception-pass" not in written and "arg-pass" not in written
    assert "RuntimeError" in str(lines[-1]["exception"])
