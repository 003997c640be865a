"""A scheduled re-scan goes through the API's own submit path: the same validation, rate limit and creation."""

from __future__ import annotations

from typing import Any

from flask import Flask

from techscaniq.config import Settings
from techscaniq.errors import TechScanError
from techscaniq.storage import companies as company_store
from techscaniq.storage import repo
from techscaniq.storage import schedules as schedule_store
from techscaniq.storage.db import session_scope


def submit_scheduled_scan(config: Settings, schedule: schedule_store.Schedule) -> str:
    """Submit the company's next scan as the key that set the schedule; returns the new scan's id."""
    # The API's submit path (structure-service moves it into the scans service; this call follows it there).
    from techscaniq.api.auth import Viewer
    from techscaniq.api.scans import _create_scan, enforce_submit_rate
    from techscaniq.api.validation import validate_scan_request

    with session_scope(config, write=False) as session:
        owner = schedule_store.schedule_owner(session, schedule.created_by_key_id)
        company = company_store.get_company(session, schedule.company_id, org_id=None)
        newest = company_store.company_scans_newest_first(session, schedule.company_id)
        last = repo.get_scan(session, newest[0].id) if newest else None
    if owner is None or owner.revoked or owner.org_id != company.org_id:
        raise TechScanError(
            "the API key that set this schedule is revoked or gone; set the schedule again",
            code="schedule_key_revoked",
        )
    if last is None:
        raise TechScanError("the company has no scan to repeat", code="schedule_nothing_to_repeat")
    viewer = Viewer(
        org_id=owner.org_id, org_name=owner.org_name, key_id=owner.key_id, is_admin=owner.is_admin
    )
    body: dict[str, Any] = {
        "company_name": last.company_name,
        "website_url": last.website_url,
        "primary_criteria": schedule.thesis or last.primary_criteria,
        "metadata": {
            **last.metadata,
            "submitted_by": "schedule",
            "schedule_due_at": schedule.next_due_at.isoformat(),
        },
    }
    if last.callback_url:
        body["callback_url"] = last.callback_url
    if last.requestor_name:
        body["requestor_name"] = last.requestor_name
    if last.organization_name:
        body["organization_name"] = last.organization_name
    # The API's validation reads the settings from the Flask app it runs in; a worker has none, so lend one.
    app = Flask("techscaniq.schedules")
    app.config["TECHSCANIQ_SETTINGS"] = config
    with app.app_context():
        enforce_submit_rate(config, viewer)
        submission = validate_scan_request(body)
        _, payload = _create_scan(config, viewer, submission, scheduled=True)
    return str(payload["scanRequestId"])
