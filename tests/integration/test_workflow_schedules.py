"""Scheduled re-scans on Celery beat: two beat processes submit each due scan exactly once, through the API's path."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from techscaniq.accounts import Viewer
from techscaniq.scans import service as scan_service
from techscaniq.storage import companies as company_store
from techscaniq.storage import repo
from techscaniq.storage import schedules as schedule_store
from techscaniq.storage.db import session_scope
from techscaniq.storage.tables import companies, company_scans
from techscaniq.workflow.schedules import submit_due_scans
from techscaniq.workflow.submit import submit_scheduled_scan
from tests.support.api import wait_until
from tests.support.changing_site import ChangingSite
from tests.support.databases import Database, settings_for
from tests.support.processes import RedisServer
from tests.support.stack import Stack
from tests.support.webhooks import Receiver

pytestmark = pytest.mark.integration

TICK_SECONDS = 1
TICKS_WATCHED = 8


def _headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _beat(stack: Stack, directory: Path, name: str) -> subprocess.Popen[bytes]:
    log = (directory / f"{name}.log").open("ab")
    command = [sys.executable, "-m", "celery", "-A", "techscaniq", "beat", "--schedule", str(directory / name),
               "--loglevel", "INFO"]  # fmt: skip
    env = {**stack.env, "TECHSCANIQ_BEAT_TICK_SECONDS": str(TICK_SECONDS)}
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _scheduled_scans(stack: Stack, company_id: str) -> list[str]:
    with session_scope(stack.settings, write=False) as session:  # type: ignore[arg-type]
        return list(
            session.execute(
                select(company_scans.c.scan_id).where(
                    company_scans.c.company_id == company_id, company_scans.c.scheduled.is_(True)
                )
            ).scalars()
        )


def test_two_beats_submit_each_due_scan_once(stack: Stack, tmp_path: Path) -> None:
    with session_scope(stack.settings) as session:  # type: ignore[arg-type]
        _, key = repo.create_api_key(session, "Fund W", label="watcher", is_admin=False)
        _, other_key = repo.create_api_key(session, "Fund X", label="other", is_admin=False)
    receiver = Receiver()
    beats: list[subprocess.Popen[bytes]] = []
    try:
        with ChangingSite() as site:
            body = {"company_name": "Borealis Freight", "website_url": site.url, "primary_criteria": "buy-and-build",
                    "callback_url": receiver.url("/hook")}  # fmt: skip
            response = stack.client.post("/api/scans", json=body, headers=_headers(key))  # type: ignore[attr-defined]
            assert response.status_code == 201, response.get_json()
            first = response.get_json()["scanRequestId"]
            assert wait_until(stack, first, {"completed", "failed"})["scanRequest"]["status"] == "completed"
            company = stack.client.get("/api/companies", headers=_headers(key)).get_json()["items"][0]  # type: ignore[attr-defined]
            path = f"/api/companies/{company['id']}/schedule"
            bad = stack.client.put(path, json={"every_days": 0}, headers=_headers(key))  # type: ignore[attr-defined]
            assert bad.status_code == 400 and "every_days" in bad.get_json()["error"]["fields"]
            foreign = stack.client.put(path, json={"every_days": 7}, headers=_headers(other_key))  # type: ignore[attr-defined]
            assert foreign.status_code == 404
            put = stack.client.put(path, json={"every_days": 7}, headers=_headers(key))  # type: ignore[attr-defined]
            assert put.status_code == 200, put.get_json()
            due = datetime.now(UTC) - timedelta(minutes=1)
            with session_scope(stack.settings) as session:  # type: ignore[arg-type]
                schedule_store.set_next_due(session, company["id"], due)
            site.version = "after"  # the re-scan sees a changed site
            beats = [_beat(stack, tmp_path, "beat-a"), _beat(stack, tmp_path, "beat-b")]
            time.sleep(TICK_SECONDS * TICKS_WATCHED)
            for beat in beats:
                assert beat.poll() is None, (tmp_path / "beat-a.log").read_text()[-3000:]
            submitted = _scheduled_scans(stack, company["id"])
            with session_scope(stack.settings, write=False) as session:  # type: ignore[arg-type]
                row = schedule_store.get_schedule(session, company["id"])
            errors = [line for line in stack.report_worker.log().splitlines() if "rror" in line][-5:]
            logs = f"{row}\n" + "".join(
                (tmp_path / f"{n}.log").read_text()[-2000:] for n in ("beat-a", "beat-b")
            )
            assert len(submitted) == 1, f"{submitted}\n{logs}\n{errors}"
            sent = sum(
                (tmp_path / f"{name}.log").read_text().count("techscaniq.submit_due_scans")
                for name in ("beat-a", "beat-b")
            )
            assert sent >= 4, "both beats ticked several times"
            scan = stack.client.get(f"/api/scans/{submitted[0]}", headers=_headers(key)).get_json()  # type: ignore[attr-defined]
            assert scan["metadata"]["submitted_by"] == "schedule"
            assert (
                wait_until(stack, submitted[0], {"completed", "failed"})["scanRequest"]["status"]
                == "completed"
            )
        detail = stack.client.get(f"/api/companies/{company['id']}", headers=_headers(key)).get_json()  # type: ignore[attr-defined]
        assert detail["schedule"]["last_scan_id"] == submitted[0]
        assert datetime.fromisoformat(detail["schedule"]["next_due_at"]) > datetime.now(UTC) + timedelta(
            days=6
        )
        assert [s["scheduled"] for s in detail["scans"]] == [True, False]
        payload = _webhook_for(receiver, submitted[0])
        assert payload["scheduled"] is True
        assert payload["changes"]["technologiesAdded"] == payload["changes"]["technologiesRemoved"] == 1
        assert payload["changes"]["againstScanId"] == first
        stopped = stack.client.delete(path, headers=_headers(key))  # type: ignore[attr-defined]
        assert stopped.status_code == 204
        assert stack.client.delete(path, headers=_headers(key)).status_code == 404  # type: ignore[attr-defined]
    finally:
        for beat in beats:
            if beat.poll() is None:
                os.killpg(beat.pid, signal.SIGTERM)
                beat.wait(timeout=30)
        receiver.close()


def _webhook_for(receiver: Receiver, scan_id: str) -> Any:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for received in receiver.received:
            body = json.loads(received.body)
            if body["scanId"] == scan_id:
                return body
        time.sleep(0.2)
    raise AssertionError(f"no webhook for {scan_id}: {[r.body[:200] for r in receiver.received]}")


def test_a_due_time_seen_by_two_tickers_is_claimed_by_one(database: Database) -> None:
    settings = settings_for(database)
    now = datetime.now(UTC)
    with session_scope(settings) as session:  # type: ignore[arg-type]
        org_id = repo.get_or_create_org(session, "Fund Y")
        session.execute(insert(companies).values(id="company-y", org_id=org_id, domain="y.example", name="Y",
                                                 created_at=now))  # fmt: skip
        schedule_store.put_schedule(session, "company-y", every_days=3, thesis=None, key_id=None, now=now)
        schedule_store.set_next_due(session, "company-y", now - timedelta(days=10))
    # Both tickers read the due list before either claims (the race two beats run).
    seen = []
    for _ in range(2):
        with session_scope(settings, write=False) as session:  # type: ignore[arg-type]
            seen.append(schedule_store.due_schedules(session, now))
    claims = []
    for due in seen:
        with session_scope(settings) as session:  # type: ignore[arg-type]
            claims.append(schedule_store.claim_due_time(session, due[0], now=now))
    assert claims == [True, False]
    with session_scope(settings, write=False) as session:  # type: ignore[arg-type]
        after = schedule_store.get_schedule(session, "company-y")
        assert schedule_store.due_schedules(session, now) == []
    # Ten days overdue on a three-day rhythm owes one scan, and the next is due within one period.
    assert after is not None and now < after.next_due_at <= now + timedelta(days=3)

    # The second claim failed, so the due time was not moved twice: it is one period ahead, not two.
    assert after.next_due_at == schedule_store.following_due_time(seen[0][0], now)
    with session_scope(settings) as session:  # type: ignore[arg-type]
        schedule_store.set_next_due(session, "company-y", seen[0][0].next_due_at)
    # A schedule whose key is gone records why, and its due time is spent (a person must set it again).
    tick = submit_due_scans(settings, now=now)  # type: ignore[arg-type]
    assert (tick.submitted, tick.failed) == ([], 1)
    with session_scope(settings, write=False) as session:  # type: ignore[arg-type]
        spent = schedule_store.get_schedule(session, "company-y")
    assert spent is not None and spent.next_due_at > now and "revoked or gone" in (spent.last_error or "")


CUSTOM_THESIS = {
    "thesisType": "custom",
    "customThesisName": "Vertical SaaS roll-up",
    "criteria": [
        {"id": "edge", "name": "Edge hardening", "weight": 70, "basis": "security-posture"},
        {"id": "reach", "name": "Reach", "weight": 30, "basis": "web-presence-performance"},
    ],
    "threshold": 72,
}


def test_a_tick_that_died_after_submitting_costs_no_due_time_and_repeats_a_custom_thesis(
    database: Database, redis_server: RedisServer
) -> None:
    # Its own Redis database: the chains this test sends must not reach the session's workers.
    settings = settings_for(database, REDIS_URL=f"redis://127.0.0.1:{redis_server.port}/9")
    now = datetime.now(UTC)
    with session_scope(settings) as session:  # type: ignore[arg-type]
        stored_key, _ = repo.create_api_key(session, "Fund Z", label="watcher", is_admin=False)
        owner = schedule_store.schedule_owner(session, stored_key.id)
    assert owner is not None
    viewer = Viewer(org_id=owner.org_id, org_name=owner.org_name, key_id=owner.key_id, is_admin=False)
    body = {"company_name": "Zephyr Ledger", "website_url": "https://zephyr.example",
            "investment_thesis_data": CUSTOM_THESIS}  # fmt: skip
    first = scan_service.submit(settings, viewer, body).scan_id  # type: ignore[arg-type]
    with session_scope(settings) as session:  # type: ignore[arg-type]
        company_id = company_store.company_id_of_scan(session, first)
        assert company_id is not None
        schedule_store.put_schedule(
            session, company_id, every_days=7, thesis=None, key_id=owner.key_id, now=now
        )
        schedule_store.set_next_due(session, company_id, now - timedelta(minutes=1))
        due = schedule_store.due_schedules(session, now)
    # A tick created the scan and died before it moved the due time on.
    orphan = submit_scheduled_scan(settings, due[0])  # type: ignore[arg-type]
    tick = submit_due_scans(settings, now=now)  # type: ignore[arg-type]
    assert (tick.submitted, tick.failed) == ([orphan], 0)
    assert submit_due_scans(settings, now=now).submitted == []  # type: ignore[arg-type]
    with session_scope(settings, write=False) as session:  # type: ignore[arg-type]
        scans = company_store.company_scans_newest_first(session, company_id)
        repeat = repo.get_scan(session, orphan)
        original = repo.get_scan(session, first)
        schedule = schedule_store.get_schedule(session, company_id)
    assert [s.id for s in scans] == [orphan, first]
    assert repeat.thesis == original.thesis and repeat.thesis["custom"] is True
    assert repeat.metadata["submitted_by"] == "schedule"
    assert schedule is not None and schedule.last_scan_id == orphan and schedule.next_due_at > now
