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
from techscaniq.theses import thesis_request

log = logging.getLogger(__name__)


def due_time_key(schedule: schedule_store.Schedule) -> str:
    """The Idempotency-Key of one due time: however often it is submitted, it yields one scan."""
    return f"schedule:{schedule.company_id}:{schedule.next_due_at.isoformat()}"


def submit_scheduled_scan(config: Settings, schedule: schedule_store.Schedule) -> str:
    """Submit the company's scan for this due time as the key that set the schedule; returns its id.

    Submitting the same due time again (a tick that died before it moved the due time on, or a second tick)
    replays the first answer: the body repeats the newest scan that this due time did not itself create.
    """
    due_at = schedule.next_due_at.isoformat()
    with session_scope(config, write=False) as session:
        owner = schedule_store.schedule_owner(session, schedule.created_by_key_id)
        company = company_store.get_company(session, schedule.company_id, org_id=None)
        last = None
        for entry in company_store.company_scans_newest_first(session, schedule.company_id):
            scan = repo.get_scan(session, entry.id)
            if scan.metadata.get("schedule_due_at") != due_at:
                last = scan
                break
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
        # A schedule's own thesis wins; otherwise the last scan's thesis, custom ones included, is asked for again.
        **({"primary_criteria": schedule.thesis} if schedule.thesis else thesis_request(last.thesis)),
        "metadata": {**last.metadata, "submitted_by": "schedule", "schedule_due_at": due_at},
    }
    if last.callback_url:
        body["callback_url"] = last.callback_url
    if last.requestor_name:
        body["requestor_name"] = last.requestor_name
    if last.organization_name:
        body["organization_name"] = last.organization_name
    scan_id = scan_service.submit(config, viewer, body, idempotency_key=due_time_key(schedule)).scan_id
    try:
        with session_scope(config) as session:
            company_store.mark_scheduled(session, scan_id)
    except Exception:  # the scan exists and runs; the next tick's replay marks it again
        log.exception("scan %s submitted by a schedule but not marked as scheduled", scan_id)
    return scan_id
