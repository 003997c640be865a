"""Scans: create, read, list, status, cancel flag and delete."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from techscaniq.domain import Report, Scan, ScanStatus, StepName, StepStatus
from techscaniq.errors import ConflictError, NotFoundError
from techscaniq.storage.reports import latest_report
from techscaniq.storage.rows import _aware, _step_from_row, db_now, utcnow
from techscaniq.storage.tables import (
    citations,
    crawl_pages,
    crawl_state,
    evidence_items,
    reports,
    scan_events,
    scan_steps,
    scans,
)


def _scan_from_row(row: Row[Any], steps: Iterable[Row[Any]]) -> Scan:
    return Scan(
        id=row.id,
        org_id=row.org_id,
        company_name=row.company_name,
        website_url=row.website_url,
        primary_criteria=row.primary_criteria,
        thesis=row.thesis,
        thesis_tags=list(row.thesis_tags or []),
        requestor_name=row.requestor_name,
        organization_name=row.organization_name,
        company_description=row.company_description,
        metadata=row.metadata or {},
        status=ScanStatus(row.status),
        error_code=row.error_code,
        error_message=row.error_message,
        cancel_requested_at=_aware(row.cancel_requested_at),
        created_at=_aware(row.created_at) or utcnow(),
        updated_at=_aware(row.updated_at) or utcnow(),
        finished_at=_aware(row.finished_at),
        created_by_key_id=row.created_by_key_id,
        steps={StepName(step.name): _step_from_row(step) for step in steps},
        callback_url=row.callback_url,
    )


def create_scan(
    session: Session,
    *,
    scan_id: str,
    org_id: str,
    created_by_key_id: str | None,
    company_name: str,
    website_url: str,
    primary_criteria: str,
    thesis: dict[str, Any],
    thesis_tags: Sequence[str],
    requestor_name: str | None,
    organization_name: str | None,
    company_description: str | None,
    metadata: dict[str, Any],
    task_ids: dict[StepName, str],
    callback_url: str | None = None,
) -> Scan:
    """Insert a pending scan with its steps waiting and their task ids frozen."""
    now = utcnow()
    session.execute(
        insert(scans).values(
            id=scan_id,
            org_id=org_id,
            created_by_key_id=created_by_key_id,
            company_name=company_name,
            website_url=website_url,
            primary_criteria=primary_criteria,
            thesis=thesis,
            thesis_tags=list(thesis_tags),
            requestor_name=requestor_name,
            organization_name=organization_name,
            company_description=company_description,
            metadata=metadata,
            callback_url=callback_url,
            status=ScanStatus.PENDING,
            last_event_seq=0,
            created_at=now,
            updated_at=now,
        )
    )
    for step in StepName:
        session.execute(
            insert(scan_steps).values(
                scan_id=scan_id,
                name=step,
                status=StepStatus.WAITING,
                task_id=task_ids[step],
                progress=0,
                items_collected=0,
                attempt=1,
                deliveries=0,
                updated_at=db_now(),
            )
        )
    return get_scan(session, scan_id)


def get_scan(session: Session, scan_id: str, *, org_id: str | None = None) -> Scan:
    """The scan with its steps; NotFoundError when unknown or owned by another organisation."""
    query = select(scans).where(scans.c.id == scan_id)
    if org_id is not None:
        query = query.where(scans.c.org_id == org_id)
    row = session.execute(query).first()
    if row is None:
        raise NotFoundError(f"scan {scan_id} not found")
    steps = session.execute(select(scan_steps).where(scan_steps.c.scan_id == scan_id)).all()
    return _scan_from_row(row, steps)


def list_scans(
    session: Session,
    *,
    org_id: str | None,
    page: int,
    per_page: int,
    status: str | None = None,
    search: str | None = None,
) -> tuple[list[tuple[Scan, Report | None]], int]:
    """A page of scans, newest first, each with its latest report (if any), and the total count."""
    conditions = []
    if org_id is not None:
        conditions.append(scans.c.org_id == org_id)
    if status:
        conditions.append(scans.c.status == status)
    if search:
        pattern = f"%{search.lower()}%"
        conditions.append(
            or_(func.lower(scans.c.company_name).like(pattern), func.lower(scans.c.website_url).like(pattern))
        )
    where = and_(*conditions) if conditions else None
    count_query = select(func.count()).select_from(scans)
    page_query = select(scans).order_by(scans.c.created_at.desc(), scans.c.id)
    if where is not None:
        count_query = count_query.where(where)
        page_query = page_query.where(where)
    total = int(session.execute(count_query).scalar_one())
    rows = session.execute(page_query.limit(per_page).offset((page - 1) * per_page)).all()
    ids = [row.id for row in rows]
    steps_by_scan: dict[str, list[Row[Any]]] = {scan_id: [] for scan_id in ids}
    if ids:
        for step in session.execute(select(scan_steps).where(scan_steps.c.scan_id.in_(ids))):
            steps_by_scan[step.scan_id].append(step)
    return [
        (_scan_from_row(row, steps_by_scan[row.id]), latest_report(session, row.id)) for row in rows
    ], total


def set_scan_status(
    session: Session,
    scan_id: str,
    status: ScanStatus,
    *,
    error_code: str | None = None,
    error_message: str | None = None,
) -> None:
    """Move a scan to a status; final statuses record the finish time and never move again."""
    now = utcnow()
    values: dict[str, Any] = {"status": status, "updated_at": now}
    if status.is_final:
        values["finished_at"] = now
    if error_code is not None:
        values["error_code"] = error_code
        values["error_message"] = error_message
    final = [str(s) for s in ScanStatus if s.is_final]
    session.execute(update(scans).where(scans.c.id == scan_id, scans.c.status.not_in(final)).values(**values))


def reopen_scan(session: Session, scan_id: str) -> None:
    """Put a finished scan back to pending for a retry, clearing its error and cancel flag."""
    session.execute(
        update(scans)
        .where(scans.c.id == scan_id)
        .values(
            status=ScanStatus.PENDING,
            error_code=None,
            error_message=None,
            cancel_requested_at=None,
            finished_at=None,
            updated_at=utcnow(),
        )
    )


def request_cancel(session: Session, scan_id: str, *, org_id: str | None) -> Scan:
    """Set the cancel flag of a running scan; ConflictError when it has already finished."""
    scan = get_scan(session, scan_id, org_id=org_id)
    if scan.status.is_final:
        raise ConflictError(f"scan {scan_id} is already {scan.status}", code="scan_not_running")
    session.execute(
        update(scans)
        .where(scans.c.id == scan_id, scans.c.cancel_requested_at.is_(None))
        .values(cancel_requested_at=utcnow(), updated_at=utcnow())
    )
    return get_scan(session, scan_id)


def cancel_requested(session: Session, scan_id: str) -> bool:
    """True when someone asked to cancel this scan."""
    value = session.execute(select(scans.c.cancel_requested_at).where(scans.c.id == scan_id)).scalar()
    return value is not None


def delete_scan(session: Session, scan_id: str, *, org_id: str | None) -> None:
    """Remove a scan with its steps, evidence, reports, citations and events."""
    get_scan(session, scan_id, org_id=org_id)
    report_ids = select(reports.c.id).where(reports.c.scan_id == scan_id)
    session.execute(delete(citations).where(citations.c.report_id.in_(report_ids)))
    session.execute(delete(reports).where(reports.c.scan_id == scan_id))
    session.execute(delete(evidence_items).where(evidence_items.c.scan_id == scan_id))
    session.execute(delete(scan_events).where(scan_events.c.scan_id == scan_id))
    session.execute(delete(scan_steps).where(scan_steps.c.scan_id == scan_id))
    session.execute(delete(crawl_state).where(crawl_state.c.scan_id == scan_id))
    session.execute(delete(crawl_pages).where(crawl_pages.c.scan_id == scan_id))
    session.execute(delete(scans).where(scans.c.id == scan_id))
