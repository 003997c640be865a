"""Companies: the registrable domain an organisation scans, and which scans belong to it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from techscaniq.domain import Evidence, Report, ScanStatus
from techscaniq.errors import NotFoundError
from techscaniq.storage.tables import companies, company_scans, evidence_items, reports, scans
from techscaniq.workflow.domains import company_domain


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Company:
    """A company with the figures of its newest completed scan."""

    id: str
    org_id: str
    name: str
    domain: str
    created_at: datetime
    scans_count: int
    latest_scan_id: str | None
    latest_completed_at: datetime | None
    latest_score: int | None
    latest_grade: str | None


@dataclass(frozen=True)
class CompanyScan:
    """One scan of a company, with the score of its newest report version."""

    id: str
    status: str
    thesis: str
    thesis_name: str | None
    website_url: str
    created_at: datetime
    finished_at: datetime | None
    scheduled: bool
    report_id: str | None
    score: int | None
    grade: str | None


def _company_id_for(session: Session, org_id: str, domain: str, name: str) -> str:
    found = session.execute(
        select(companies.c.id).where(companies.c.org_id == org_id, companies.c.domain == domain)
    ).scalar()
    if found:
        return str(found)
    company_id = str(uuid.uuid4())
    try:
        with session.begin_nested():
            session.execute(
                insert(companies).values(
                    id=company_id, org_id=org_id, domain=domain, name=name[:300], created_at=_now()
                )
            )
    except IntegrityError:
        return str(
            session.execute(
                select(companies.c.id).where(companies.c.org_id == org_id, companies.c.domain == domain)
            ).scalar_one()
        )
    return company_id


def attach_scan(
    session: Session,
    *,
    scan_id: str,
    org_id: str,
    website_url: str,
    company_name: str,
    scheduled: bool = False,
) -> str:
    """Link a scan to its company (created when new, renamed after its newest scan); returns the company id."""
    company_id = _company_id_for(session, org_id, company_domain(website_url), company_name)
    session.execute(insert(company_scans).values(scan_id=scan_id, company_id=company_id, scheduled=scheduled))
    session.execute(update(companies).where(companies.c.id == company_id).values(name=company_name[:300]))
    return company_id


def mark_scheduled(session: Session, scan_id: str) -> bool:
    """Mark a linked scan as submitted by a schedule; False when the scan has no company row."""
    result = session.execute(
        update(company_scans).where(company_scans.c.scan_id == scan_id).values(scheduled=True)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def unlinked_scan_count(session: Session) -> int:
    """Scans no company holds yet (made by a path that does not attach them)."""
    linked = select(company_scans.c.scan_id).where(company_scans.c.scan_id == scans.c.id)
    return int(session.execute(select(func.count()).select_from(scans).where(~linked.exists())).scalar_one())


def attach_unlinked_scans(session: Session) -> int:
    """Give every scan without a company its company, oldest first; returns how many were linked."""
    linked = select(company_scans.c.scan_id).where(company_scans.c.scan_id == scans.c.id)
    rows = session.execute(
        select(scans.c.id, scans.c.org_id, scans.c.website_url, scans.c.company_name)
        .where(~linked.exists())
        .order_by(scans.c.created_at, scans.c.id)
    ).all()
    for row in rows:
        try:
            with session.begin_nested():
                attach_scan(
                    session,
                    scan_id=row.id,
                    org_id=row.org_id,
                    website_url=row.website_url,
                    company_name=row.company_name,
                )
        except IntegrityError:
            continue  # another process linked it first
    return len(rows)


def company_id_of_scan(session: Session, scan_id: str) -> str | None:
    """The company a scan belongs to, if linked."""
    value = session.execute(
        select(company_scans.c.company_id).where(company_scans.c.scan_id == scan_id)
    ).scalar()
    return str(value) if value else None


def scan_was_scheduled(session: Session, scan_id: str) -> bool:
    """Whether a schedule (not a person) submitted this scan."""
    return bool(
        session.execute(select(company_scans.c.scheduled).where(company_scans.c.scan_id == scan_id)).scalar()
    )


def _latest_report_row(session: Session, scan_id: str) -> Any:
    return session.execute(
        select(reports.c.id, reports.c.score, reports.c.grade)
        .where(reports.c.scan_id == scan_id)
        .order_by(reports.c.version.desc())
        .limit(1)
    ).first()


def _company(session: Session, row: Any) -> Company:
    count = int(
        session.execute(
            select(func.count()).select_from(company_scans).where(company_scans.c.company_id == row.id)
        ).scalar_one()
    )
    latest = session.execute(
        select(scans.c.id, scans.c.finished_at)
        .join(company_scans, company_scans.c.scan_id == scans.c.id)
        .where(company_scans.c.company_id == row.id, scans.c.status == ScanStatus.COMPLETED)
        .order_by(scans.c.created_at.desc(), scans.c.id.desc())
        .limit(1)
    ).first()
    report = _latest_report_row(session, latest.id) if latest else None
    return Company(
        id=row.id,
        org_id=row.org_id,
        name=row.name,
        domain=row.domain,
        created_at=_aware(row.created_at) or _now(),
        scans_count=count,
        latest_scan_id=latest.id if latest else None,
        latest_completed_at=_aware(latest.finished_at) if latest else None,
        latest_score=report.score if report else None,
        latest_grade=report.grade if report else None,
    )


def list_companies(
    session: Session, *, org_id: str | None, page: int, per_page: int, search: str | None = None
) -> tuple[list[Company], int]:
    """A page of companies by name, and the total."""
    conditions = []
    if org_id is not None:
        conditions.append(companies.c.org_id == org_id)
    if search:
        pattern = f"%{search.lower()}%"
        conditions.append(or_(func.lower(companies.c.name).like(pattern), companies.c.domain.like(pattern)))
    where = and_(*conditions) if conditions else and_(True)
    total = int(session.execute(select(func.count()).select_from(companies).where(where)).scalar_one())
    rows = session.execute(
        select(companies)
        .where(where)
        .order_by(func.lower(companies.c.name), companies.c.domain, companies.c.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return [_company(session, row) for row in rows], total


def get_company(session: Session, company_id: str, *, org_id: str | None) -> Company:
    """A company; NotFoundError when unknown or another organisation's."""
    query = select(companies).where(companies.c.id == company_id)
    if org_id is not None:
        query = query.where(companies.c.org_id == org_id)
    row = session.execute(query).first()
    if row is None:
        raise NotFoundError(f"company {company_id} not found")
    return _company(session, row)


def company_scans_newest_first(session: Session, company_id: str) -> list[CompanyScan]:
    """Every scan of a company, newest first, with its newest report's score."""
    rows = session.execute(
        select(scans, company_scans.c.scheduled)
        .join(company_scans, company_scans.c.scan_id == scans.c.id)
        .where(company_scans.c.company_id == company_id)
        .order_by(scans.c.created_at.desc(), scans.c.id.desc())
    ).all()
    out = []
    for row in rows:
        report = _latest_report_row(session, row.id)
        out.append(
            CompanyScan(
                id=row.id,
                status=row.status,
                thesis=row.primary_criteria,
                thesis_name=(row.thesis or {}).get("name"),
                website_url=row.website_url,
                created_at=_aware(row.created_at) or _now(),
                finished_at=_aware(row.finished_at),
                scheduled=bool(row.scheduled),
                report_id=report.id if report else None,
                score=report.score if report else None,
                grade=report.grade if report else None,
            )
        )
    return out


def previous_completed_scan_id(session: Session, scan_id: str) -> str | None:
    """The newest completed scan of the same company created before this one."""
    this = session.execute(
        select(scans.c.created_at, company_scans.c.company_id)
        .join(company_scans, company_scans.c.scan_id == scans.c.id)
        .where(scans.c.id == scan_id)
    ).first()
    if this is None:
        return None
    value = session.execute(
        select(scans.c.id)
        .join(company_scans, company_scans.c.scan_id == scans.c.id)
        .where(
            company_scans.c.company_id == this.company_id,
            scans.c.status == ScanStatus.COMPLETED,
            scans.c.id != scan_id,
            or_(
                scans.c.created_at < this.created_at,
                and_(scans.c.created_at == this.created_at, scans.c.id < scan_id),
            ),
        )
        .order_by(scans.c.created_at.desc(), scans.c.id.desc())
        .limit(1)
    ).scalar()
    return str(value) if value else None


def evidence_of_types(session: Session, scan_id: str, types: tuple[str, ...]) -> list[Evidence]:
    """A scan's evidence items of these types only (what a diff or a comparison reads)."""
    rows = session.execute(
        select(
            evidence_items.c.id, evidence_items.c.type, evidence_items.c.title, evidence_items.c.data,
            evidence_items.c.source_url, evidence_items.c.collected_at,
        )
        .where(evidence_items.c.scan_id == scan_id, evidence_items.c.type.in_(types))
        .order_by(evidence_items.c.type, evidence_items.c.dedup_key)
    ).all()  # fmt: skip
    return [
        Evidence(
            id=row.id, scan_id=scan_id, type=row.type, category="", title=row.title, summary="", data=row.data,
            source_url=row.source_url, collector="", confidence=1.0, dedup_key="",
            collected_at=_aware(row.collected_at) or _now(),
        )
        for row in rows
    ]  # fmt: skip


def latest_report_content(session: Session, scan_id: str) -> Report | None:
    """The newest report version without its citation rows (a diff reads scores, findings and risks only)."""
    row = session.execute(
        select(reports).where(reports.c.scan_id == scan_id).order_by(reports.c.version.desc()).limit(1)
    ).first()
    if row is None:
        return None
    return Report(
        id=row.id, scan_id=row.scan_id, version=row.version, content=row.content, writer=row.writer,
        created_at=_aware(row.created_at) or _now(), score=row.score, grade=row.grade,
    )  # fmt: skip
