"""Companies: what an organisation scans over time (list, detail with score history)."""

from __future__ import annotations

import re

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from techscaniq.api.auth import current_viewer, settings
from techscaniq.api.validation import json_body, pagination
from techscaniq.errors import NotFoundError, ValidationError
from techscaniq.workflow import schedules, service

companies_api = Blueprint("companies_api", __name__, url_prefix="/api")

ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def checked_id(value: str, what: str) -> str:
    """An id from the path; 404 for anything that cannot be one."""
    if not ID_PATTERN.match(value):
        raise NotFoundError(f"{what} {value[:100]!r} not found")
    return value


def query_text(name: str, limit: int) -> str | None:
    """A free-text query parameter, trimmed; 400 for control characters."""
    value = (request.args.get(name) or "").strip()[:limit]
    if CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            f"{name} must not contain control characters", fields={name: "control characters are not allowed"}
        )
    return value or None


@companies_api.get("/companies")
def list_companies() -> ResponseReturnValue:
    """A page of the caller's companies by name, with the newest completed scan's score."""
    viewer = current_viewer()
    page, per_page = pagination(request)
    body = service.list_companies(
        settings(), org_id=viewer.scope_org_id, page=page, per_page=per_page, search=query_text("q", 200)
    )
    return jsonify(body)


@companies_api.get("/companies/<company_id>")
def get_company(company_id: str) -> ResponseReturnValue:
    """A company with its scans, newest first, and the score history of each thesis."""
    viewer = current_viewer()
    body = service.company_detail(settings(), checked_id(company_id, "company"), org_id=viewer.scope_org_id)
    return jsonify(body)


@companies_api.put("/companies/<company_id>/schedule")
def put_schedule(company_id: str) -> ResponseReturnValue:
    """Re-scan the company every `every_days` days (1-365), optionally under `thesis`."""
    viewer = current_viewer()
    body = schedules.put_schedule(
        settings(),
        checked_id(company_id, "company"),
        json_body(request),
        org_id=viewer.scope_org_id,
        key_id=viewer.key_id,
    )
    return jsonify(body)


@companies_api.delete("/companies/<company_id>/schedule")
def delete_schedule(company_id: str) -> ResponseReturnValue:
    """Stop re-scanning the company (204)."""
    viewer = current_viewer()
    schedules.delete_schedule(settings(), checked_id(company_id, "company"), org_id=viewer.scope_org_id)
    return "", 204
