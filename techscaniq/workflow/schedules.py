"""Watching a company: re-scan schedules, and the per-minute tick that submits the scans that are due."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from techscaniq.config import Settings
from techscaniq.errors import NotFoundError, TechScanError, ValidationError
from techscaniq.storage import companies as company_store
from techscaniq.storage import repo
from techscaniq.storage import schedules as schedule_store
from techscaniq.storage.db import session_scope
from techscaniq.theses import get_thesis

log = logging.getLogger(__name__)

MIN_EVERY_DAYS, MAX_EVERY_DAYS = 1, 365


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def schedule_json(schedule: schedule_store.Schedule | None) -> dict[str, Any] | None:
    """The API shape of a schedule."""
    if schedule is None:
        return None
    return {
        "every_days": schedule.every_days,
        "thesis": schedule.thesis,
        "next_due_at": _iso(schedule.next_due_at),
        "last_scan_id": schedule.last_scan_id,
        "last_error": schedule.last_error,
    }


def _parse(body: dict[str, Any]) -> tuple[int, str | None]:
    errors: dict[str, str] = {}
    every = body.get("every_days")
    if isinstance(every, bool) or not isinstance(every, int) or not MIN_EVERY_DAYS <= every <= MAX_EVERY_DAYS:
        errors["every_days"] = f"a whole number of days from {MIN_EVERY_DAYS} to {MAX_EVERY_DAYS}"
    thesis = body.get("thesis")
    if thesis is not None:
        if not isinstance(thesis, str) or len(thesis) > 100:
            errors["thesis"] = "a thesis slug"
        else:
            try:
                get_thesis(thesis)
            except (KeyError, ValueError, TechScanError):
                errors["thesis"] = f"unknown thesis {thesis[:100]!r}"
    unknown = set(body) - {"every_days", "thesis"}
    if unknown:
        errors[sorted(unknown)[0]] = "unknown field"
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    assert isinstance(every, int)
    return every, thesis


def put_schedule(
    config: Settings, company_id: str, body: dict[str, Any], *, org_id: str | None, key_id: str | None
) -> dict[str, Any]:
    """Re-scan the company every N days (1-365), optionally under another thesis than its newest scan's."""
    with session_scope(config, write=False) as session:
        company_store.get_company(session, company_id, org_id=org_id)  # an unknown company is 404 first
    every_days, thesis = _parse(body)
    if key_id is None:
        raise ValidationError(
            "a schedule submits as an API key: sign in with one", fields={"key": "required"}
        )
    with session_scope(config) as session:
        company_store.get_company(session, company_id, org_id=org_id)
        schedule = schedule_store.put_schedule(
            session, company_id, every_days=every_days, thesis=thesis, key_id=key_id, now=datetime.now(UTC)
        )
    return {"company_id": company_id, "schedule": schedule_json(schedule)}


def delete_schedule(config: Settings, company_id: str, *, org_id: str | None) -> None:
    """Stop re-scanning the company; 404 when it had no schedule."""
    with session_scope(config) as session:
        company_store.get_company(session, company_id, org_id=org_id)
        if not schedule_store.delete_schedule(session, company_id):
            raise NotFoundError(f"company {company_id} has no schedule")


def get_schedule(config: Settings, company_id: str) -> dict[str, Any] | None:
    """The company's schedule as JSON, if any."""
    with session_scope(config, write=False) as session:
        return schedule_json(schedule_store.get_schedule(session, company_id))


@dataclass(frozen=True)
class Tick:
    """What one tick did."""

    submitted: list[str]
    lost_race: int
    failed: int


def submit_due_scans(config: Settings, *, now: datetime | None = None) -> Tick:
    """Submit every due scan once, then move its due time on.

    The submission is idempotent per due time, so a tick that dies between creating the scan and moving the due
    time on loses nothing: the next tick replays the same scan and moves it then. Of two ticks, the one that moves
    the due time on first records the outcome.
    """
    from techscaniq.workflow.submit import submit_scheduled_scan

    moment = now or datetime.now(UTC)
    with session_scope(config, write=False) as session:
        due = schedule_store.due_schedules(session, moment)
    submitted: list[str] = []
    lost = failed = 0
    for schedule in due:
        try:
            scan_id: str | None = submit_scheduled_scan(config, schedule)
            error: str | None = None
        except Exception as exc:  # noqa: BLE001 - say why this due time produced no scan
            failed += 1
            scan_id, error = (
                None,
                exc.message if isinstance(exc, TechScanError) else f"{type(exc).__name__}: {exc}",
            )
            log.warning("scheduled scan of company %s not submitted: %s", schedule.company_id, error)
            # A passing failure (broker or database down, rate limit, a twin tick still submitting) keeps the due
            # time, so the next tick tries it again; a lasting one (a revoked key) spends it.
            if isinstance(exc, TechScanError) and (
                exc.retryable
                or exc.http_status in (429, 503)
                or exc.code == "idempotency_request_in_progress"
            ):
                with session_scope(config) as session:
                    schedule_store.record_outcome(session, schedule.company_id, scan_id=None, error=error)
                continue
        with session_scope(config) as session:
            if not schedule_store.claim_due_time(session, schedule, now=moment):
                lost += 1  # another tick moved it on and recorded the same scan
                continue
            schedule_store.record_outcome(session, schedule.company_id, scan_id=scan_id, error=error)
        if scan_id is not None:
            submitted.append(scan_id)
    return Tick(submitted, lost, failed)


def webhook_extra(config: Settings, scan_id: str) -> dict[str, Any]:
    """For a completed scan a schedule submitted: the diff summary against the previous completed scan."""
    from techscaniq.workflow.service import previous_scan_diff

    with session_scope(config, write=False) as session:
        if not company_store.scan_was_scheduled(session, scan_id):
            return {}
        scan = repo.get_scan(session, scan_id)
    if str(scan.status) != "completed":
        return {"scheduled": True}
    diff = previous_scan_diff(config, scan_id)
    if diff is None:
        return {"scheduled": True, "changes": None}
    summary = diff["summary"]
    return {
        "scheduled": True,
        "changes": {
            "againstScanId": diff["against_scan_id"],
            "technologiesAdded": summary["technologies_added"],
            "technologiesRemoved": summary["technologies_removed"],
            "newRisks": summary["risks_new"],
            "scoreChange": summary["score_change"],
        },
    }
