"""Scans, evidence and reports written straight through the repository, in the finished states tests start from."""

from __future__ import annotations

import uuid

from techscaniq.config import Settings
from techscaniq.domain import (
    EventKind,
    Evidence,
    EvidenceCategory,
    EvidenceDraft,
    EvidenceType,
    ScanStatus,
    StepName,
    StepStatus,
)
from techscaniq.report.writer import write_report
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from tests.support.report_samples import sample_evidence, sample_scan


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
        repo.add_evidence(
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
    with session_scope(settings, write=False) as session:
        written = write_report(repo.get_scan(session, scan_id), repo.all_evidence(session, scan_id))
    with session_scope(settings) as session:
        # The report model the views read: a hand-made content dict would not validate.
        report = repo.save_report(
            session,
            scan_id,
            content=written.content,
            writer=written.writer,
            score=written.score,
            grade=written.grade,
            report_citations=written.citations,
        )
        repo.append_event(session, scan_id, EventKind.DONE, "done")
        for step in StepName:
            repo.finish_step(session, scan_id, step, StepStatus.COMPLETED)
        repo.set_scan_status(session, scan_id, status)
    return {"scan_id": scan_id, "report_id": report.id, "org_id": org_id}


def as_evidence_draft(item: Evidence) -> EvidenceDraft:
    """A stored (or sample) evidence item as the draft the repository takes."""
    return EvidenceDraft(
        type=EvidenceType(item.type),
        category=EvidenceCategory(item.category),
        title=item.title,
        summary=item.summary,
        data=item.data,
        source_url=item.source_url,
        collector=item.collector,
        confidence=item.confidence,
        dedup_key=item.dedup_key,
    )


def stored_report(settings: Settings, org: str, company: str) -> str:
    """A report written from 60 sample evidence items for a scan of `company` in `org`, stored; its id."""
    scan = sample_scan(company=company)
    with session_scope(settings) as session:
        org_id = repo.get_or_create_org(session, org)
        scan_id = str(uuid.uuid4())
        repo.create_scan(
            session,
            scan_id=scan_id,
            org_id=org_id,
            created_by_key_id=None,
            company_name=company,
            website_url=scan.website_url,
            primary_criteria=scan.primary_criteria,
            thesis=scan.thesis,
            thesis_tags=scan.thesis_tags,
            requestor_name=None,
            organization_name=org,
            company_description=None,
            metadata={},
            task_ids={step: f"{scan_id}.{step}.1" for step in StepName},
        )
        repo.add_evidence(session, scan_id, [as_evidence_draft(e) for e in sample_evidence(60)])
    with session_scope(settings, write=False) as session:
        stored_scan = repo.get_scan(session, scan_id)
        evidence = repo.all_evidence(session, scan_id)
    written = write_report(stored_scan, evidence)
    with session_scope(settings) as session:
        report = repo.save_report(
            session,
            scan_id,
            content=written.content,
            writer=written.writer,
            score=written.score,
            grade=written.grade,
            report_citations=written.citations,
        )
    return report.id
