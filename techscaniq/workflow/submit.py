"""A scheduled re-scan goes through the scans service's submit: the same validation, rate limit, audit and creation."""

from __future__ import annotations

import logging
from typing import Any

from techscaniq.accounts import Viewer
from techscaniq.config import Settings
from techscaniq.errors import TechScanError
from techscaniq.scans import service as scan_service
from techscaniq.storage import companies as company_store
from techscaniq.storage import repo
from techscaniq.storage import schedules as schedule_store
from techscaniq.storage.db import session_scope

log = logging.getLogger(__name__)


def submit_scheduled_scan(config: Settings, schedule: schedule_store.Schedule) -> str:
    """Submit the company's next scan as the key that set the schedule; returns the new scan's id."""
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
    scan_id = scan_service.submit(config, viewer, body).scan_id
    try:
        with session_scope(config) as session:
            company_store.mark_scheduled(session, scan_id)
    except Exception:  # the scan exists and runs: handing the due time back now would submit it twice
        log.exception("scan %s submitted by a schedule but not marked as scheduled", scan_id)
    return scan_id
