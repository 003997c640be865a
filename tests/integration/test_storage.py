"""Storage on SQLite and PostgreSQL through the same repository functions and migrations."""

from __future__ import annotations

import multiprocessing
import uuid

import pytest

from techscaniq.config import Settings
from techscaniq.domain import (
    Citation,
    EventKind,
    EvidenceCategory,
    EvidenceDraft,
    EvidenceType,
    StepName,
    StepStatus,
)
from techscaniq.errors import ConflictError, NotFoundError
from techscaniq.storage import repo
from techscaniq.storage.db import migrate, session_scope
from tests.support.databases import Database, settings_for


def _settings(database: Database) -> Settings:
    return settings_for(database)


def _new_scan(settings: Settings, org: str = "Org A") -> str:
    scan_id = str(uuid.uuid4())
    with session_scope(settings) as session:
        org_id = repo.get_or_create_org(session, org)
        repo.create_scan(
            session,
            scan_id=scan_id,
            org_id=org_id,
            created_by_key_id=None,
            company_name="Acme",
            website_url="https://acme.example.com/",
            primary_criteria="digital-transformation",
            thesis={"slug": "digital-transformation"},
            thesis_tags=["api-driven"],
            requestor_name=None,
            organization_name=org,
            company_description=None,
            metadata={},
            task_ids={step: f"{scan_id}.{step}.1" for step in StepName},
        )
    return scan_id


def _draft(key: str) -> EvidenceDraft:
    return EvidenceDraft(
        type=EvidenceType.PAGE,
        category=EvidenceCategory.PAGES,
        title=f"page {key}",
        summary="s",
        data={"k": key},
        source_url=f"https://acme.example.com/{key}",
        collector="test",
        confidence=0.9,
        dedup_key=key,
    )


def test_migrate_is_idempotent(database: Database) -> None:
    settings = _settings(database)
    first = migrate(settings)
    assert migrate(settings) == first != ""


def test_scan_round_trip_with_steps_and_frozen_task_ids(database: Database) -> None:
    settings = _settings(database)
    scan_id = _new_scan(settings)
    with session_scope(settings, write=False) as session:
        scan = repo.get_scan(session, scan_id)
    assert scan.status == "pending"
    assert scan.steps[StepName.EVIDENCE].task_id == f"{scan_id}.evidence.1"
    assert scan.steps[StepName.REPORT].status == StepStatus.WAITING


def test_other_organisation_cannot_see_a_scan(database: Database) -> None:
    settings = _settings(database)
    scan_id = _new_scan(settings, "Org A")
    with session_scope(settings) as session:
        other = repo.get_or_create_org(session, "Org B")
        with pytest.raises(NotFoundError):
            repo.get_scan(session, scan_id, org_id=other)
        rows, total = repo.list_scans(session, org_id=other, page=1, per_page=10)
    assert (rows, total) == ([], 0)


def test_evidence_is_deduplicated_per_scan(database: Database) -> None:
    settings = _settings(database)
    scan_id = _new_scan(settings)
    with session_scope(settings) as session:
        first = repo.add_evidence(session, scan_id, [_draft("a"), _draft("b"), _draft("a")])
    with session_scope(settings) as session:
        again = repo.add_evidence(session, scan_id, [_draft("a"), _draft("c")])
        assert repo.count_evidence(session, scan_id) == 3
    assert [item.dedup_key for item in first] == ["a", "b"]
    assert [item.dedup_key for item in again] == ["c"]


def test_event_sequence_is_allocated_in_the_transaction(database: Database) -> None:
    settings = _settings(database)
    scan_id = _new_scan(settings)
    with session_scope(settings) as session:
        seqs = [
            repo.append_event(session, scan_id, EventKind.PROGRESS, f"e{i}", progress=i) for i in range(5)
        ]
    with session_scope(settings, write=False) as session:
        events = repo.list_events(session, scan_id, after_seq=2)
    assert seqs == [1, 2, 3, 4, 5]
    assert [event.seq for event in events] == [3, 4, 5]


def test_step_lease_is_taken_once(database: Database) -> None:
    settings = _settings(database)
    scan_id = _new_scan(settings)
    with session_scope(settings) as session:
        first = repo.claim_step(session, scan_id, StepName.EVIDENCE, owner="w1", lease_seconds=60)
        second = repo.claim_step(session, scan_id, StepName.EVIDENCE, owner="w2", lease_seconds=60)
        assert repo.renew_lease(session, scan_id, StepName.EVIDENCE, owner="w1", lease_seconds=60)
        assert not repo.renew_lease(session, scan_id, StepName.EVIDENCE, owner="w2", lease_seconds=60)
    assert first is not None and first.deliveries == 1
    assert second is None


def test_an_expired_lease_can_be_taken_over(database: Database) -> None:
    settings = _settings(database)
    scan_id = _new_scan(settings)
    with session_scope(settings) as session:
        repo.claim_step(session, scan_id, StepName.EVIDENCE, owner="dead", lease_seconds=-1)
        assert [s for s, _, _ in repo.expired_steps(session)] == [scan_id]
        assert repo.requeue_expired_step(session, scan_id, StepName.EVIDENCE, task_id="new")
        assert not repo.requeue_expired_step(session, scan_id, StepName.EVIDENCE, task_id="newer")
        taken = repo.claim_step(session, scan_id, StepName.EVIDENCE, owner="alive", lease_seconds=60)
    assert taken is not None and taken.deliveries == 2 and taken.task_id == "new"


def test_report_citations_must_point_at_the_same_scan(database: Database) -> None:
    settings = _settings(database)
    scan_a, scan_b = _new_scan(settings), _new_scan(settings)
    with session_scope(settings) as session:
        (item_a,) = repo.add_evidence(session, scan_a, [_draft("a")])
        (item_b,) = repo.add_evidence(session, scan_b, [_draft("b")])
    with session_scope(settings) as session:
        report = repo.save_report(
            session, scan_a, content={"x": 1}, writer="t", score=None, grade=None,
            report_citations=[Citation(1, "claim", "s", item_a.id)],
        )  # fmt: skip
    assert report.version == 1 and report.citations[0].evidence_id == item_a.id
    with pytest.raises(ValueError, match="not this scan"), session_scope(settings) as session:
        repo.save_report(
            session, scan_a, content={}, writer="t", score=None, grade=None,
            report_citations=[Citation(1, "claim", "s", item_b.id)],
        )  # fmt: skip
    with session_scope(settings, write=False) as session:
        assert repo.count_reports(session, scan_a) == 1


def test_cancel_of_a_finished_scan_is_a_conflict(database: Database) -> None:
    settings = _settings(database)
    scan_id = _new_scan(settings)
    with session_scope(settings) as session:
        from techscaniq.domain import ScanStatus

        repo.set_scan_status(session, scan_id, ScanStatus.COMPLETED)
    with pytest.raises(ConflictError) as caught, session_scope(settings) as session:
        repo.request_cancel(session, scan_id, org_id=None)
    assert caught.value.code == "scan_not_running"


def _write_many(url: str, schema: str, scan_id: str, worker: int, count: int) -> None:
    from techscaniq.storage.db import dispose_engines

    dispose_engines()
    settings = Settings.from_env({"DATABASE_URL": url, "TECHSCANIQ_DB_SCHEMA": schema})
    for index in range(count):
        with session_scope(settings) as session:
            repo.add_evidence(session, scan_id, [_draft(f"w{worker}-{index}")])
            repo.append_event(session, scan_id, EventKind.EVIDENCE, f"w{worker}-{index}")
            repo.update_step_progress(
                session, scan_id, StepName.EVIDENCE, progress=index, items_collected=index
            )


def test_several_processes_write_the_same_scan_at_once(database: Database) -> None:
    settings = _settings(database)
    scan_id = _new_scan(settings)
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_write_many, args=(database.url, database.schema, scan_id, worker, 40))
        for worker in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    with session_scope(settings, write=False) as session:
        assert repo.count_evidence(session, scan_id) == 160
        events = repo.list_events(session, scan_id, limit=1000)
    assert [event.seq for event in events] == list(range(1, 161))
