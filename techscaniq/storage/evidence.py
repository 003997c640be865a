"""Evidence items: idempotent inserts on (scan, type, dedup key), counts and pages."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from techscaniq.domain import Evidence, EvidenceDraft
from techscaniq.storage.rows import _aware, insert_ignoring_duplicates, utcnow
from techscaniq.storage.tables import evidence_items


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
    # A key the pre-check missed (a copy writing at the same moment) is skipped by the database, not an error.
    inserted = insert_ignoring_duplicates(session, evidence_items, rows, returning=evidence_items.c.id)
    return [item for item in stored if item.id in inserted]


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


def get_evidence_item(session: Session, scan_id: str, evidence_id: str) -> Evidence | None:
    """One evidence item of a scan by its id; None when the scan has no such item."""
    row = session.execute(
        select(evidence_items).where(evidence_items.c.scan_id == scan_id, evidence_items.c.id == evidence_id)
    ).first()
    return None if row is None else _evidence_from_row(row)


def all_evidence(session: Session, scan_id: str) -> list[Evidence]:
    """Every evidence item of a scan, in a stable order."""
    rows = session.execute(
        select(evidence_items)
        .where(evidence_items.c.scan_id == scan_id)
        .order_by(evidence_items.c.type, evidence_items.c.dedup_key)
    ).all()
    return [_evidence_from_row(row) for row in rows]
