"""Security through the real API: idempotency, rate limits, organisations kept apart, deletion, retention,
audit, CORS, secrets kept out of logs, and SSRF refused through DNS answers and redirects."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import redis
import requests
from sqlalchemy import func, select, update
from werkzeug.serving import make_server

from techscaniq import accounts, retention
from techscaniq.app import create_app
from techscaniq.config import Settings
from techscaniq.domain import (
    Citation,
    EventKind,
    EvidenceCategory,
    EvidenceDraft,
    EvidenceType,
    ScanStatus,
    StepName,
    StepStatus,
)
from techscaniq.scans import service
from techscaniq.storage import repo, security_repo
from techscaniq.storage.db import session_scope
from techscaniq.storage.tables import evidence_items, reports, scan_events, scans
from tests.support.databases import Database, settings_for
from tests.support.http_servers import LoopbackHTTPServer, redirect
from tests.support.processes import RedisServer
from tests.support.sites import LoopbackSite
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

GOOD = {"company_name": "Orion Ledger", "website_url": "https://orion-ledger.com/"}
SCAN_TIMEOUT_SECONDS = 60


@dataclass
class Api:
    """The API of one database and the session's Redis, without workers (queued messages stay put)."""

    settings: Settings
    client: Any
    redis: redis.Redis
    admin_key: str
    key_a: str
    key_b: str
    key_a_id: str

    def as_key(self, key: str) -> dict[str, str]:
        """The Authorization header of a key."""
        return {"Authorization": f"Bearer {key}"}

    def queued(self) -> int:
        """Messages waiting on both queues."""
        return int(self.redis.llen("evidence")) + int(self.redis.llen("reports"))

    def scan_count(self) -> int:
        """Scans in the database, of every organisation."""
        with session_scope(self.settings, write=False) as session:
            return int(session.execute(select(func.count()).select_from(scans)).scalar_one())


def _register_openapi(app: Any) -> Any:
    # Until the lead registers the blueprint in create_app().
    from techscaniq.api.openapi import openapi_api

    if "openapi_api" not in app.blueprints:
        app.register_blueprint(openapi_api)
    return app


def make_api(database: Database, redis_server: RedisServer, **overrides: str) -> Api:
    """A fresh app with an admin key and one key in each of two organisations."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    settings: Settings = settings_for(database, **overrides)
    with session_scope(settings) as session:
        _, admin = repo.create_api_key(session, "Operator", label="admin", is_admin=True)
        key_a_row, key_a = repo.create_api_key(session, "Firm A", label="analyst", is_admin=False)
        _, key_b = repo.create_api_key(session, "Firm B", label="analyst", is_admin=False)
    app = _register_openapi(create_app(settings))
    return Api(settings, app.test_client(), client, admin, key_a, key_b, key_a_row.id)


@pytest.fixture
def api(database: Database, redis_server: RedisServer) -> Iterator[Api]:
    """The API on SQLite and on PostgreSQL."""
    yield make_api(database, redis_server)


def finished_scan(
    settings: Settings, org_name: str, *, status: ScanStatus = ScanStatus.COMPLETED
) -> dict[str, str]:
    """A finished scan with evidence, a report citing it and events, written through the repository."""
    scan_id = str(uuid.uuid4())
    with session_scope(settings) as session:
        org_id = repo.get_or_create_org(session, org_name)
        repo.create_scan(
            session,
            scan_id=scan_id,
            org_id=org_id,
            created_by_key_id=None,
            company_name="Confidential Target",
            website_url="https://target.example.com/",
            primary_criteria="digital-transformation",
            thesis={"slug": "digital-transformation", "name": "Digital transformation"},
            thesis_tags=[],
            requestor_name=None,
            organization_name=org_name,
            company_description=None,
            metadata={},
            task_ids={step: f"{scan_id}.{step}.1" for step in StepName},
        )
        stored = repo.add_evidence(
            session,
            scan_id,
            [
                EvidenceDraft(
                    type=EvidenceType.PAGE,
                    category=EvidenceCategory.PAGES,
                    title="Home page",
                    summary="A page.",
                    data={},
                    source_url="https://target.example.com/",
                    collector="test",
                    confidence=1.0,
                    dedup_key="home",
                )
            ],
        )
        report = repo.save_report(
            session,
            scan_id,
            content={"sections": []},
            writer="test",
            score=70,
            grade="B",
            report_citations=[Citation(1, "It has a home page", "overview", stored[0].id)],
        )
        repo.append_event(session, scan_id, EventKind.DONE, "done")
        for step in StepName:
            repo.finish_step(session, scan_id, step, StepStatus.COMPLETED)
        repo.set_scan_status(session, scan_id, status)
    return {"scan_id": scan_id, "report_id": report.id, "org_id": org_id}


# --- idempotency --------------------------------------------------------------------------------------------


def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(api: Api) -> None:
    headers = {**api.as_key(api.key_a), "Idempotency-Key": "deal-orion-1"}
    first = api.client.post("/api/scans", json=GOOD, headers=headers)
    assert first.status_code == 201, first.get_json()
    again = api.client.post("/api/scans", json=GOOD, headers=headers)
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]

    other_body = api.client.post("/api/scans", json={**GOOD, "company_name": "Other"}, headers=headers)
    assert other_body.status_code == 409
    assert other_body.get_json()["error"]["code"] == "idempotency_key_reused"

    # Keys belong to an organisation: firm B's identical key is a different request.
    other_org = api.client.post(
        "/api/scans", json=GOOD, headers={**api.as_key(api.key_b), "Idempotency-Key": "deal-orion-1"}
    )
    assert other_org.status_code == 201
    assert other_org.get_json()["scanRequestId"] != first.get_json()["scanRequestId"]
    assert api.scan_count() == 2 and api.queued() == 2

    bad_key = api.client.post("/api/scans", json=GOOD, headers={**headers, "Idempotency-Key": "x" * 256})
    assert bad_key.status_code == 400
    assert bad_key.get_json()["error"]["code"] == "invalid_idempotency_key"


def test_an_invalid_body_does_not_use_up_the_key(api: Api) -> None:
    headers = {**api.as_key(api.key_a), "Idempotency-Key": "retry-after-typo"}
    bad = api.client.post("/api/scans", json={**GOOD, "website_url": "ftp://x"}, headers=headers)
    assert bad.status_code == 400
    good = api.client.post("/api/scans", json=GOOD, headers=headers)
    assert good.status_code == 201
    assert api.scan_count() == 1


@pytest.fixture
def served_api(api: Api) -> Iterator[tuple[Api, str]]:
    """The same app behind a real threaded HTTP server on loopback."""
    app = api.client.application
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_twenty_concurrent_identical_requests_create_one_scan_and_one_chain(
    served_api: tuple[Api, str],
) -> None:
    api, base = served_api
    headers = {**api.as_key(api.key_a), "Idempotency-Key": "burst-" + uuid.uuid4().hex}
    start = threading.Barrier(20)

    def post(_: int) -> tuple[int, Any]:
        start.wait()
        response = requests.post(f"{base}/api/scans", json=GOOD, headers=headers, timeout=30)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(post, range(20)))
    assert [status for status, _ in answers] == [201] * 20, answers
    assert len({body["scanRequestId"] for _, body in answers}) == 1
    assert all(body == answers[0][1] for _, body in answers)
    assert api.scan_count() == 1
    assert int(api.redis.llen("evidence")) == 1


# --- rate limit ---------------------------------------------------------------------------------------------


def test_submissions_are_rate_limited_per_key(database: Database, redis_server: RedisServer) -> None:
    api = make_api(database, redis_server, TECHSCANIQ_SUBMIT_RATE="3/day")
    for _ in range(3):
        assert api.client.post("/api/scans", json=GOOD, headers=api.as_key(api.key_a)).status_code == 201
    limited = api.client.post("/api/scans", json=GOOD, headers=api.as_key(api.key_a))
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 86400
    # Another key of the same deployment is counted on its own.
    assert api.client.post("/api/scans", json=GOOD, headers=api.as_key(api.key_b)).status_code == 201
    assert api.scan_count() == 4 and api.queued() == 4


# --- organisations, deletion, audit -------------------------------------------------------------------------


def test_another_organisation_sees_nothing_and_admins_see_all(api: Api) -> None:
    owned = finished_scan(api.settings, "Firm A")
    scan_id, report_id = owned["scan_id"], owned["report_id"]
    outsider = api.as_key(api.key_b)
    for path in (
        f"/api/scans/{scan_id}",
        f"/api/scans/{scan_id}/status",
        f"/api/scans/{scan_id}/evidence",
        f"/api/scans/{scan_id}/report",
        f"/api/reports/{report_id}",
    ):
        response = api.client.get(path, headers=outsider)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"
        assert api.client.get(path, headers=api.as_key(api.key_a)).status_code == 200, path
        assert api.client.get(path, headers=api.as_key(api.admin_key)).status_code == 200, path
    for path in (
        f"/api/scans/{scan_id}/events",
        f"/api/reports/{report_id}.md",
        f"/api/reports/{report_id}.html",
        f"/api/reports/{report_id}.pdf",
    ):
        response = api.client.get(path, headers=outsider)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"
    assert api.client.post(f"/api/scans/{scan_id}/cancel", headers=outsider).status_code == 404
    retry = api.client.post(f"/api/scans/{scan_id}/retry", json={"jobType": "report"}, headers=outsider)
    assert retry.status_code == 404
    assert api.client.delete(f"/api/scans/{scan_id}", headers=outsider).status_code == 404
    assert api.client.get("/api/scans", headers=outsider).get_json()["total"] == 0
    assert api.client.get(f"/api/audit?scan_id={scan_id}", headers=outsider).get_json()["items"] == []
    own = api.client.get("/api/scans", headers=api.as_key(api.key_a)).get_json()
    assert [item["id"] for item in own["items"]] == [scan_id]
    everyone = api.client.get("/api/scans", headers=api.as_key(api.admin_key)).get_json()
    assert scan_id in {item["id"] for item in everyone["items"]}
    assert api.queued() == 0


def test_report_views_are_audited_and_exports_can_be(api: Api) -> None:
    owned = finished_scan(api.settings, "Firm A")
    headers = api.as_key(api.key_a)
    assert api.client.get(f"/api/reports/{owned['report_id']}", headers=headers).status_code == 200
    assert api.client.get(f"/api/scans/{owned['scan_id']}/report", headers=headers).status_code == 200
    # What an export route does (md/html/pdf) before it renders: the scan service's audited open.
    viewer = accounts.viewer_for_secret(api.settings, api.key_a)
    assert viewer is not None
    path = f"/api/reports/{owned['report_id']}.pdf"
    service.open_report(
        api.settings, viewer, owned["report_id"], action="report.export", path=path, format="pdf"
    )
    entries = api.client.get(f"/api/audit?report_id={owned['report_id']}", headers=headers).get_json()[
        "items"
    ]
    assert [(e["action"], e["detail"]["format"]) for e in entries] == [
        ("report.export", "pdf"),
        ("report.view", "json"),
        ("report.view", "json"),
    ]
    assert {e["keyId"] for e in entries} == {api.key_a_id}
    assert {e["scanId"] for e in entries} == {owned["scan_id"]}
    # A refused look (another organisation) leaves no entry that names the report.
    api.client.get(f"/api/reports/{owned['report_id']}", headers=api.as_key(api.key_b))
    admin_view = api.client.get(
        f"/api/audit?report_id={owned['report_id']}", headers=api.as_key(api.admin_key)
    )
    assert len(admin_view.get_json()["items"]) == 3


def test_every_route_that_hands_out_report_content_writes_an_audit_entry(api: Api) -> None:
    # The exports (.md, .html, .pdf) open reports through the same service call; see the test above.
    owned = finished_scan(api.settings, "Firm A")
    headers = api.as_key(api.key_a)
    report_id, scan_id = owned["report_id"], owned["scan_id"]
    routes = [
        (f"/api/reports/{report_id}", "report.view", "json"),
        (f"/api/scans/{scan_id}/report", "report.view", "json"),
        (f"/reports/{report_id}", "report.view", "page"),
    ]
    for path, action, file_format in routes:
        answer = api.client.get(path, headers=headers)
        assert answer.status_code == 200, path
        entries = api.client.get(f"/api/audit?report_id={report_id}", headers=headers).get_json()["items"]
        assert (entries[0]["action"], entries[0]["detail"]["format"], entries[0]["detail"]["path"]) == (
            action,
            file_format,
            path,
        )
        assert entries[0]["keyId"] == api.key_a_id and entries[0]["scanId"] == scan_id
    assert len(api.client.get(f"/api/audit?report_id={report_id}", headers=headers).get_json()["items"]) == 3


def test_delete_removes_the_scan_with_evidence_reports_and_events(api: Api) -> None:
    owned = finished_scan(api.settings, "Firm A")
    kept = finished_scan(api.settings, "Firm A")
    headers = api.as_key(api.key_a)
    assert api.client.delete(f"/api/scans/{owned['scan_id']}", headers=headers).status_code == 204
    assert api.client.get(f"/api/scans/{owned['scan_id']}", headers=headers).status_code == 404
    assert api.client.get(f"/api/reports/{owned['report_id']}", headers=headers).status_code == 404
    assert api.client.delete(f"/api/scans/{owned['scan_id']}", headers=headers).status_code == 404
    with session_scope(api.settings, write=False) as session:
        for table in (evidence_items, reports, scan_events):
            left = session.execute(
                select(func.count()).select_from(table).where(table.c.scan_id == owned["scan_id"])
            ).scalar_one()
            assert left == 0, table.name
        assert repo.count_evidence(session, kept["scan_id"]) == 1
        assert repo.count_reports(session, kept["scan_id"]) == 1
    deletions = api.client.get(f"/api/audit?scan_id={owned['scan_id']}", headers=headers).get_json()["items"]
    assert [e["action"] for e in deletions] == ["scan.delete"]
    assert "Confidential Target" not in str(deletions)


def test_a_running_scan_must_be_cancelled_before_delete(api: Api) -> None:
    submitted = api.client.post("/api/scans", json=GOOD, headers=api.as_key(api.key_a))
    scan_id = submitted.get_json()["scanRequestId"]
    response = api.client.delete(f"/api/scans/{scan_id}", headers=api.as_key(api.key_a))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "scan_running"
    assert api.scan_count() == 1


def test_retention_deletes_only_old_finished_scans(api: Api) -> None:
    old_done = finished_scan(api.settings, "Firm A")
    old_failed = finished_scan(api.settings, "Firm B", status=ScanStatus.FAILED)
    new_done = finished_scan(api.settings, "Firm A")
    old_running = api.client.post("/api/scans", json=GOOD, headers=api.as_key(api.key_a)).get_json()
    long_ago = repo.utcnow() - timedelta(days=40)
    with session_scope(api.settings) as session:
        session.execute(
            update(scans)
            .where(scans.c.id.in_([old_done["scan_id"], old_failed["scan_id"], old_running["scanRequestId"]]))
            .values(created_at=long_ago)
        )
    assert retention.delete_expired_scans(api.settings) == []  # retention_days 0: keep everything
    kept_30_days = api.settings.with_overrides(retention_days=30)
    deleted = retention.delete_expired_scans(kept_30_days)
    assert sorted(deleted) == sorted([old_done["scan_id"], old_failed["scan_id"]])
    with session_scope(api.settings, write=False) as session:
        remaining = set(session.execute(select(scans.c.id)).scalars())
        audit = security_repo.list_audit(session, org_id=None)
    assert remaining == {new_done["scan_id"], old_running["scanRequestId"]}
    assert {(e.action, e.scan_id) for e in audit} == {
        ("scan.retention_delete", old_done["scan_id"]),
        ("scan.retention_delete", old_failed["scan_id"]),
    }


# --- input, CORS, secrets -----------------------------------------------------------------------------------


def test_callback_url_is_checked_like_the_website_and_stored(api: Api) -> None:
    headers = api.as_key(api.key_a)
    for bad, code in (
        ("ftp://hooks.example.com/x", "ssrf_scheme"),
        ("http://169.254.169.254/latest", "ssrf_blocked_address"),
        ("http://127.0.1.1/hook", "ssrf_blocked_address"),
        (42, "validation_error"),
    ):
        response = api.client.post("/api/scans", json={**GOOD, "callback_url": bad}, headers=headers)
        assert response.status_code == 400, bad
        assert response.get_json()["error"]["code"] == code
        assert "callback_url" in response.get_json()["error"]["fields"]
    created = api.client.post(
        "/api/scans",
        json={**GOOD, "callback_url": "https://hooks.orion-ledger.com/scan-done"},
        headers=headers,
    )
    assert created.status_code == 201
    detail = api.client.get(f"/api/scans/{created.get_json()['scanRequestId']}", headers=headers).get_json()
    assert detail["callback_url"] == "https://hooks.orion-ledger.com/scan-done"
    assert api.scan_count() == 1


def test_unknown_fields_are_named(api: Api) -> None:
    response = api.client.post(
        "/api/scans", json={**GOOD, "compnay_name": "typo"}, headers=api.as_key(api.key_a)
    )
    assert response.status_code == 400
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"compnay_name"} and "company_name" in fields["compnay_name"]
    assert api.scan_count() == 0


def test_cors_answers_only_configured_origins(database: Database, redis_server: RedisServer) -> None:
    api = make_api(database, redis_server, TECHSCANIQ_CORS_ORIGINS="https://deals.example.com")
    for origin, allowed in (("https://deals.example.com", True), ("https://evil.example.net", False)):
        preflight = api.client.options(
            "/api/scans",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        listing = api.client.get("/api/scans", headers={**api.as_key(api.key_a), "Origin": origin})
        assert listing.status_code == 200
        for response in (preflight, listing):
            assert (response.headers.get("Access-Control-Allow-Origin") == origin) is allowed, origin
    unconfigured = make_api(database, redis_server)
    plain = unconfigured.client.get(
        "/api/scans",
        headers={**unconfigured.as_key(unconfigured.key_a), "Origin": "https://deals.example.com"},
    )
    assert "Access-Control-Allow-Origin" not in plain.headers


def test_secrets_never_reach_the_logs(
    database: Database, redis_server: RedisServer, caplog: pytest.LogCaptureFixture, tmp_path: Any
) -> None:
    env = {**os.environ, **database.env(), "LOG_LEVEL": "DEBUG"}
    created = subprocess.run(
        [sys.executable, "-m", "techscaniq.cli", "keys", "create", "--org", "Firm C"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith(repo.API_KEY_PREFIX)
    assert secret not in created.stderr
    assert secret not in "\n".join(created.stdout.strip().splitlines()[:-1])

    caplog.set_level(logging.DEBUG)
    api = make_api(database, redis_server)
    app = api.client.application
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        for key in (secret, api.key_a, "tsq_wrong-" + secret[-8:]):
            requests.post(
                f"{base}/api/scans", json=GOOD, headers={"Authorization": f"Bearer {key}"}, timeout=10
            )
            requests.get(f"{base}/api/scans", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    finally:
        server.shutdown()
        thread.join(timeout=5)
    logged = caplog.text + "\n".join(str(record.__dict__) for record in caplog.records)
    assert "POST /api/scans" in logged  # the capture did see the requests
    for key in (secret, api.key_a, api.key_b, api.admin_key):
        assert key not in logged
        assert key[len(repo.API_KEY_PREFIX) :] not in logged
    with_secret = api.settings.with_overrides(secret_key="flask-signing-secret", openai_api_key="sk-test-123")
    assert "flask-signing-secret" not in repr(with_secret) and "sk-test-123" not in repr(with_secret)


# --- SSRF through the API with real workers -----------------------------------------------------------------


def _wait_final(stack: Stack, scan_id: str) -> Any:
    deadline = time.monotonic() + SCAN_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        state = stack.client.get(
            f"/api/scans/{scan_id}/status", headers={"Authorization": f"Bearer {stack.admin_key}"}
        ).get_json()
        if state["scanRequest"]["status"] in {"completed", "failed", "cancelled"}:
            return state
        time.sleep(0.1)
    raise AssertionError(f"scan {scan_id} never finished:\n{stack.evidence_worker.log()[-3000:]}")


def _submit(stack: Stack, url: str) -> str:
    response = stack.client.post(
        "/api/scans",
        json={"company_name": "Hostile Co", "website_url": url},
        headers={"Authorization": f"Bearer {stack.admin_key}"},
    )
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["scanRequestId"])


def test_a_public_name_answered_with_a_forbidden_address_is_refused(
    stack: Stack, fixture_dns: Any, tripwire: Any
) -> None:
    fixture_dns.set_records("portal.hostile-co.com", "A", [tripwire.host])
    final = _wait_final(stack, _submit(stack, f"http://portal.hostile-co.com:{tripwire.port}/"))
    assert final["scanRequest"]["status"] == "failed"
    assert final["scanRequest"]["error"]["code"] == "ssrf_blocked_address"
    assert final["progress"]["reportGeneration"]["status"] == "skipped"
    assert tripwire.connections == []
    assert stack.admin_key not in stack.evidence_worker.log() + stack.report_worker.log()


def test_a_redirect_from_an_allowed_site_to_a_forbidden_address_is_refused(
    stack: Stack, tripwire: Any
) -> None:
    with LoopbackHTTPServer() as site:
        site.route("/", redirect(f"http://{tripwire.host}:{tripwire.port}/admin"))
        final = _wait_final(stack, _submit(stack, site.url("/")))
        assert "/" in [seen.path for seen in site.seen()]
    assert final["scanRequest"]["status"] == "failed"
    assert final["scanRequest"]["error"]["code"].startswith("ssrf_")
    assert final["progress"]["reportGeneration"]["status"] == "skipped"
    assert tripwire.connections == []


def test_an_allowed_site_still_scans(stack: Stack) -> None:
    with LoopbackSite() as site:
        final = _wait_final(stack, _submit(stack, site.url))
    assert final["scanRequest"]["status"] == "completed", final
