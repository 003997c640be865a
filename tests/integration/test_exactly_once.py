"""Exactly-once effects under duplicate deliveries, a fast host clock, two reapers and a Redis that is down.
PostgreSQL, real workers and the session's Redis; short leases so the reaper acts within seconds."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import redis
from sqlalchemy import update

from techscaniq import reaper, tasks
from techscaniq.domain import EventKind, ScanStatus, StepName, StepStatus
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from techscaniq.storage.tables import scan_steps
from tests.integration.test_faults import Faults, _no_duplicates
from tests.integration.test_faults import faults as faults_fixture  # noqa: F401 - registers the `faults` fixture
from tests.support.sites import LoopbackSite

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

# A copy waits this long for the running copy's lease before it leaves the step to it.
CLAIM_WAIT = {"TECHSCANIQ_STEP_CLAIM_WAIT_SECONDS": "2"}


def _exactly_once(faults: Faults, scan_id: str) -> Any:
    final = faults.wait_final(scan_id)
    assert final.status == ScanStatus.COMPLETED, (final, [e.message for e in faults.events(scan_id)])
    keys = faults.evidence_keys(scan_id)
    assert keys and _no_duplicates(keys)
    with session_scope(faults.settings, write=False) as session:
        assert repo.count_reports(session, scan_id) == 1
    events = faults.events(scan_id)
    assert [e.message for e in events if e.kind == EventKind.DONE] == ["report ready"], events
    assert not [e for e in events if "failed" in e.message]
    return final


def test_the_same_chain_published_twice_completes_once(faults: Faults) -> None:
    faults.worker("evidence", **CLAIM_WAIT)
    faults.worker("evidence", **CLAIM_WAIT)
    faults.worker("reports", **CLAIM_WAIT)
    with LoopbackSite(home_delay_seconds=1) as site:
        scan_id = faults.submit(site.url)
        scan = faults.scan(scan_id)
        # An operator (or a broker) sends the very same chain again: same task ids, two workers free to take them.
        tasks.enqueue_steps(
            faults.settings,
            scan_id,
            {name: scan.steps[name].task_id for name in (StepName.EVIDENCE, StepName.REPORT)},
        )
        _exactly_once(faults, scan_id)


def test_a_copy_delivered_while_the_first_runs_never_takes_over(faults: Faults) -> None:
    faults.worker("evidence", **CLAIM_WAIT)
    faults.worker("evidence", **CLAIM_WAIT)
    faults.worker("reports", **CLAIM_WAIT)
    broker = redis.Redis.from_url(faults.redis.url)
    with LoopbackSite(home_delay_seconds=4) as site:
        scan_id = faults.submit(site.url)
        faults.wait_for("the home page to be on the wire", lambda: "/" in site.requests)
        running = faults.step(scan_id, StepName.EVIDENCE)
        (payload,) = [json.loads(raw) for raw in broker.hvals("unacked") if scan_id.encode() in raw]
        broker.lpush("evidence", json.dumps(payload[0]))  # the running message, delivered a second time
        final = _exactly_once(faults, scan_id)
    received = f"collect_evidence[{running.task_id}] received"
    assert sum(worker.log().count(received) for worker in faults.workers) == 2  # the copy did arrive
    # The copy either waited and left the step to its holder, or found it done: it never claimed.
    assert final.steps[StepName.EVIDENCE].deliveries == 1
    assert final.steps[StepName.EVIDENCE].task_id == running.task_id


def test_a_worker_whose_clock_runs_five_minutes_fast_steals_no_lease(faults: Faults) -> None:
    faults.worker("evidence")
    # Its reaper runs every second with a clock 5 minutes fast: by that clock every lease looks long expired.
    fast = faults.worker("reports", TECHSCANIQ_TEST_CLOCK_SKEW_SECONDS="300")
    with LoopbackSite(home_delay_seconds=6) as site:
        scan_id = faults.submit(site.url)
        final = _exactly_once(faults, scan_id)
    assert final.steps[StepName.EVIDENCE].deliveries == 1
    assert not any("handed to another worker" in e.message for e in faults.events(scan_id)), fast.log()[
        -2000:
    ]


def _due_step(faults: Faults, *, crashes: int) -> str:
    with LoopbackSite() as site:
        scan_id = faults.submit(site.url)  # no worker runs: the message waits in the queue
    redis.Redis.from_url(faults.redis.url).delete("evidence")
    with session_scope(faults.settings) as session:
        repo.claim_step(session, scan_id, StepName.EVIDENCE, owner="dead", lease_seconds=-1)
        session.execute(
            update(scan_steps)
            .where(scan_steps.c.scan_id == scan_id, scan_steps.c.name == StepName.EVIDENCE)
            .values(crashes=crashes)
        )
    return scan_id


def _two_reapers(faults: Faults) -> list[Any]:
    results: list[Any] = []
    barrier = threading.Barrier(2)

    def one() -> None:
        barrier.wait()
        results.append(reaper.reap_once(faults.settings))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_reapers_on_one_due_step_send_it_once(faults: Faults) -> None:
    scan_id = _due_step(faults, crashes=1)
    results = _two_reapers(faults)
    warnings = [e for e in faults.events(scan_id) if "handed to another worker" in e.message]
    assert sorted(len(r) for r in results) == [0, 1] and len(warnings) == 1
    assert redis.Redis.from_url(faults.redis.url).llen("evidence") == 1  # one re-send


def test_two_reapers_on_one_poison_step_fail_it_once(faults: Faults) -> None:
    scan_id = _due_step(faults, crashes=3)
    _two_reapers(faults)
    final = faults.scan(scan_id)
    done = [e for e in faults.events(scan_id) if e.kind == EventKind.DONE]
    assert final.status == ScanStatus.FAILED and final.error_code == "poison"
    assert final.steps[StepName.EVIDENCE].status == StepStatus.FAILED
    assert len(done) == 1, done


def test_status_answers_from_the_database_while_redis_is_down(faults: Faults) -> None:
    faults.worker("evidence")
    faults.worker("reports")
    with LoopbackSite(home_delay_seconds=3) as site:
        scan_id = faults.submit(site.url)
        faults.wait_for(
            "the evidence step to run",
            lambda: faults.step(scan_id, StepName.EVIDENCE).status == StepStatus.ACTIVE,
        )
        headers = {"Authorization": f"Bearer {faults.key}"}
        assert faults.client.get(f"/api/scans/{scan_id}/status", headers=headers).get_json()["live"] is True
        faults.redis.stop()
        try:
            answer = faults.client.get(f"/api/scans/{scan_id}/status", headers=headers)
        finally:
            faults.redis.start()
        body = answer.get_json()
        assert answer.status_code == 200 and body["live"] is False
        assert body["progress"]["evidenceCollection"]["status"] == "active"
        faults.wait_final(scan_id)
