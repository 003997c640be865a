"""Report versions and their citation rows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from techscaniq.domain import Citation, Report
from techscaniq.errors import NotFoundError
from techscaniq.storage.rows import _aware, utcnow
from techscaniq.storage.tables import citations, evidence_items, reports, scans


def _report_from_row(session: Session, row: Row[Any]) -> Report:
    cited = session.execute(
        select(citations).where(citations.c.report_id == row.id).order_by(citations.c.number, citations.c.id)
    ).all()
    return Report(
        id=row.id,
        scan_id=row.scan_id,
        version=row.version,
        content=row.content,
        writer=row.writer,
        created_at=_aware(row.created_at) or utcnow(),
        score=row.score,
        grade=row.grade,
        citations=[Citation(c.number, c.claim, c.section, c.evidence_id) for c in cited],
    )


def save_report(
    session: Session,
    scan_id: str,
    *,
    content: dict[str, Any],
    writer: str,
    score: int | None,
    grade: str | None,
    report_citations: Sequence[Citation],
) -> Report:
    """Store a new report version with its citation rows; every cited id must be evidence of the same scan."""
    cited_ids = {c.evidence_id for c in report_citations}
    if cited_ids:
        known = set(
            session.execute(
                select(evidence_items.c.id).where(
                    evidence_items.c.scan_id == scan_id, evidence_items.c.id.in_(cited_ids)
                )
            ).scalars()
        )
        unknown = cited_ids - known
        if unknown:
            raise ValueError(f"report cites evidence that is not this scan's: {sorted(unknown)[:5]}")
    version = (
        int(
            session.execute(
                select(func.coalesce(func.max(reports.c.version), 0)).where(reports.c.scan_id == scan_id)
            ).scalar_one()
        )
        + 1
    )
    report_id = str(uuid.uuid4())
    session.execute(
        insert(reports).values(
            id=report_id,
            scan_id=scan_id,
            version=version,
            content=content,
            writer=writer,
            score=score,
            grade=grade,
            created_at=utcnow(),
        )
    )
    for citation in report_citations:
        session.execute(
            insert(citations).values(
                report_id=report_id,
                number=citation.number,
                claim=citation.claim,
                section=citation.section,
                evidence_id=citation.evidence_id,
            )
        )
    return get_report(session, report_id)


def get_report(session: Session, report_id: str, *, org_id: str | None = None) -> Report:
    """A report by id; NotFoundError when unknown or another organisation's."""
    query = select(reports).where(reports.c.id == report_id)
    if org_id is not None:
        query = query.join(scans, scans.c.id == reports.c.scan_id).where(scans.c.org_id == org_id)
    row = session.execute(query).first()
    if row is None:
        raise NotFoundError(f"report {report_id} not found")
    return _report_from_row(session, row)


def latest_report(session: Session, scan_id: str) -> Report | None:
    """The newest report version of a scan, if any."""
    row = session.execute(
        select(reports).where(reports.c.scan_id == scan_id).order_by(reports.c.version.desc()).limit(1)
    ).first()
    return _report_from_row(session, row) if row else None


def latest_report_id(session: Session, scan_id: str) -> str | None:
    """The id of the newest report version of a scan (a cheap read for status polling)."""
    value = session.execute(
        select(reports.c.id).where(reports.c.scan_id == scan_id).order_by(reports.c.version.desc()).limit(1)
    ).scalar()
    return str(value) if value else None


def count_reports(session: Session, scan_id: str) -> int:
    """How many report versions a scan has."""
    return int(
        session.execute(
            select(func.count()).select_from(reports).where(reports.c.scan_id == scan_id)
        ).scalar_one()
    )
