"""Smaller leaks and limits: public readiness answers, retries against the rate limit."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from techscaniq.app import create_app
from tests.conftest import Database, settings_for
from tests.integration.test_security import GOOD, finished_scan, make_api
from tests.support.processes import RedisServer

pytestmark = pytest.mark.integration


def test_ready_names_the_dependency_that_is_down_and_logs_the_details(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    url = "postgresql+psycopg://leaky_user:leaky_pw@127.0.0.1:1/leaky_db"
    app = create_app(settings_for(database, DATABASE_URL=url))  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING):
        response = app.test_client().get("/api/ready")
    assert response.status_code == 503
    body: Any = response.get_json()
    assert body["checks"]["database"] == "down" and "database" in body["error"]["message"]
    text = response.get_data(as_text=True)
    assert "leaky" not in text and "127.0.0.1" not in text and "port" not in text
    assert any("database is unreachable" in r.getMessage() and r.exc_info for r in caplog.records)


def test_retries_count_against_the_submission_rate_limit(
    database: Database, redis_server: RedisServer
) -> None:
    api = make_api(database, redis_server, TECHSCANIQ_SUBMIT_RATE="2/day")
    scan_id = finished_scan(api.settings, "Firm A")["scan_id"]
    assert api.client.post("/api/scans", json=GOOD, headers=api.as_key(api.key_a)).status_code == 201
    retry = {"jobType": "both"}
    first = api.client.post(f"/api/scans/{scan_id}/retry", json=retry, headers=api.as_key(api.key_a))
    assert first.status_code == 202, first.get_json()
    limited = api.client.post(f"/api/scans/{scan_id}/retry", json=retry, headers=api.as_key(api.key_a))
    assert limited.status_code == 429 and limited.get_json()["error"]["code"] == "rate_limited"
    assert api.client.post("/api/scans", json=GOOD, headers=api.as_key(api.key_a)).status_code == 429
