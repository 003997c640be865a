"""The webhook signing secret of an organisation: show it or rotate it, audited, for the API and the CLI."""

from __future__ import annotations

from datetime import datetime

from techscaniq.config import Settings
from techscaniq.storage import security_repo, webhook_secrets
from techscaniq.storage.db import session_scope
from techscaniq.storage.webhook_secrets import WebhookSecret


def org_id_named(settings: Settings, name: str) -> str:
    """The id of the organisation with this name (NotFoundError when there is none)."""
    with session_scope(settings, write=False) as session:
        return webhook_secrets.org_id_by_name(session, name)


def show_secret(settings: Settings, org_id: str, key_id: str | None, via: dict[str, str]) -> WebhookSecret:
    """The organisation's current signing secret (created on first use); the view is audited."""
    with session_scope(settings) as session:
        current = webhook_secrets.current_secret(session, org_id)
        security_repo.record_audit(
            session,
            action="webhook_secret.view",
            org_id=org_id,
            key_id=key_id,
            detail={"created_at": current.created_at.isoformat(), **via},
        )
    return current


def rotate_secret(
    settings: Settings, org_id: str, key_id: str | None, via: dict[str, str]
) -> tuple[WebhookSecret, WebhookSecret, datetime]:
    """A new signing secret; the old one keeps signing until the returned time. Audited."""
    with session_scope(settings) as session:
        fresh, old = webhook_secrets.rotate_secret(session, org_id)
        security_repo.record_audit(
            session,
            action="webhook_secret.rotate",
            org_id=org_id,
            key_id=key_id,
            detail={
                "created_at": fresh.created_at.isoformat(),
                "previous_created_at": old.created_at.isoformat(),
                **via,
            },
        )
    return fresh, old, fresh.created_at + webhook_secrets.ROTATION_OVERLAP
