"""Faults survived with nothing lost, proven with real processes: report worker killed, Redis restarted,
database cut, broker copy lost, cancel mid-crawl, and a poison step. PostgreSQL only (the TCP proxy and the
table lock need it); short leases so the in-worker reaper acts within seconds."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from techscaniq.domain import EventKind, ScanStatus, StepName, StepStatus
from techscaniq.evidence.crawler import CrawlLimits
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from tests.support.databases import TEST_DATABASE_URL
from tests.support.faults import (
    MEASUREMENTS_FILE,
    CuttableProxy,
    Faults,
    no_duplicates,
    running_faults,
)
from tests.support.http_servers import LoopbackHTTPServer, respond
from tests.support.processes import RedisServer, Worker
from tests.support.sites import LoopbackSite

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture
def faults(redis_server: RedisServer, tmp_path: Path) -> Iterator[Faults]:
    """A fresh PostgreSQL schema and a clean broker; every worker the test started is stopped afterwards."""
    with running_faults(redis_server, tmp_path) as running:
        yield running


def _record(name: str, value: Any) -> None:
    """Keep a measured figure for docs/reliability.md (printed too)."""
    print(f"measurement {name}: {value}")
    existing = json.loads(MEASUREMENTS_FILE.read_text()) if MEASUREMENTS_FILE.exists() else {}
    existing[name] = value
    MEASUREMENTS_FILE.write_text(json.dumps(existing, indent=2, sort_keys=True))


def _pool_children(worker: Worker) -> list[int]:
    assert worker.process is not None
    pid = worker.process.pid
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            children += [int(child) for child in (task / "children").read_text().split()]
    return children


# --- 1. report worker killed mid-report ---------------------------------------------------------------------


def test_report_worker_killed_mid_report_leaves_exactly_one_report(faults: Faults) -> None:
    faults.worker("evidence")
    first_reports = faults.worker("reports")
    schema = faults.database.schema
    # Hold the reports table so the report step is caught between its claim and its write, then kill it there.
    with psycopg.connect(TEST_DATABASE_URL.replace("postgresql+psycopg://", "postgresql://")) as blocker:
        blocker.execute(f'LOCK TABLE "{schema}".reports IN SHARE ROW EXCLUSIVE MODE')
        with LoopbackSite() as site:
            scan_id = faults.submit(site.url)
            faults.wait_for(
                "the report step to block on its write",
                lambda: (
                    faults.step(scan_id, StepName.REPORT).status == StepStatus.ACTIVE
                    and blocker.execute(
                        "SELECT count(*) FROM pg_locks WHERE relation = %s::regclass AND NOT granted",
                        (f'"{schema}".reports',),
                    ).fetchone()[0]  # type: ignore[index]
                    > 0
                ),
            )
            killed_at = time.monotonic()
            first_reports.kill()
            blocker.rollback()
        faults.worker("reports")
        final = faults.wait_final(scan_id)
    recovered_seconds = round(time.monotonic() - killed_at, 1)
    assert final.status == ScanStatus.COMPLETED, final
    with session_scope(faults.settings, write=False) as session:
        assert repo.count_reports(session, scan_id) == 1
        assert repo.latest_report(session, scan_id).version == 1  # type: ignore[union-attr]
    assert final.steps[StepName.REPORT].deliveries == 2
    assert any("handed to another worker" in event.message for event in faults.events(scan_id))
    _record("report_worker_kill_recovery_seconds", recovered_seconds)


# --- 2. Redis restarted mid-scan ----------------------------------------------------------------------------


def test_redis_restart_mid_scan_loses_no_message(faults: Faults) -> None:
    evidence = faults.worker("evidence")
    faults.worker("reports")
    broker = redis.Redis.from_url(faults.redis.url)
    with LoopbackSite(home_delay_seconds=2) as site:
        scan_ids = [faults.submit(site.url) for _ in range(3)]
        faults.wait_for(
            "one scan's evidence step to run",
            lambda: any(faults.step(s, StepName.EVIDENCE).status == StepStatus.ACTIVE for s in scan_ids),
        )
        queued_before = int(broker.llen("evidence"))
        restarted_at = time.monotonic()
        faults.redis.stop()
        time.sleep(1)
        faults.redis.start()
        queued_after = int(broker.llen("evidence"))

        def all_final_while_the_worker_lives() -> bool:
            assert evidence.process is not None and evidence.process.poll() is None, (
                f"the evidence worker exited:\n{evidence.log()[-3000:]}"
            )
            return all(faults.scan(scan_id).status.is_final for scan_id in scan_ids)

        faults.wait_for("every scan to finish", all_final_while_the_worker_lives)
        finals = [faults.scan(scan_id) for scan_id in scan_ids]
    assert queued_before == queued_after >= 1
    assert [scan.status for scan in finals] == [ScanStatus.COMPLETED] * 3, finals
    assert all(no_duplicates(faults.evidence_keys(scan_id)) for scan_id in scan_ids)
    assert len({tuple(faults.evidence_keys(scan_id)) for scan_id in scan_ids}) == 1
    assert "Trying again in" in evidence.log() or "Connection to broker lost" in evidence.log()
    _record("redis_restart_all_scans_final_seconds", round(time.monotonic() - restarted_at, 1))


# --- 3. database unreachable for a few seconds --------------------------------------------------------------


def test_database_outage_while_a_worker_writes_is_retried(faults: Faults) -> None:
    upstream_port = int(TEST_DATABASE_URL.rsplit(":", 1)[1].split("/", 1)[0])
    proxy = CuttableProxy(upstream_port)
    proxied_url = TEST_DATABASE_URL.replace(f":{upstream_port}/", f":{proxy.port}/")
    try:
        evidence = faults.worker("evidence", DATABASE_URL=proxied_url)
        faults.worker("reports", DATABASE_URL=proxied_url)
        with LoopbackSite(home_delay_seconds=2) as site:
            scan_id = faults.submit(site.url)
            faults.wait_for(
                "the evidence step to fetch the home page",
                lambda: (
                    faults.step(scan_id, StepName.EVIDENCE).status == StepStatus.ACTIVE
                    and "/" in site.requests
                ),
            )
            proxy.cut()
            # The page arrives while the database is gone: storing it fails and the task must retry.
            time.sleep(3)
            proxy.restore()
            restored_at = time.monotonic()
            final = faults.wait_final(scan_id)
    finally:
        proxy.close()
    assert proxy.refused > 0, "nothing tried the database during the outage"
    assert final.status == ScanStatus.COMPLETED, (final, evidence.log()[-4000:])
    assert no_duplicates(faults.evidence_keys(scan_id)) and faults.evidence_keys(scan_id)
    with session_scope(faults.settings, write=False) as session:
        assert repo.count_reports(session, scan_id) == 1
    _record("database_outage_completed_after_restore_seconds", round(time.monotonic() - restored_at, 1))
    assert "Retry in" in evidence.log(), "the task itself retried with backoff"


# --- 5. messages vanished: worker and broker copy both gone -------------------------------------------------


def test_a_scan_whose_messages_vanished_is_recovered_by_the_reaper(faults: Faults) -> None:
    evidence = faults.worker("evidence")
    faults.worker("reports")
    broker = redis.Redis.from_url(faults.redis.url)
    with LoopbackSite(home_delay_seconds=3) as site:
        scan_id = faults.submit(site.url)
        faults.wait_for(
            "the evidence step to run",
            lambda: faults.step(scan_id, StepName.EVIDENCE).status == StepStatus.ACTIVE,
        )
        evidence.kill()
        copies = [tag for tag, payload in broker.hgetall("unacked").items() if scan_id.encode() in payload]
        assert copies, "the running message should be in the broker's unacked hash"
        broker.hdel("unacked", *copies)
        broker.zrem("unacked_index", *copies)
        lost_at = time.monotonic()
        faults.worker("evidence")
        final = faults.wait_final(scan_id)
    assert final.status == ScanStatus.COMPLETED, final
    assert final.steps[StepName.EVIDENCE].deliveries == 2
    assert any("handed to another worker" in event.message for event in faults.events(scan_id))
    assert no_duplicates(faults.evidence_keys(scan_id))
    _record("lost_message_recovery_seconds", round(time.monotonic() - lost_at, 1))


# --- 6. cancel mid-crawl ------------------------------------------------------------------------------------


HOME_WITH_SLOW_PAGES = (
    b"<!doctype html><html lang='en'><head><title>Acme Analytics</title></head><body>"
    b"<a href='/pricing'>Pricing</a> <a href='/security'>Security</a> <a href='/careers'>Careers</a>"
    b"<p>Revenue intelligence for subscription businesses.</p></body></html>"
)
SLOW_PAGE_SECONDS = 2.0
SLOW_PATHS = ("/pricing", "/security", "/careers")


def _slow_page(handler: Any) -> None:
    time.sleep(SLOW_PAGE_SECONDS)
    respond(body=b"<html><head><title>Slow</title></head><body><p>later page</p></body></html>")(handler)


def test_cancel_mid_crawl_fetches_nothing_more_and_keeps_partial_evidence(faults: Faults) -> None:
    faults.worker("evidence")
    faults.worker("reports")
    with LoopbackHTTPServer() as site:
        site.route("/", respond(body=HOME_WITH_SLOW_PAGES))
        for path in SLOW_PATHS:
            site.route(path, _slow_page)
        scan_id = faults.submit(site.url("/"))
        # The host's slots all hold slow pages: the crawler starts nothing more before one of them ends, so the pages
        # on the wire are known (with one of them seen, another may still be on its way when the flag is set).
        faults.wait_for(
            "the host's slots to hold pages after the home page",
            lambda: (
                sum(seen.path in SLOW_PATHS for seen in site.seen()) >= CrawlLimits().per_host_concurrency
            ),
        )
        in_flight = [seen.path for seen in site.seen()]
        cancelled_at = time.monotonic()
        response = faults.client.post(
            f"/api/scans/{scan_id}/cancel", headers={"Authorization": f"Bearer {faults.key}"}
        )
        assert response.status_code == 202
        final = faults.wait_final(scan_id)
        latency = time.monotonic() - cancelled_at
        time.sleep(SLOW_PAGE_SECONDS + 0.5)  # anything still fetching would show up now
        fetched = [seen.path for seen in site.seen()]
    assert final.status == ScanStatus.CANCELLED
    # Pages already on the wire when the flag was set may finish; nothing is requested after it.
    assert fetched == in_flight, fetched
    assert final.steps[StepName.REPORT].status == StepStatus.SKIPPED
    assert faults.evidence_keys(scan_id), "evidence stored before the cancel is kept"
    with session_scope(faults.settings, write=False) as session:
        assert repo.count_reports(session, scan_id) == 0
    assert faults.events(scan_id)[-1].kind == EventKind.DONE
    _record("cancel_to_cancelled_seconds_with_a_2s_page_in_flight", round(latency, 2))


# --- 8. poison pill -----------------------------------------------------------------------------------------


def test_a_step_that_kills_its_worker_every_time_fails_as_poison(faults: Faults) -> None:
    evidence = faults.worker("evidence")
    faults.worker("reports")
    kills: list[int] = []
    with LoopbackSite(home_delay_seconds=3) as site:
        scan_id = faults.submit(site.url)
        started_at = time.monotonic()

        def kill_each_new_delivery() -> bool:
            step = faults.step(scan_id, StepName.EVIDENCE)
            if step.status == StepStatus.ACTIVE and step.deliveries > len(kills):
                children = _pool_children(evidence)
                if children:
                    for pid in children:
                        os.kill(pid, signal.SIGKILL)
                    kills.append(step.deliveries)
            return faults.scan(scan_id).status.is_final

        faults.wait_for("the poison step to be given up", kill_each_new_delivery, timeout=120)
    final = faults.scan(scan_id)
    assert kills == [1, 2, 3]
    assert final.status == ScanStatus.FAILED
    assert final.error_code == "poison"
    assert final.steps[StepName.EVIDENCE].status == StepStatus.FAILED
    assert final.steps[StepName.EVIDENCE].error_code == "poison"
    assert final.steps[StepName.REPORT].status == StepStatus.SKIPPED
    assert "exited prematurely: signal 9" in evidence.log()
    shown = faults.client.get(
        f"/api/scans/{scan_id}/status", headers={"Authorization": f"Bearer {faults.key}"}
    ).get_json()
    assert shown["scanRequest"]["error"]["code"] == "poison"
    assert shown["progress"]["evidenceCollection"]["error"]["code"] == "poison"
    _record("poison_detected_after_seconds", round(time.monotonic() - started_at, 1))
