"""The scan event log: sequence numbers allocated inside the writing transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from techscaniq.domain import EventKind, ScanEvent, StepName
from techscaniq.storage.rows import _aware, utcnow
from techscaniq.storage.tables import scan_events, scans


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
