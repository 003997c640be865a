"""Repository functions: each takes a Session and returns domain objects. The only SQL in the project."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from techscaniq.domain import (
    ApiKey,
    Citation,
    EventKind,
    Evidence,
    EvidenceDraft,
    Report,
    Scan,
    ScanEvent,
    ScanStatus,
    Step,
    StepName,
    StepStatus,
)
from techscaniq.errors import ConflictError, NotFoundError
from techscaniq.storage.tables import (
    api_keys,
    citations,
    crawl_pages,
    crawl_state,
    evidence_items,
    organizations,
    reports,
    scan_events,
    scan_steps,
    scans,
)

API_KEY_PREFIX = "tsq_"
DEFAULT_ORG_NAME = "default"


def utcnow() -> datetime:
    """The current time in UTC (timezone-aware)."""
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- organisations and keys -------------------------------------------------------------------------------


def get_or_create_org(session: Session, name: str) -> str:
    """The id of the organisation with this name, created if new."""
    found = session.execute(select(organizations.c.id).where(organizations.c.name == name)).scalar()
    if found:
        return str(found)
    org_id = str(uuid.uuid4())
    try:
        with session.begin_nested():
            session.execute(insert(organizations).values(id=org_id, name=name, created_at=utcnow()))
    except IntegrityError:
        return str(
            session.execute(select(organizations.c.id).where(organizations.c.name == name)).scalar_one()
        )
    return org_id


def _key_from_row(row: Row[Any]) -> ApiKey:
    return ApiKey(
        id=row.id,
        org_id=row.org_id,
        org_name=row.org_name,
        label=row.label,
        is_admin=bool(row.is_admin),
        prefix=row.prefix,
        created_at=_aware(row.created_at) or utcnow(),
        revoked_at=_aware(row.revoked_at),
    )


def _key_query() -> Any:
    return select(
        api_keys.c.id,
        api_keys.c.org_id,
        organizations.c.name.label("org_name"),
        api_keys.c.label,
        api_keys.c.is_admin,
        api_keys.c.prefix,
        api_keys.c.created_at,
        api_keys.c.revoked_at,
    ).join(organizations, organizations.c.id == api_keys.c.org_id)


def create_api_key(
    session: Session, org_name: str, *, label: str | None, is_admin: bool
) -> tuple[ApiKey, str]:
    """Create a key for an organisation; returns the stored key and the secret (shown once, stored hashed)."""
    org_id = get_or_create_org(session, org_name)
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key_id = str(uuid.uuid4())
    session.execute(
        insert(api_keys).values(
            id=key_id,
            org_id=org_id,
            label=label,
            is_admin=is_admin,
            prefix=secret[:12],
            key_hash=_hash_key(secret),
            created_at=utcnow(),
        )
    )
    row = session.execute(_key_query().where(api_keys.c.id == key_id)).one()
    return _key_from_row(row), secret


def find_api_key(session: Session, secret: str) -> ApiKey | None:
    """The live (not revoked) key with this secret, if any."""
    row = session.execute(
        _key_query().where(api_keys.c.key_hash == _hash_key(secret), api_keys.c.revoked_at.is_(None))
    ).first()
    return _key_from_row(row) if row else None


def list_api_keys(session: Session) -> list[ApiKey]:
    """Every key, oldest first."""
    return [_key_from_row(row) for row in session.execute(_key_query().order_by(api_keys.c.created_at))]


def revoke_api_key(session: Session, key_id_or_prefix: str) -> ApiKey:
    """Revoke a key by id or by its shown prefix."""
    row = session.execute(
        _key_query().where(or_(api_keys.c.id == key_id_or_prefix, api_keys.c.prefix == key_id_or_prefix))
    ).first()
    if row is None:
        raise NotFoundError(f"no API key {key_id_or_prefix!r}")
    session.execute(update(api_keys).where(api_keys.c.id == row.id).values(revoked_at=utcnow()))
    return _key_from_row(session.execute(_key_query().where(api_keys.c.id == row.id)).one())


def count_admin_keys(session: Session) -> int:
    """How many live admin keys exist (the first run creates one)."""
    return int(
        session.execute(
            select(func.count())
            .select_from(api_keys)
            .where(api_keys.c.is_admin, api_keys.c.revoked_at.is_(None))
        ).scalar_one()
    )


# --- scans and steps --------------------------------------------------------------------------------------


def _step_from_row(row: Row[Any]) -> Step:
    return Step(
        name=StepName(row.name),
        status=StepStatus(row.status),
        task_id=row.task_id,
        progress=row.progress,
        items_collected=row.items_collected,
        pages_fetched=row.pages_fetched,
        attempt=row.attempt,
        deliveries=row.deliveries,
        owner=row.owner,
        lease_expires_at=_aware(row.lease_expires_at),
        started_at=_aware(row.started_at),
        finished_at=_aware(row.finished_at),
        error_code=row.error_code,
        error_message=row.error_message,
        phase=row.phase,
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
                updated_at=now,
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


def get_step(session: Session, scan_id: str, step: StepName) -> Step:
    """One step of a scan."""
    row = session.execute(
        select(scan_steps).where(scan_steps.c.scan_id == scan_id, scan_steps.c.name == step)
    ).first()
    if row is None:
        raise NotFoundError(f"scan {scan_id} has no step {step}")
    return _step_from_row(row)


def claim_step(
    session: Session, scan_id: str, step: StepName, *, owner: str, lease_seconds: int
) -> Step | None:
    """Take the step's lease in one conditional UPDATE; None when another live owner holds it or it is final."""
    now = utcnow()
    claimable = or_(
        scan_steps.c.status == StepStatus.WAITING,
        and_(
            scan_steps.c.status == StepStatus.ACTIVE,
            or_(
                scan_steps.c.lease_expires_at.is_(None),
                scan_steps.c.lease_expires_at < now,
                # A retry of the same task id (its lease could not be released while the database was down);
                # owners end with the task id, and the retry may run in another process.
                scan_steps.c.owner.endswith(":" + owner.rsplit(":", 1)[-1], autoescape=True),
            ),
        ),
    )
    result = session.execute(
        update(scan_steps)
        .where(scan_steps.c.scan_id == scan_id, scan_steps.c.name == step, claimable)
        .values(
            status=StepStatus.ACTIVE,
            owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            deliveries=scan_steps.c.deliveries + 1,
            started_at=func.coalesce(scan_steps.c.started_at, now),
            updated_at=now,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return get_step(session, scan_id, step)


def renew_lease(session: Session, scan_id: str, step: StepName, *, owner: str, lease_seconds: int) -> bool:
    """Extend the lease if this owner still holds it; False means another copy took over."""
    now = utcnow()
    result = session.execute(
        update(scan_steps)
        .where(
            scan_steps.c.scan_id == scan_id,
            scan_steps.c.name == step,
            scan_steps.c.owner == owner,
            scan_steps.c.status == StepStatus.ACTIVE,
        )
        .values(lease_expires_at=now + timedelta(seconds=lease_seconds), updated_at=now)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def update_step_progress(
    session: Session,
    scan_id: str,
    step: StepName,
    *,
    progress: int,
    items_collected: int | None = None,
    phase: str | None = None,
    pages_fetched: int | None = None,
) -> None:
    """Record progress; never lets the percentage go backwards."""
    values: dict[str, Any] = {
        "progress": func.max(scan_steps.c.progress, progress)
        if session.get_bind().dialect.name == "sqlite"
        else func.greatest(scan_steps.c.progress, progress),
        "updated_at": utcnow(),
    }
    if items_collected is not None:
        values["items_collected"] = items_collected
    if phase is not None:
        values["phase"] = phase
    if pages_fetched is not None:
        values["pages_fetched"] = pages_fetched
    session.execute(
        update(scan_steps).where(scan_steps.c.scan_id == scan_id, scan_steps.c.name == step).values(**values)
    )


def finish_step(
    session: Session,
    scan_id: str,
    step: StepName,
    status: StepStatus,
    *,
    error_code: str | None = None,
    error_message: str | None = None,
    only_if_not_final: bool = True,
) -> bool:
    """Move a step to a final status and drop its lease; returns False if it was already final."""
    now = utcnow()
    values: dict[str, Any] = {
        "status": status,
        "finished_at": now,
        "lease_expires_at": None,
        "owner": None,
        "updated_at": now,
        "error_code": error_code,
        "error_message": error_message,
    }
    if status == StepStatus.COMPLETED:
        values["progress"] = 100
    query = update(scan_steps).where(scan_steps.c.scan_id == scan_id, scan_steps.c.name == step)
    if only_if_not_final:
        query = query.where(scan_steps.c.status.in_([StepStatus.WAITING, StepStatus.ACTIVE]))
    return bool(session.execute(query.values(**values)).rowcount == 1)  # type: ignore[attr-defined]


def release_step(session: Session, scan_id: str, step: StepName) -> None:
    """Drop the lease of an active step (a clean hand-back before a retry) and restart its crash count."""
    session.execute(
        update(scan_steps)
        .where(
            scan_steps.c.scan_id == scan_id,
            scan_steps.c.name == step,
            scan_steps.c.status == StepStatus.ACTIVE,
        )
        .values(owner=None, lease_expires_at=None, deliveries=0, updated_at=utcnow())
    )


def fail_step_and_scan(
    session: Session,
    scan_id: str,
    step: StepName,
    code: str,
    message: str,
    *,
    later_steps: Sequence[StepName],
) -> None:
    """In one transaction: the step failed, the later steps skipped, the scan failed, and a done event."""
    finish_step(session, scan_id, step, StepStatus.FAILED, error_code=code, error_message=message)
    for later in later_steps:
        finish_step(session, scan_id, later, StepStatus.SKIPPED, error_code="previous_step_failed")
    set_scan_status(session, scan_id, ScanStatus.FAILED, error_code=code, error_message=message)
    append_event(
        session,
        scan_id,
        EventKind.DONE,
        f"{step} failed: {message}",
        step=step,
        data={"status": ScanStatus.FAILED, "code": code, "message": message},
    )


def reset_step(session: Session, scan_id: str, step: StepName, *, task_id: str) -> None:
    """Put a step back to waiting with a new task id and a fresh attempt (retry requests)."""
    session.execute(
        update(scan_steps)
        .where(scan_steps.c.scan_id == scan_id, scan_steps.c.name == step)
        .values(
            status=StepStatus.WAITING,
            task_id=task_id,
            progress=0,
            phase=None,
            attempt=scan_steps.c.attempt + 1,
            deliveries=0,
            owner=None,
            lease_expires_at=None,
            started_at=None,
            finished_at=None,
            error_code=None,
            error_message=None,
            updated_at=utcnow(),
        )
    )


def requeue_expired_step(session: Session, scan_id: str, step: StepName, *, task_id: str) -> bool:
    """Put a step whose lease expired back to waiting under a new task id; only one caller wins."""
    now = utcnow()
    result = session.execute(
        update(scan_steps)
        .where(
            scan_steps.c.scan_id == scan_id,
            scan_steps.c.name == step,
            scan_steps.c.status == StepStatus.ACTIVE,
            scan_steps.c.lease_expires_at < now,
        )
        .values(status=StepStatus.WAITING, task_id=task_id, owner=None, lease_expires_at=None, updated_at=now)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def expired_steps(session: Session, *, now: datetime | None = None) -> list[tuple[str, StepName, Step]]:
    """Active steps whose lease ran out: their worker is presumed dead."""
    now = now or utcnow()
    rows = session.execute(
        select(scan_steps).where(
            scan_steps.c.status == StepStatus.ACTIVE,
            scan_steps.c.lease_expires_at.is_not(None),
            scan_steps.c.lease_expires_at < now,
        )
    ).all()
    return [(row.scan_id, StepName(row.name), _step_from_row(row)) for row in rows]


# --- evidence ---------------------------------------------------------------------------------------------


def _evidence_from_row(row: Row[Any]) -> Evidence:
    return Evidence(
        id=row.id,
        scan_id=row.scan_id,
        type=row.type,
        category=row.category,
        title=row.title,
        summary=row.summary,
        data=row.data or {},
        source_url=row.source_url,
        collector=row.collector,
        confidence=float(row.confidence),
        dedup_key=row.dedup_key,
        collected_at=_aware(row.collected_at) or utcnow(),
    )


def add_evidence(session: Session, scan_id: str, drafts: Sequence[EvidenceDraft]) -> list[Evidence]:
    """Store new items; items whose (type, dedup key) the scan already has are skipped. Returns the new ones."""
    if not drafts:
        return []
    existing = _existing_evidence_keys(session, scan_id, {draft.dedup_key[:512] for draft in drafts})
    now = utcnow()
    rows: list[dict[str, Any]] = []
    stored: list[Evidence] = []
    for draft in drafts:
        key = (str(draft.type), draft.dedup_key[:512])
        if key in existing:
            continue
        existing.add(key)
        values: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "scan_id": scan_id,
            "type": str(draft.type),
            "category": str(draft.category),
            "title": draft.title[:500],
            "summary": draft.summary,
            "data": draft.data,
            "source_url": draft.source_url[:2048],
            "collector": draft.collector,
            "confidence": max(0.0, min(1.0, float(draft.confidence))),
            "dedup_key": draft.dedup_key[:512],
            "collected_at": now,
        }
        rows.append(values)
        stored.append(
            Evidence(
                id=values["id"],
                scan_id=scan_id,
                type=values["type"],
                category=values["category"],
                title=values["title"],
                summary=draft.summary,
                data=draft.data,
                source_url=values["source_url"],
                collector=draft.collector,
                confidence=values["confidence"],
                dedup_key=values["dedup_key"],
                collected_at=now,
            )
        )
    if rows:
        session.execute(insert(evidence_items), rows)
    return stored


KEY_LOOKUP_CHUNK = 500


def _existing_evidence_keys(session: Session, scan_id: str, dedup_keys: set[str]) -> set[tuple[str, str]]:
    """The (type, dedup key) pairs the scan already holds among these dedup keys."""
    found: set[tuple[str, str]] = set()
    ordered = sorted(dedup_keys)
    for start in range(0, len(ordered), KEY_LOOKUP_CHUNK):
        chunk = ordered[start : start + KEY_LOOKUP_CHUNK]
        rows = session.execute(
            select(evidence_items.c.type, evidence_items.c.dedup_key).where(
                evidence_items.c.scan_id == scan_id, evidence_items.c.dedup_key.in_(chunk)
            )
        )
        found.update((row.type, row.dedup_key) for row in rows)
    return found


def count_evidence(session: Session, scan_id: str) -> int:
    """How many evidence items the scan has."""
    return int(
        session.execute(
            select(func.count()).select_from(evidence_items).where(evidence_items.c.scan_id == scan_id)
        ).scalar_one()
    )


def list_evidence(
    session: Session, scan_id: str, *, page: int, per_page: int, category: str | None = None
) -> tuple[list[Evidence], int]:
    """A page of a scan's evidence in collection order, and the total."""
    condition = evidence_items.c.scan_id == scan_id
    if category:
        condition = and_(condition, evidence_items.c.category == category)
    total = int(
        session.execute(select(func.count()).select_from(evidence_items).where(condition)).scalar_one()
    )
    rows = session.execute(
        select(evidence_items)
        .where(condition)
        .order_by(evidence_items.c.collected_at, evidence_items.c.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return [_evidence_from_row(row) for row in rows], total


def all_evidence(session: Session, scan_id: str) -> list[Evidence]:
    """Every evidence item of a scan, in a stable order."""
    rows = session.execute(
        select(evidence_items)
        .where(evidence_items.c.scan_id == scan_id)
        .order_by(evidence_items.c.type, evidence_items.c.dedup_key)
    ).all()
    return [_evidence_from_row(row) for row in rows]


# --- reports and citations --------------------------------------------------------------------------------


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


# --- event log --------------------------------------------------------------------------------------------


def append_event(
    session: Session,
    scan_id: str,
    kind: EventKind,
    message: str,
    *,
    step: StepName | None = None,
    progress: int | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    """Append to the scan's event log; the sequence number is allocated inside this transaction."""
    seq = session.execute(
        update(scans)
        .where(scans.c.id == scan_id)
        .values(last_event_seq=scans.c.last_event_seq + 1)
        .returning(scans.c.last_event_seq)
    ).scalar_one()
    session.execute(
        insert(scan_events).values(
            scan_id=scan_id,
            seq=seq,
            at=utcnow(),
            step=str(step) if step else None,
            kind=str(kind),
            progress=progress,
            message=message,
            data=data or {},
        )
    )
    return int(seq)


def append_events(
    session: Session,
    scan_id: str,
    kind: EventKind,
    entries: Sequence[tuple[str, dict[str, Any]]],
    *,
    step: StepName | None = None,
) -> None:
    """Append several (message, data) events of one kind at once, with consecutive sequence numbers."""
    if not entries:
        return
    last = session.execute(
        update(scans)
        .where(scans.c.id == scan_id)
        .values(last_event_seq=scans.c.last_event_seq + len(entries))
        .returning(scans.c.last_event_seq)
    ).scalar_one()
    first = int(last) - len(entries) + 1
    now = utcnow()
    session.execute(
        insert(scan_events),
        [
            {
                "scan_id": scan_id,
                "seq": first + offset,
                "at": now,
                "step": str(step) if step else None,
                "kind": str(kind),
                "progress": None,
                "message": message,
                "data": data,
            }
            for offset, (message, data) in enumerate(entries)
        ],
    )


def list_events(session: Session, scan_id: str, *, after_seq: int = 0, limit: int = 500) -> list[ScanEvent]:
    """Events of a scan after a sequence number, in order."""
    rows = session.execute(
        select(scan_events)
        .where(scan_events.c.scan_id == scan_id, scan_events.c.seq > after_seq)
        .order_by(scan_events.c.seq)
        .limit(limit)
    ).all()
    return [
        ScanEvent(
            scan_id=row.scan_id,
            seq=row.seq,
            at=_aware(row.at) or utcnow(),
            step=row.step,
            kind=EventKind(row.kind),
            progress=row.progress,
            message=row.message,
            data=row.data or {},
        )
        for row in rows
    ]


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


# --- crawl checkpoints ------------------------------------------------------------------------------------


def save_crawl_state(session: Session, scan_id: str, state: dict[str, Any]) -> None:
    """Store the crawl's checkpoint (frontier, fetched URLs, collector state), replacing the previous one."""
    now = utcnow()
    updated = session.execute(
        update(crawl_state).where(crawl_state.c.scan_id == scan_id).values(state=state, updated_at=now)
    )
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(insert(crawl_state).values(scan_id=scan_id, state=state, updated_at=now))


def load_crawl_state(session: Session, scan_id: str) -> dict[str, Any] | None:
    """The last checkpoint of a scan's crawl, if any."""
    value = session.execute(select(crawl_state.c.state).where(crawl_state.c.scan_id == scan_id)).scalar()
    return dict(value) if value else None


@dataclass(frozen=True)
class CrawledPageRow:
    """What resuming a crawl needs of a fetched page: its requested URL, depth, class, status and outlinks."""

    url: str
    depth: int
    page_class: str
    status: int | None
    outlinks: list[str]


def record_crawled_pages(session: Session, scan_id: str, pages: Sequence[CrawledPageRow]) -> int:
    """Remember that pages were fetched (with their outlinks, for resuming); returns how many were new."""
    urls = sorted({page.url for page in pages})
    known: set[str] = set()
    for start in range(0, len(urls), KEY_LOOKUP_CHUNK):
        chunk = urls[start : start + KEY_LOOKUP_CHUNK]
        known.update(
            session.execute(
                select(crawl_pages.c.url).where(
                    crawl_pages.c.scan_id == scan_id, crawl_pages.c.url.in_(chunk)
                )
            ).scalars()
        )
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for page in pages:
        if page.url in known:
            continue
        known.add(page.url)
        rows.append(
            {
                "scan_id": scan_id,
                "url": page.url,
                "depth": page.depth,
                "page_class": page.page_class,
                "status": page.status,
                "outlinks": page.outlinks,
                "fetched_at": now,
            }
        )
    if rows:
        session.execute(insert(crawl_pages), rows)
    return len(rows)


def crawled_pages(session: Session, scan_id: str) -> list[dict[str, Any]]:
    """Every page a scan's crawl has fetched so far, in fetch order."""
    rows = session.execute(
        select(crawl_pages).where(crawl_pages.c.scan_id == scan_id).order_by(crawl_pages.c.fetched_at)
    ).all()
    return [
        {
            "url": r.url,
            "depth": r.depth,
            "page_class": r.page_class,
            "status": r.status,
            "outlinks": r.outlinks,
        }
        for r in rows
    ]
