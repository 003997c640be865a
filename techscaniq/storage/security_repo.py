"""Repository functions for idempotency keys, the audit log and retention. Each takes a Session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from techscaniq.domain import ScanStatus
from techscaniq.storage.rows import _aware, utcnow
from techscaniq.storage.scans import delete_scan
from techscaniq.storage.tables import audit_log, idempotency_keys, scans

IDEMPOTENCY_TTL_SECONDS = 24 * 3600
# A reservation that never got its answer is given up after this. The answer commits with the scan itself, so an
# unanswered reservation means no scan was created (the API died before that commit): taking it over is safe.
IDEMPOTENCY_ABANDONED_SECONDS = 120


@dataclass(frozen=True)
class IdempotentAnswer:
    """What is stored under an idempotency key: the request's hash and, once finished, its answer."""

    request_hash: str
    response_status: int | None
    response_body: dict[str, Any] | None
    created_at: datetime

    @property
    def finished(self) -> bool:
        """True once the first request stored its answer."""
        return self.response_status is not None


@dataclass(frozen=True)
class AuditEntry:
    """One audit-log row: who did what to which scan or report."""

    id: int
    at: datetime
    org_id: str | None
    key_id: str | None
    action: str
    scan_id: str | None
    report_id: str | None
    detail: dict[str, Any]


# --- idempotency keys -------------------------------------------------------------------------------------


def reserve_idempotency_key(
    session: Session, org_id: str, key: str, request_hash: str
) -> IdempotentAnswer | None:
    """Claim the key for a new request: None when it is ours now, else what an earlier request stored."""
    now = utcnow()
    stale = or_(
        idempotency_keys.c.expires_at < now,
        and_(
            idempotency_keys.c.response_status.is_(None),
            idempotency_keys.c.created_at < now - timedelta(seconds=IDEMPOTENCY_ABANDONED_SECONDS),
        ),
    )
    session.execute(
        delete(idempotency_keys).where(
            idempotency_keys.c.org_id == org_id, idempotency_keys.c.key == key, stale
        )
    )
    try:
        with session.begin_nested():
            session.execute(
                insert(idempotency_keys).values(
                    org_id=org_id,
                    key=key,
                    request_hash=request_hash,
                    created_at=now,
                    expires_at=now + timedelta(seconds=IDEMPOTENCY_TTL_SECONDS),
                )
            )
    except IntegrityError:
        return find_idempotency_key(session, org_id, key)
    return None


def find_idempotency_key(session: Session, org_id: str, key: str) -> IdempotentAnswer | None:
    """The live entry stored under this key, if any."""
    row = session.execute(
        select(idempotency_keys).where(
            idempotency_keys.c.org_id == org_id,
            idempotency_keys.c.key == key,
            idempotency_keys.c.expires_at >= utcnow(),
        )
    ).first()
    if row is None:
        return None
    return IdempotentAnswer(
        request_hash=row.request_hash,
        response_status=row.response_status,
        response_body=row.response_body,
        created_at=_aware(row.created_at) or utcnow(),
    )


def complete_idempotency_key(
    session: Session, org_id: str, key: str, *, status: int, body: dict[str, Any]
) -> None:
    """Store the first request's answer so repeats replay it."""
    session.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.org_id == org_id, idempotency_keys.c.key == key)
        .values(response_status=status, response_body=body)
    )


def release_idempotency_key(session: Session, org_id: str, key: str, *, answered: bool = False) -> None:
    """Drop an unfinished reservation (the request failed) so the client may try again with the same key.

    answered=True also drops a stored answer: the scan it named was removed in the same transaction.
    """
    query = delete(idempotency_keys).where(idempotency_keys.c.org_id == org_id, idempotency_keys.c.key == key)
    if not answered:
        query = query.where(idempotency_keys.c.response_status.is_(None))
    session.execute(query)


def delete_expired_idempotency_keys(session: Session, *, now: datetime | None = None) -> int:
    """Remove entries older than their 24 hours; returns how many."""
    result = session.execute(
        delete(idempotency_keys).where(idempotency_keys.c.expires_at < (now or utcnow()))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- audit log --------------------------------------------------------------------------------------------


def record_audit(
    session: Session,
    *,
    action: str,
    org_id: str | None,
    key_id: str | None,
    scan_id: str | None = None,
    report_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one entry to the audit log."""
    session.execute(
        insert(audit_log).values(
            at=utcnow(),
            org_id=org_id,
            key_id=key_id,
            action=action,
            scan_id=scan_id,
            report_id=report_id,
            detail=detail or {},
        )
    )


def list_audit(
    session: Session,
    *,
    org_id: str | None,
    scan_id: str | None = None,
    report_id: str | None = None,
    limit: int = 500,
) -> list[AuditEntry]:
    """Audit entries, newest first; org_id None means every organisation's."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if org_id is not None:
        query = query.where(audit_log.c.org_id == org_id)
    if scan_id is not None:
        query = query.where(audit_log.c.scan_id == scan_id)
    if report_id is not None:
        query = query.where(audit_log.c.report_id == report_id)
    return [
        AuditEntry(
            id=row.id,
            at=_aware(row.at) or utcnow(),
            org_id=row.org_id,
            key_id=row.key_id,
            action=row.action,
            scan_id=row.scan_id,
            report_id=row.report_id,
            detail=row.detail or {},
        )
        for row in session.execute(query)
    ]


# --- retention --------------------------------------------------------------------------------------------


def scans_created_before(session: Session, cutoff: datetime, *, limit: int = 100) -> list[str]:
    """Ids of finished scans created before the cutoff, oldest first (running scans are never chosen)."""
    final = [str(status) for status in ScanStatus if status.is_final]
    rows = session.execute(
        select(scans.c.id)
        .where(scans.c.created_at < cutoff, scans.c.status.in_(final))
        .order_by(scans.c.created_at)
        .limit(limit)
    )
    return [str(row.id) for row in rows]


def delete_finished_scan(session: Session, scan_id: str) -> None:
    """Remove one scan with everything it owns (evidence, reports, citations, events, crawl state)."""
    delete_scan(session, scan_id, org_id=None)
