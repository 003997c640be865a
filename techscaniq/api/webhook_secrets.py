"""The webhook signing secret of the caller's organisation: show it, rotate it (both audited)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from techscaniq.api.auth import current_viewer, settings
from techscaniq.storage import security_repo, webhook_secrets
from techscaniq.storage.db import session_scope

webhook_secrets_api = Blueprint("webhook_secrets_api", __name__, url_prefix="/api/webhooks")


@webhook_secrets_api.get("/secret")
def show_secret() -> ResponseReturnValue:
    """The caller's organisation's current signing secret (created on first use)."""
    viewer = current_viewer()
    with session_scope(settings()) as session:
        current = webhook_secrets.current_secret(session, viewer.org_id)
        security_repo.record_audit(
            session,
            action="webhook_secret.view",
            org_id=viewer.org_id,
            key_id=viewer.key_id,
            detail={"created_at": current.created_at.isoformat(), "path": request.path},
        )
    return jsonify(current.to_dict())


@webhook_secrets_api.post("/secret/rotate")
def rotate_secret() -> ResponseReturnValue:
    """A new signing secret for the caller's organisation; the old one keeps signing for 24 hours."""
    viewer = current_viewer()
    with session_scope(settings()) as session:
        fresh, old = webhook_secrets.rotate_secret(session, viewer.org_id)
        overlap_ends = fresh.created_at + webhook_secrets.ROTATION_OVERLAP
        security_repo.record_audit(
            session,
            action="webhook_secret.rotate",
            org_id=viewer.org_id,
            key_id=viewer.key_id,
            detail={
                "created_at": fresh.created_at.isoformat(),
                "previous_created_at": old.created_at.isoformat(),
            },
        )
    return jsonify({**fresh.to_dict(), "previous_valid_until": overlap_ends.isoformat()})
