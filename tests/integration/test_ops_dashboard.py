"""Flower at /flower, /metrics, `techscaniq status` and JSON worker logs, against real workers and a real Flower."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis as redis_client
from flask import Flask

from techscaniq import pipeline
from techscaniq.api.auth import SESSION_COOKIE_NAME
from techscaniq.api.flower import FLOWER_CSP, flower_proxy
from techscaniq.api.metrics import metrics_api
from techscaniq.api.ops_host import flower_host_matches
from techscaniq.config import Settings
from techscaniq.domain import StepName
from techscaniq.errors import TechScanError
from techscaniq.ops_status import collect_status, format_status
from techscaniq.storage import repo
from techscaniq.storage.db import dispose_engines, migrate, session_scope
from tests.support.ops import (
    procfile_commands,
    read_log,
    start_json_worker,
    start_process,
    stop_process,
    wait_for_log,
    with_venv_path,
)
from tests.support.processes import RedisServer, free_port
from tests.support.sites import LoopbackSite

pytestmark = pytest.mark.integration

FLOWER_USER, FLOWER_PASSWORD = "ops", "flower-test-password"
OPS_HOST = "ops.localhost"  # Flower's own origin; the test client's default host "localhost" is the app's
ON_OPS_HOST: dict[str, Any] = {"base_url": f"http://{OPS_HOST}"}
FLOWER_WAIT_SECONDS = 30
SCAN_WAIT_SECONDS = 90


@dataclass
class Ops:
    """Workers, Flower and an app with the operations blueprints, plus one finished scan."""

    settings: Settings
    app: Flask
    admin_key: str
    member_key: str
    logs: dict[str, Path]
    scan_id: str
    task_ids: dict[str, str]


def ops_app(settings: Settings) -> Flask:
    """create_app() with the operations blueprints (registered here until app.py registers them)."""
    from techscaniq.app import create_app

    app = create_app(settings)
    for blueprint in (flower_proxy, metrics_api):
        if blueprint.name not in app.blueprints:
            app.register_blueprint(blueprint)
    return app


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture(scope="module")
def ops(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ops]:
    directory = tmp_path_factory.mktemp("ops-dashboard")
    redis_client.Redis.from_url(redis_server.url).flushall()
    flower_port = free_port()
    env = {
        **with_venv_path(os.environ),
        "DATABASE_URL": f"sqlite:///{directory / 'ops.db'}",
        "TECHSCANIQ_FLOWER_URL": f"http://127.0.0.1:{flower_port}",
        "FLOWER_BASIC_AUTH": f"{FLOWER_USER}:{FLOWER_PASSWORD}",
        "FLOWER_PORT": str(flower_port),
        "FLOWER_ADDRESS": "127.0.0.1",
        "TECHSCANIQ_FLOWER_HOST": OPS_HOST,
    }
    settings = Settings.from_env(env)
    migrate(settings)
    with session_scope(settings) as session:
        _, admin_key = repo.create_api_key(session, "Ops Admin", label="tests", is_admin=True)
        _, member_key = repo.create_api_key(session, "Member Firm", label="tests", is_admin=False)
    logs = {name: directory / f"{name}.log" for name in ("evidence", "reports", "flower")}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(start_json_worker("evidence", "ops-evidence@%h", env, logs["evidence"]))
        processes.append(start_json_worker("reports", "ops-reports@%h", env, logs["reports"]))
        flower = start_process(["sh", "-c", procfile_commands()["flower"]], env, logs["flower"])
        processes.append(flower)
        wait_for_log(flower, logs["flower"], "Visit me at")
        app = ops_app(settings)
        client = app.test_client()
        with LoopbackSite() as site:
            response = client.post(
                "/api/scans",
                json={"company_name": "Acme Analytics", "website_url": site.url},
                headers=_bearer(admin_key),
            )
            assert response.status_code == 201, response.get_json()
            scan_id = response.get_json()["scanRequestId"]
            deadline = time.monotonic() + SCAN_WAIT_SECONDS
            while True:
                status = client.get(f"/api/scans/{scan_id}/status", headers=_bearer(admin_key)).get_json()
                if status["scanRequest"]["status"] in {"completed", "failed", "cancelled"}:
                    break
                assert time.monotonic() < deadline, (status, read_log(logs["evidence"])[-3000:])
                time.sleep(0.2)
        assert status["scanRequest"]["status"] == "completed", status
        task_ids = {
            "evidence": status["progress"]["evidenceCollection"]["taskId"],
            "report": status["progress"]["reportGeneration"]["taskId"],
        }
        yield Ops(settings, app, admin_key, member_key, logs, scan_id, task_ids)
    finally:
        for process in reversed(processes):
            stop_process(process)
        dispose_engines()


def _eventually(read: Any, accept: Any, timeout: float = FLOWER_WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + timeout
    value = read()
    while not accept(value):
        assert time.monotonic() < deadline, f"not accepted in {timeout} s: {value!r}"[:3000]
        time.sleep(0.5)
        value = read()
    return value


def test_flower_refuses_everyone_but_admins(ops: Ops) -> None:
    client = ops.app.test_client()
    wrong_basic = _basic(FLOWER_USER, "not-the-password")
    for path in (
        "/flower",
        "/flower/",
        "/flower/api/workers",
        "/flower/api/tasks",
        "/flower/metrics",
        "/flower/static/js/flower.js",
    ):
        for headers in ({}, _bearer(ops.member_key), _bearer("tsq_unknown_key_000000"), wrong_basic):
            response = client.get(path, headers=headers, **ON_OPS_HOST)
            assert response.status_code == 401, (path, headers, response.status_code)
            assert response.headers["WWW-Authenticate"].startswith("Basic")
    shutdown = client.post(
        "/flower/api/worker/shutdown/ops-evidence@x", headers=_bearer(ops.member_key), **ON_OPS_HOST
    )
    assert shutdown.status_code == 401


def test_admins_see_the_dashboard_and_a_worker_for_each_queue(ops: Ops) -> None:
    client = ops.app.test_client()
    redirect = client.get("/flower", headers=_bearer(ops.admin_key), **ON_OPS_HOST)
    assert redirect.status_code == 302 and redirect.headers["Location"].endswith("/flower/")
    for headers in (_bearer(ops.admin_key), _basic(FLOWER_USER, FLOWER_PASSWORD)):
        page = client.get("/flower/", headers=headers, **ON_OPS_HOST)
        assert page.status_code == 200
        assert "text/html" in page.headers["Content-Type"]
        assert b"Flower" in page.data
        # Flower's pages run inline scripts: they get their own policy, not the app's strict one.
        assert page.headers["Content-Security-Policy"] == FLOWER_CSP
    static = client.get("/flower/static/js/flower.js", headers=_bearer(ops.admin_key), **ON_OPS_HOST)
    assert static.status_code == 200 and len(static.data) > 1000

    def workers() -> dict[str, Any]:
        response = client.get("/flower/api/workers?refresh=1", headers=_bearer(ops.admin_key), **ON_OPS_HOST)
        assert response.status_code == 200, response.data[:500]
        return dict(response.get_json())

    listed = _eventually(workers, lambda found: len(found) >= 2)
    queues_by_worker = {
        name: {q["name"] for q in info.get("active_queues") or []} for name, info in listed.items()
    }
    assert any(
        name.startswith("ops-evidence@") and queues == {"evidence"}
        for name, queues in queues_by_worker.items()
    )
    assert any(
        name.startswith("ops-reports@") and queues == {"reports"} for name, queues in queues_by_worker.items()
    )
    # The app's own pages keep the strict policy.
    home = client.get("/api/health")
    assert home.headers["Content-Security-Policy"] != FLOWER_CSP


def test_a_finished_scans_tasks_are_visible_in_flower(ops: Ops) -> None:
    client = ops.app.test_client()

    def tasks() -> dict[str, Any]:
        response = client.get("/flower/api/tasks?limit=100", headers=_bearer(ops.admin_key), **ON_OPS_HOST)
        assert response.status_code == 200, response.data[:500]
        return dict(response.get_json())

    wanted = set(ops.task_ids.values())
    found = _eventually(
        tasks, lambda seen: wanted <= {tid for tid, info in seen.items() if info.get("state") == "SUCCESS"}
    )
    assert found[ops.task_ids["evidence"]]["name"] == "techscaniq.collect_evidence"
    assert found[ops.task_ids["evidence"]]["worker"].startswith("ops-evidence@")
    assert found[ops.task_ids["report"]]["name"] == "techscaniq.generate_report"
    assert found[ops.task_ids["report"]]["worker"].startswith("ops-reports@")
    info = client.get(
        f"/flower/api/task/info/{ops.task_ids['report']}", headers=_bearer(ops.admin_key), **ON_OPS_HOST
    )
    assert info.status_code == 200 and info.get_json()["state"] == "SUCCESS"


def test_admin_queues_redirects_to_flower(ops: Ops) -> None:
    response = ops.app.test_client().get("/admin/queues")
    assert response.status_code == 302
    assert response.headers["Location"] == f"http://{OPS_HOST}/flower/"


def _metric_values(text: str) -> dict[str, float]:
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


def test_metrics_are_admin_only_and_count_what_happened(ops: Ops) -> None:
    client = ops.app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=_bearer(ops.member_key)).status_code == 401
    response = client.get("/metrics", headers=_bearer(ops.admin_key))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    values = _metric_values(response.get_data(as_text=True))
    with session_scope(ops.settings, write=False) as session:
        items = repo.count_evidence(session, ops.scan_id)
    assert values['techscaniq_scans{status="completed"}'] == 1
    assert values['techscaniq_scans{status="failed"}'] == 0
    assert values['techscaniq_scan_steps{status="completed",step="evidence"}'] == 1
    assert values['techscaniq_step_duration_seconds_count{step="evidence"}'] == 1
    assert values['techscaniq_step_duration_seconds_count{step="report"}'] == 1
    assert values['techscaniq_step_duration_seconds_bucket{le="+Inf",step="evidence"}'] == 1
    assert sum(v for k, v in values.items() if k.startswith("techscaniq_evidence_items{")) == items > 0
    assert values['techscaniq_queue_depth{queue="evidence"}'] == 0
    assert values['techscaniq_queue_depth{queue="reports"}'] == 0
    assert values["techscaniq_broker_up"] == 1
    assert values['techscaniq_step_retries_total{step="evidence"}'] == 0
    assert not [name for name in values if name.startswith("techscaniq_scan_failures_total")]

    # A scan whose evidence step was retried once and then failed for good.
    failed_id = str(uuid.uuid4())
    with session_scope(ops.settings) as session:
        org_id = repo.get_or_create_org(session, "Ops Admin")
        repo.create_scan(
            session, scan_id=failed_id, org_id=org_id, created_by_key_id=None, company_name="Broken Co",
            website_url="https://broken.example.com/", primary_criteria="digital-transformation", thesis={},
            thesis_tags=[], requestor_name=None, organization_name=None, company_description=None, metadata={},
            task_ids={step: f"{failed_id}.{step}.1" for step in StepName},
        )  # fmt: skip
    error = TechScanError("the site timed out", code="fetch_timeout", retryable=True)
    with session_scope(ops.settings) as session:
        claimed = repo.claim_step(
            session,
            failed_id,
            StepName.EVIDENCE,
            owner="ops-test",
            lease_seconds=60,
            task_id=f"{failed_id}.evidence.1",
        )
        assert claimed is not None
    pipeline.release_for_retry(ops.settings, failed_id, StepName.EVIDENCE, error, 1, owner="ops-test")
    pipeline.fail_scan(ops.settings, failed_id, StepName.EVIDENCE, error)
    # Basic credentials of the operator work too (Prometheus supports both kinds).
    after = client.get("/metrics", headers=_basic(FLOWER_USER, FLOWER_PASSWORD))
    assert after.status_code == 200
    values = _metric_values(after.get_data(as_text=True))
    assert values['techscaniq_scans{status="failed"}'] == 1
    assert values['techscaniq_scan_failures_total{code="fetch_timeout"}'] == 1
    assert values['techscaniq_step_retries_total{step="evidence"}'] == 1
    assert values['techscaniq_scan_steps{status="skipped",step="report"}'] == 1


def test_status_shows_queues_workers_and_running_scans(ops: Ops) -> None:
    status = collect_status(ops.settings)
    assert status.queues == {"evidence": 0, "reports": 0}
    names = {worker.name.split("@")[0]: worker for worker in status.workers}
    assert names["ops-evidence"].queues == ("evidence",)
    assert names["ops-reports"].queues == ("reports",)
    assert names["ops-evidence"].processed >= 1
    assert status.running_total == 0 and status.problems == []
    text = format_status(status)
    assert "evidence: 0 waiting" in text and "ops-reports@" in text and "running scans: 0" in text


def test_worker_logs_are_json_with_scan_and_task_ids(ops: Ops) -> None:
    for queue, task_key in (("evidence", "evidence"), ("reports", "report")):
        lines = read_log(ops.logs[queue]).splitlines()
        ready = next(i for i, line in enumerate(lines) if " ready." in line)
        entries = [json.loads(line) for line in lines[ready:]]  # every line after start-up is JSON
        assert all({"ts", "level", "message", "scan_id", "task_id", "component"} <= set(e) for e in entries)
        mine = [e for e in entries if e["task_id"] == ops.task_ids[task_key]]
        assert len(mine) >= 2, entries[-10:]  # at least "received" and "succeeded"
        assert all(e["scan_id"] == ops.scan_id for e in mine)
        assert any("succeeded" in e["message"] for e in mine)
        assert all(e["component"] == "worker" for e in entries)


def test_flower_down_is_a_502_and_basic_credentials_cannot_post_cross_site(ops: Ops) -> None:
    nothing_there = ops.settings.with_overrides(flower_url=f"127.0.0.1:{free_port()}")
    down = ops_app(nothing_there).test_client()
    response = down.get("/flower/api/workers", headers=_bearer(ops.admin_key), **ON_OPS_HOST)
    assert response.status_code == 502 and response.get_json()["error"]["code"] == "flower_unavailable"
    # Browsers resend cached basic credentials by themselves: a cross-site POST must not reach Flower's API.
    basic = _basic(FLOWER_USER, FLOWER_PASSWORD)
    shutdown = "/flower/api/worker/shutdown/x"
    cross_site = down.post(shutdown, headers={**basic, "Sec-Fetch-Site": "cross-site"}, **ON_OPS_HOST)
    assert cross_site.status_code == 403
    same_site = down.post(shutdown, headers={**basic, "Sec-Fetch-Site": "same-site"}, **ON_OPS_HOST)
    assert same_site.status_code == 403  # the app's own host is same-site with the operations host
    foreign_origin = down.post(shutdown, headers={**basic, "Origin": "https://evil.example"}, **ON_OPS_HOST)
    assert foreign_origin.status_code == 403
    same_origin = down.post(shutdown, headers={**basic, "Sec-Fetch-Site": "same-origin"}, **ON_OPS_HOST)
    assert same_origin.status_code == 502  # allowed through to the (absent) Flower
    # An API key is not ambient: no browser can forge it, so no origin check applies.
    keyed = down.post(
        shutdown, headers={**_bearer(ops.admin_key), "Sec-Fetch-Site": "cross-site"}, **ON_OPS_HOST
    )
    assert keyed.status_code == 502


def _signed_in_admin(client: Any, admin_key: str) -> str:
    """Sign in through the UI on the app's host; the value of the app's session cookie."""
    page = client.get("/signin").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, page[:500]
    signed = client.post(
        "/signin", data={"api_key": admin_key, "csrf_token": token.group(1), "next": "/scans"}
    )
    assert signed.status_code == 303
    cookie = client.get_cookie(SESSION_COOKIE_NAME)
    assert cookie is not None
    return str(cookie.value)


def test_flower_lives_on_its_own_origin_where_the_apps_session_counts_for_nothing(ops: Ops) -> None:
    client = ops.app.test_client()
    session_cookie = _signed_in_admin(client, ops.admin_key)
    assert 'href="/flower/"' in client.get("/scans").get_data(as_text=True)  # the admin's link to the queues
    # On the app's origin a signed-in admin is sent to the operations host; Flower's page never runs here.
    for path in ("/flower", "/flower/", "/flower/api/workers?refresh=1"):
        moved = client.get(path)
        assert moved.status_code == 302, (path, moved.status_code)
        assert moved.headers["Location"] == f"http://{OPS_HOST}{path}"
    assert client.post("/flower/api/worker/shutdown/x").status_code == 404
    assert client.get("/admin/queues").headers["Location"] == f"http://{OPS_HOST}/flower/"
    # Even if the app's session cookie reaches the operations host (same name, another port), it is refused.
    client.set_cookie(SESSION_COOKIE_NAME, session_cookie, domain=OPS_HOST)
    for path in ("/flower", "/flower/", "/flower/api/workers", "/flower/api/tasks"):
        refused = client.get(path, **ON_OPS_HOST)
        assert refused.status_code == 401, (path, refused.status_code)
    shutdown = client.post(
        "/flower/api/worker/shutdown/x", headers={"Sec-Fetch-Site": "same-origin"}, **ON_OPS_HOST
    )
    assert shutdown.status_code == 401
    # Script in Flower's page cannot reach the app through its own origin: only /flower is served there.
    for path in ("/api/scans", "/scans", "/signin", "/metrics", "/api/openapi.json"):
        for headers in ({}, _bearer(ops.admin_key)):
            missing = client.get(path, headers=headers, **ON_OPS_HOST)
            assert missing.status_code == 404, (path, missing.status_code)
    assert client.post("/signin", data={"api_key": ops.admin_key}, **ON_OPS_HOST).status_code == 404
    home = client.get("/", **ON_OPS_HOST)
    assert home.status_code == 302 and home.headers["Location"].endswith("/flower/")
    # The operator's own credentials still open Flower there, and no app session cookie is handed out.
    page = client.get("/flower/", headers=_basic(FLOWER_USER, FLOWER_PASSWORD), **ON_OPS_HOST)
    assert page.status_code == 200 and page.headers["Content-Security-Policy"] == FLOWER_CSP
    assert SESSION_COOKIE_NAME not in " ".join(page.headers.getlist("Set-Cookie"))


def test_flower_is_refused_until_its_host_is_configured(ops: Ops) -> None:
    client = ops_app(ops.settings.with_overrides(flower_host="")).test_client()
    for path in ("/flower", "/flower/", "/flower/api/workers"):
        refused = client.get(path, headers=_bearer(ops.admin_key))
        assert refused.status_code == 404
        assert refused.get_json()["error"]["code"] == "flower_host_not_configured"
    _signed_in_admin(client, ops.admin_key)
    assert 'href="/flower/"' not in client.get("/scans").get_data(as_text=True)  # no link to a refusal


def test_the_flower_host_rule_compares_ports_only_when_configured() -> None:
    assert flower_host_matches("ops.example.com", "ops.example.com")
    assert flower_host_matches("ops.example.com", "OPS.example.com:8443")
    assert flower_host_matches("ops.example.com:8443", "ops.example.com:8443")
    assert not flower_host_matches("ops.example.com:8443", "ops.example.com:443")
    assert not flower_host_matches("ops.example.com", "app.example.com")
    assert not flower_host_matches("ops.example.com", "ops.example.com.evil.example")
    assert not flower_host_matches("", "localhost")
    assert flower_host_matches("[::1]:8001", "[::1]:8001") and not flower_host_matches(
        "[::1]:8001", "[::1]:8000"
    )
