"""Repository functions of completion webhooks: organisation secrets and the delivery log."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from techscaniq.errors import NotFoundError
from techscaniq.storage.rows import _aware, utcnow
from techscaniq.storage.tables import organizations, webhook_deliveries

WEBHOOK_SECRET_PREFIX = "whsec_"
WEBHOOK_SECRET_BYTES = 32


@dataclass(frozen=True)
class WebhookDelivery:
    """One attempt to deliver a scan's completion webhook."""

    scan_id: str
    attempt: int
    at: datetime
    url: str
    status: int | None
    error: str | None
    duration_ms: int | None

    @property
    def succeeded(self) -> bool:
        """True when the receiver answered 2xx."""
        return self.status is not None and 200 <= self.status < 300 and self.error is None

    def to_dict(self) -> dict[str, object]:
        """The JSON shape shown on the scan."""
        return {
            "attempt": self.attempt,
            "at": self.at.isoformat(),
            "url": self.url,
            "status": self.status,
            "error": self.error,
            "durationMs": self.duration_ms,
            "succeeded": self.succeeded,
        }


def webhook_secret(session: Session, org_id: str) -> str:
    """The organisation's webhook signing secret, created on first use (only one creator wins)."""
    query = select(organizations.c.webhook_secret).where(organizations.c.id == org_id)
    row = session.execute(query).first()
    if row is None:
        raise NotFoundError(f"organisation {org_id} not found")
    if row.webhook_secret:
        return str(row.webhook_secret)
    candidate = WEBHOOK_SECRET_PREFIX + secrets.token_hex(WEBHOOK_SECRET_BYTES)
    session.execute(
        update(organizations)
        .where(organizations.c.id == org_id, organizations.c.webhook_secret.is_(None))
        .values(webhook_secret=candidate)
    )
    return str(session.execute(query).scalar_one())


def record_delivery(
    session: Session,
    scan_id: str,
    *,
    attempt: int,
    url: str,
    status: int | None,
    error: str | None,
    duration_ms: int | None,
) -> WebhookDelivery:
    """Append one delivery attempt to the log."""
    at = utcnow()
    session.execute(
        insert(webhook_deliveries).values(
            scan_id=scan_id,
            attempt=attempt,
            at=at,
            url=url,
            status=status,
            error=error,
            duration_ms=duration_ms,
        )
    )
    return WebhookDelivery(scan_id, attempt, at, url, status, error, duration_ms)


def deliveries_for(session: Session, scan_id: str) -> list[WebhookDelivery]:
    """Every delivery attempt of a scan, oldest first."""
    rows = session.execute(
        select(webhook_deliveries)
        .where(webhook_deliveries.c.scan_id == scan_id)
        .order_by(webhook_deliveries.c.at, webhook_deliveries.c.id)
    ).all()
    return [
        WebhookDelivery(
            scan_id=row.scan_id,
            attempt=row.attempt,
            at=_aware(row.at) or utcnow(),
            url=row.url,
            status=row.status,
            error=row.error,
            duration_ms=row.duration_ms,
        )
        for row in rows
    ]


def delivery_counts(session: Session) -> dict[str, int]:
    """Delivery attempts by outcome ("succeeded" or "failed"), for metrics."""
    succeeded = webhook_deliveries.c.status.between(200, 299) & webhook_deliveries.c.error.is_(None)
    total = int(session.execute(select(func.count()).select_from(webhook_deliveries)).scalar_one())
    ok = int(
        session.execute(select(func.count()).select_from(webhook_deliveries).where(succeeded)).scalar_one()
    )
    return {"succeeded": ok, "failed": total - ok}
