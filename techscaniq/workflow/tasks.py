"""The beat-driven task of the analyst's workflow: a thin wrapper over schedules.submit_due_scans."""

from __future__ import annotations

from typing import Any

from techscaniq.celery_app import celery_app

SUBMIT_DUE_SCANS = "techscaniq.submit_due_scans"


@celery_app.task(name=SUBMIT_DUE_SCANS, ignore_result=True, acks_late=False)
def submit_due_scans() -> dict[str, Any]:
    """Submit every re-scan that is due (a repeat or a second beat finds each due time already taken)."""
    from techscaniq.config import Settings
    from techscaniq.workflow.schedules import submit_due_scans as run

    tick = run(Settings.from_env())
    return {"submitted": tick.submitted, "lost_race": tick.lost_race, "failed": tick.failed}
