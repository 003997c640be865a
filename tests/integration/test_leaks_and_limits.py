"""Smaller leaks and limits: public readiness answers, retries against the rate limit."""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from techscaniq import pipeline, retention, webhooks
from techscaniq.app import create_app
from techscaniq.domain import ScanStatus, StepName, StepStatus
from techscaniq.storage import repo, report_files
from techscaniq.storage.db import session_scope
from techscaniq.storage.tables import scans
from tests.integration.test_ops_webhooks import Receiver, _ended_scan
from tests.integration.test_report_render import _stored_report
from tests.integration.test_security import GOOD, finished_scan, make_api
from tests.support.databases import Database, settings_for
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


def test_secrets_in_callback_urls_stay_out_of_delivery_records_and_logs(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(database)
    receiver = Receiver()
    try:
        secret_path = "/services/T0SECRET/B0SECRET/XOXSECRETTOKEN?sig=SIGSECRET&x=1"
        receiver.script[secret_path] = [(500, {}, b"no"), (204, {}, b"")]
        answered = _ended_scan(settings, receiver.url(secret_path))  # type: ignore[arg-type]
        # A port nobody listens on: the fetch error itself would name the URL.
        refused = _ended_scan(settings, f"http://127.0.0.1:9{secret_path}")  # type: ignore[arg-type]
        # INFO and up: what the app logs (urllib3's own DEBUG request lines are off unless asked for).
        with caplog.at_level(logging.INFO):
            for scan_id in (answered, refused):
                webhooks.deliver_completion_webhook(settings, scan_id, max_attempts=2, sleep=lambda _: None)  # type: ignore[arg-type]
        assert receiver.received  # the receiver did get the full URL
        records = [webhooks.webhook_deliveries_for(settings, s) for s in (answered, refused)]  # type: ignore[arg-type]
        assert records[0] and records[1]
        assert records[0][0]["url"] == receiver.url("") and records[1][0]["url"] == "http://127.0.0.1:9"
        assert records[0][0]["status"] == 500 and records[1][0]["error"]
        written = json.dumps(records) + "\n".join(r.getMessage() for r in caplog.records)
        assert "SECRET" not in written
    finally:
        receiver.close()


def test_an_unexpected_worker_error_reaches_the_tenant_as_a_code_and_a_reference(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    settings: Any = settings_for(database)
    scan_id = str(uuid.uuid4())
    with session_scope(settings) as session:
        org_id = repo.get_or_create_org(session, "Firm A")
        repo.create_scan(
            session, scan_id=scan_id, org_id=org_id, created_by_key_id=None, company_name="Acme",
            website_url="https://acme-analytics.com/", primary_criteria="digital-transformation", thesis={},
            thesis_tags=[], requestor_name=None, organization_name=None, company_description=None,
            metadata={}, task_ids={step: f"{scan_id}.{step}.1" for step in StepName},
        )  # fmt: skip
    leak = "UPDATE scans SET x = %(secret_param)s WHERE id = 'tenant-b-scan'"
    with caplog.at_level(logging.ERROR):
        pipeline.fail_scan(settings, scan_id, StepName.EVIDENCE, RuntimeError(leak))
    with session_scope(settings, write=False) as session:
        scan = repo.get_scan(session, scan_id)
    assert scan.error_code == "internal_error"
    assert "secret_param" not in (scan.error_message or "") and "RuntimeError" not in (
        scan.error_message or ""
    )
    reference = re.search(r"reference ([0-9a-f]{12})", scan.error_message or "")
    assert reference, scan.error_message
    logged = [r for r in caplog.records if reference.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info and "secret_param" in str(logged[0].exc_info[1])


def _finished_report(api: Any) -> tuple[str, str]:
    report_id = _stored_report(api.settings, "Firm A", "Northwind Ledger")
    with session_scope(api.settings) as session:
        scan_id = repo.get_report(session, report_id).scan_id
        for step in StepName:
            repo.finish_step(session, scan_id, step, StepStatus.COMPLETED)
        repo.set_scan_status(session, scan_id, ScanStatus.COMPLETED)
    return scan_id, report_id


def test_rendered_pdfs_go_with_their_scan_on_delete_and_retention(
    database: Database, redis_server: RedisServer
) -> None:
    api = make_api(database, redis_server)
    deleted_scan, deleted_report = _finished_report(api)
    expired_scan, expired_report = _finished_report(api)
    for report_id in (deleted_report, expired_report):
        rendered = api.client.get(f"/api/reports/{report_id}.pdf", headers=api.as_key(api.key_a))
        assert rendered.status_code == 200
        assert report_files.pdf_cache_path(api.settings.data_dir, report_id).is_file()

    assert api.client.delete(f"/api/scans/{deleted_scan}", headers=api.as_key(api.key_a)).status_code == 204
    assert not report_files.pdf_cache_path(api.settings.data_dir, deleted_report).exists()

    with session_scope(api.settings) as session:
        long_ago = repo.utcnow() - timedelta(days=40)
        session.execute(update(scans).where(scans.c.id == expired_scan).values(created_at=long_ago))
    assert retention.delete_expired_scans(api.settings.with_overrides(retention_days=30)) == [expired_scan]
    assert not report_files.pdf_cache_path(api.settings.data_dir, expired_report).exists()
