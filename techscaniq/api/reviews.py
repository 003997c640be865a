"""The analyst's judgement: review findings and criterion scores of a report, then publish a new version."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from techscaniq.api.auth import current_viewer, settings
from techscaniq.api.companies import checked_id
from techscaniq.api.validation import json_body
from techscaniq.workflow import service

reviews_api = Blueprint("reviews_api", __name__, url_prefix="/api")


@reviews_api.post("/reports/<report_id>/reviews")
def add_review(report_id: str) -> ResponseReturnValue:
    """Confirm, dispute or note a finding or a criterion (optionally overriding its score): 201 with the review."""
    viewer = current_viewer()
    body = service.add_review(
        settings(),
        checked_id(report_id, "report"),
        json_body(request),
        org_id=viewer.scope_org_id,
        key_id=viewer.key_id,
    )
    return jsonify(body), 201


@reviews_api.get("/reports/<report_id>/reviews")
def list_reviews(report_id: str) -> ResponseReturnValue:
    """The reviews of a report version, oldest first."""
    viewer = current_viewer()
    return jsonify(
        service.list_reviews(settings(), checked_id(report_id, "report"), org_id=viewer.scope_org_id)
    )


@reviews_api.post("/reports/<report_id>/publish")
def publish(report_id: str) -> ResponseReturnValue:
    """Write a new report version with the reviews applied; the reviewed version stays readable."""
    viewer = current_viewer()
    body = service.publish_report(
        settings(), checked_id(report_id, "report"), org_id=viewer.scope_org_id, key_id=viewer.key_id
    )
    return jsonify(body), 201, {"Location": f"/api/reports/{body['id']}"}
