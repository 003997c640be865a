"""Repository functions of organisations' webhook signing secrets: show, rotate, and the ones that sign."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from techscaniq.errors import NotFoundError
from techscaniq.storage.repo import _aware, utcnow
from techscaniq.storage.tables import organizations, webhook_secrets
from techscaniq.storage.webhook_repo import WEBHOOK_SECRET_BYTES, WEBHOOK_SECRET_PREFIX, webhook_secret

# After a rotation the old secret signs deliveries beside the new one for this long.
ROTATION_OVERLAP = timedelta(hours=24)


@dataclass(frozen=True)
class WebhookSecret:
    """One signing secret of an organisation."""

    secret: str
    created_at: datetime
    retired_at: datetime | None = None

    def to_dict(self) -> dict[str, object]:
        """The API shape."""
        return {"secret": self.secret, "created_at": self.created_at.isoformat()}


def _rows(session: Session, org_id: str) -> list[WebhookSecret]:
    rows = session.execute(
        select(webhook_secrets.c.secret, webhook_secrets.c.created_at, webhook_secrets.c.retired_at)
        .where(webhook_secrets.c.org_id == org_id)
        .order_by(webhook_secrets.c.created_at.desc(), webhook_secrets.c.id.desc())
    ).all()
    return [
        WebhookSecret(row.secret, _aware(row.created_at) or utcnow(), _aware(row.retired_at)) for row in rows
    ]


def current_secret(session: Session, org_id: str) -> WebhookSecret:
    """The organisation's current secret, created on first use (NotFoundError for an unknown organisation)."""
    for row in _rows(session, org_id):
        if row.retired_at is None:
            return row
    # The organisation row's secret is the one first use creates (one creator wins there); record it here.
    secret = webhook_secret(session, org_id)
    session.execute(insert(webhook_secrets).values(org_id=org_id, secret=secret, created_at=utcnow()))
    return next(row for row in _rows(session, org_id) if row.retired_at is None)


def rotate_secret(session: Session, org_id: str) -> tuple[WebhookSecret, WebhookSecret]:
    """A new current secret; the old one keeps signing for ROTATION_OVERLAP. Returns (new, old)."""
    old = current_secret(session, org_id)
    now = utcnow()
    session.execute(
        update(webhook_secrets)
        .where(webhook_secrets.c.org_id == org_id, webhook_secrets.c.retired_at.is_(None))
        .values(retired_at=now)
    )
    fresh = WEBHOOK_SECRET_PREFIX + secrets.token_hex(WEBHOOK_SECRET_BYTES)
    session.execute(insert(webhook_secrets).values(org_id=org_id, secret=fresh, created_at=now))
    session.execute(update(organizations).where(organizations.c.id == org_id).values(webhook_secret=fresh))
    return WebhookSecret(fresh, now), WebhookSecret(old.secret, old.created_at, now)


def signing_secrets(session: Session, org_id: str, *, now: datetime | None = None) -> list[str]:
    """The secrets a delivery is signed with: the current one first, then those retired less than a day ago."""
    current = current_secret(session, org_id)
    moment = now or utcnow()
    retired = [
        row.secret
        for row in _rows(session, org_id)
        if row.retired_at is not None and moment - row.retired_at < ROTATION_OVERLAP
    ]
    return [current.secret, *(s for s in retired if s != current.secret)]


def org_id_by_name(session: Session, name: str) -> str:
    """The id of the organisation with this name; NotFoundError when there is none."""
    org_id = session.execute(select(organizations.c.id).where(organizations.c.name == name)).scalar()
    if org_id is None:
        raise NotFoundError(f"organisation {name[:200]!r} not found")
    return str(org_id)
