"""Analyst reviews of a report version's findings and criterion scores."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from techscaniq.storage.tables import api_keys, report_reviews


@dataclass(frozen=True)
class Review:
    """One verdict on one finding or criterion of one report version."""

    id: str
    report_id: str
    scan_id: str
    key_id: str | None
    key_label: str | None
    target_kind: str
    target_id: str
    verdict: str
    comment: str | None
    score: int | None
    created_at: datetime


def key_label(session: Session, key_id: str | None) -> str | None:
    """The label of an API key (the reviewer's name as the organisation knows it)."""
    if key_id is None:
        return None
    value = session.execute(
        select(api_keys.c.label, api_keys.c.prefix).where(api_keys.c.id == key_id)
    ).first()
    return (value.label or value.prefix) if value else None


def add_review(
    session: Session,
    *,
    report_id: str,
    scan_id: str,
    key_id: str | None,
    target_kind: str,
    target_id: str,
    verdict: str,
    comment: str | None,
    score: int | None,
) -> Review:
    """Store a review and return it."""
    review = Review(
        id=str(uuid.uuid4()),
        report_id=report_id,
        scan_id=scan_id,
        key_id=key_id,
        key_label=key_label(session, key_id),
        target_kind=target_kind,
        target_id=target_id,
        verdict=verdict,
        comment=comment,
        score=score,
        created_at=datetime.now(UTC),
    )
    session.execute(insert(report_reviews).values(**review.__dict__))
    return review


def list_reviews(session: Session, report_id: str) -> list[Review]:
    """A report version's reviews, oldest first."""
    rows = session.execute(
        select(report_reviews)
        .where(report_reviews.c.report_id == report_id)
        .order_by(report_reviews.c.created_at, report_reviews.c.id)
    ).all()
    return [
        Review(
            id=row.id,
            report_id=row.report_id,
            scan_id=row.scan_id,
            key_id=row.key_id,
            key_label=row.key_label,
            target_kind=row.target_kind,
            target_id=row.target_id,
            verdict=row.verdict,
            comment=row.comment,
            score=row.score,
            created_at=row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC),
        )
        for row in rows
    ]
