"""The webhook signing secret of the caller's organisation: show it, rotate it (both audited)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from techscaniq.api.auth import current_viewer, settings
from techscaniq.scans import webhook_secret

webhook_secrets_api = Blueprint("webhook_secrets_api", __name__, url_prefix="/api/webhooks")


@webhook_secrets_api.get("/secret")
def show_secret() -> ResponseReturnValue:
    """The caller's organisation's current signing secret (created on first use)."""
    viewer = current_viewer()
    current = webhook_secret.show_secret(settings(), viewer.org_id, viewer.key_id, {"path": request.path})
    return jsonify(current.to_dict())


@webhook_secrets_api.post("/secret/rotate")
def rotate_secret() -> ResponseReturnValue:
    """A new signing secret for the caller's organisation; the old one keeps signing for 24 hours."""
    viewer = current_viewer()
    fresh, _, overlap_ends = webhook_secret.rotate_secret(settings(), viewer.org_id, viewer.key_id, {})
    return jsonify({**fresh.to_dict(), "previous_valid_until": overlap_ends.isoformat()})
