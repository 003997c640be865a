"""Step leases on SQLite and PostgreSQL: fencing, no takeover of a live lease, database time, idempotent inserts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from techscaniq.domain import EventKind, StepName, StepStatus
from techscaniq.errors import StepLeaseTaken
from techscaniq.storage import repo, rows
from techscaniq.storage.db import session_scope
from techscaniq.storage.tables import crawl_pages
from tests.support.databases import Database
from tests.support.storage import new_scan, page_draft, storage_settings

EVIDENCE = StepName.EVIDENCE


def _claim(
    settings: object, scan_id: str, owner: str, *, lease: int = 60, task_id: str | None = None
) -> bool:
    with session_scope(settings) as session:  # type: ignore[arg-type]
        return (
            repo.claim_step(session, scan_id, EVIDENCE, owner=owner, lease_seconds=lease, task_id=task_id)
            is not None
        )


def test_a_live_lease_is_never_taken_over_and_the_loser_writes_nothing(database: Database) -> None:
    settings = storage_settings(database)
    scan_id = new_scan(settings)
    task_id = f"{scan_id}.evidence.1"
    assert _claim(settings, scan_id, "host:1:aa:" + task_id, task_id=task_id)
    # A copy of the very same message (same task id, another delivery) waits or exits; it never takes over.
    assert not _claim(settings, scan_id, "host:2:bb:" + task_id, task_id=task_id)
    with pytest.raises(StepLeaseTaken), session_scope(settings) as session:
        repo.fence(session, scan_id, EVIDENCE, owner="host:2:bb:" + task_id)
        repo.add_evidence(session, scan_id, [page_draft("never")])
    with session_scope(settings) as session:
        assert not repo.release_step(
            session, scan_id, EVIDENCE, owner="host:2:bb:" + task_id, lease_seconds=60
        )
        assert not repo.fail_step_and_scan(
            session,
            scan_id,
            EVIDENCE,
            "internal_error",
            "x",
            later_steps=[StepName.REPORT],
            owner="host:2:bb:x",
        )
    with session_scope(settings, write=False) as session:
        scan = repo.get_scan(session, scan_id)
        assert repo.count_evidence(session, scan_id) == 0
        assert [e.kind for e in repo.list_events(session, scan_id)] == []
    assert scan.status == "pending" and scan.steps[EVIDENCE].owner == "host:1:aa:" + task_id


def test_a_stale_message_cannot_claim_and_a_taken_lease_fences_its_old_owner(database: Database) -> None:
    settings = storage_settings(database)
    scan_id = new_scan(settings)
    assert _claim(settings, scan_id, "old", lease=-1)
    with session_scope(settings) as session:
        assert repo.requeue_expired_step(session, scan_id, EVIDENCE, task_id="replaced", owner="old")
    # The message the reaper replaced is stale: only the new task id may run the step.
    assert not _claim(settings, scan_id, "copy", task_id=f"{scan_id}.evidence.1")
    assert _claim(settings, scan_id, "new", task_id="replaced")
    with pytest.raises(StepLeaseTaken), session_scope(settings) as session:
        repo.fence(session, scan_id, EVIDENCE, owner="old")
    with session_scope(settings) as session:
        repo.fence(session, scan_id, EVIDENCE, owner="new")
        assert repo.finish_step(session, scan_id, EVIDENCE, StepStatus.COMPLETED, owner="new")


def test_hand_backs_and_progress_do_not_count_toward_the_poison_limit(database: Database) -> None:
    settings = storage_settings(database)
    scan_id = new_scan(settings)
    for owner in ("a", "b", "c"):  # three rolling restarts: each delivery hands the step back cleanly
        assert _claim(settings, scan_id, owner)
        with session_scope(settings) as session:
            assert repo.release_step(session, scan_id, EVIDENCE, owner=owner, lease_seconds=60)
    assert _claim(settings, scan_id, "d")
    with session_scope(settings) as session:
        step = repo.get_step(session, scan_id, EVIDENCE)
        assert (step.deliveries, step.crashes) == (4, 1)
        repo.fence(session, scan_id, EVIDENCE, owner="d", progress=True)
    with session_scope(settings, write=False) as session:
        assert repo.get_step(session, scan_id, EVIDENCE).crashes == 0
    # A hand-back whose message never comes back (the broker lost it) still expires for the reaper.
    with session_scope(settings) as session:
        assert repo.release_step(session, scan_id, EVIDENCE, owner="d", lease_seconds=-1)
        assert [found for found, _, _ in repo.expired_steps(session)] == [scan_id]


def test_two_callers_failing_one_expired_step_write_one_event(database: Database) -> None:
    settings = storage_settings(database)
    scan_id = new_scan(settings)
    assert _claim(settings, scan_id, "dead", lease=-1)
    results = []
    for _ in range(2):
        with session_scope(settings) as session:
            results.append(
                repo.fail_step_and_scan(
                    session, scan_id, EVIDENCE, "poison", "p", later_steps=[StepName.REPORT],
                    owner="dead", only_expired=True,
                )
            )  # fmt: skip
    with session_scope(settings, write=False) as session:
        done = [e for e in repo.list_events(session, scan_id) if e.kind == EventKind.DONE]
    assert results == [True, False] and len(done) == 1


@pytest.fixture
def fast_clock() -> Iterator[None]:
    saved = rows.CLOCK_SKEW
    rows.CLOCK_SKEW = timedelta(minutes=5)
    try:
        yield
    finally:
        rows.CLOCK_SKEW = saved


def test_leases_use_the_database_clock_not_the_hosts(database: Database, fast_clock: None) -> None:
    settings = storage_settings(database)
    scan_id = new_scan(settings)
    assert repo.utcnow() - rows.datetime.now(rows.UTC) > timedelta(minutes=4)  # this host runs 5 minutes fast
    assert _claim(settings, scan_id, "alive", lease=60)
    with session_scope(settings, write=False) as session:
        # A fast host sees nothing expired and cannot take the lease: expiry is the database's now().
        assert repo.expired_steps(session) == []
        assert repo.lease_is_live(session, scan_id, EVIDENCE)
    assert not _claim(settings, scan_id, "fast-host")


def test_evidence_and_crawl_page_inserts_skip_duplicates(database: Database) -> None:
    settings = storage_settings(database)
    scan_id = new_scan(settings)
    page = repo.CrawledPageRow(
        url="https://acme.example.com/", depth=0, page_class="home", status=200, outlinks=[]
    )
    with session_scope(settings) as session:
        assert repo.record_crawled_pages(session, scan_id, [page]) == 1
        assert len(repo.add_evidence(session, scan_id, [page_draft("a")])) == 1
    with session_scope(settings) as session:
        # The rows a pre-check would miss (a copy writing at the same moment) are skipped by the database.
        assert len(rows.insert_ignoring_duplicates(
            session, crawl_pages, [_page_row(scan_id)], returning=crawl_pages.c.url
        )) == 0  # fmt: skip
        assert repo.record_crawled_pages(session, scan_id, [page]) == 0
        assert repo.add_evidence(session, scan_id, [page_draft("a")]) == []
    with session_scope(settings, write=False) as session:
        assert repo.count_evidence(session, scan_id) == 1 and len(repo.crawled_pages(session, scan_id)) == 1


def _page_row(scan_id: str) -> dict[str, object]:
    return {
        "scan_id": scan_id,
        "url": "https://acme.example.com/",
        "depth": 0,
        "page_class": "home",
        "status": 200,
        "outlinks": [],
        "fetched_at": rows.utcnow(),
    }


def test_the_errback_fails_a_live_step_only_once_its_time_budget_is_spent(database: Database) -> None:
    from techscaniq import pipeline
    from techscaniq.errors import TechScanError

    settings = storage_settings(database)
    scan_id = new_scan(settings)
    assert _claim(settings, scan_id, "running")
    died = TechScanError("the evidence task failed in its worker", code="worker_failed")
    # The lease is live and the budget not spent: the holder (or the reaper after expiry) decides.
    assert not pipeline.fail_scan(
        settings, scan_id, EVIDENCE, died, only_unfinished=True, budget_seconds=3600
    )
    assert pipeline.fail_scan(settings, scan_id, EVIDENCE, died, only_unfinished=True, budget_seconds=0)
    with session_scope(settings, write=False) as session:
        assert repo.get_scan(session, scan_id).error_code == "worker_failed"
