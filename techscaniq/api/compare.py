"""What changed between two scans, and scans side by side."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from techscaniq.api.auth import current_viewer, settings
from techscaniq.api.companies import checked_id, query_text
from techscaniq.workflow import service

compare_api = Blueprint("compare_api", __name__, url_prefix="/api")


@compare_api.get("/scans/<scan_id>/diff")
def scan_diff(scan_id: str) -> ResponseReturnValue:
    """Differences since the company's previous completed scan (or `?against=`), each citing its evidence."""
    viewer = current_viewer()
    against = query_text("against", 100)
    body = service.scan_diff(
        settings(),
        checked_id(scan_id, "scan"),
        org_id=viewer.scope_org_id,
        against=checked_id(against, "scan") if against else None,
    )
    return jsonify(body)


@compare_api.get("/compare")
def compare_scans() -> ResponseReturnValue:
    """2 to 6 completed scans of the caller's organisation side by side."""
    viewer = current_viewer()
    scan_ids = service.parse_scan_ids(request.args.get("scans"))
    return jsonify(service.compare_scans(settings(), scan_ids, org_id=viewer.scope_org_id))
