"""Retention: finished scans older than TECHSCANIQ_RETENTION_DAYS are deleted by the in-worker timer."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from techscaniq.config import Settings
from techscaniq.storage import repo, report_files, security_repo
from techscaniq.storage.db import session_scope

log = logging.getLogger(__name__)

# Deleted per transaction, so one pass never holds a long write lock on SQLite.
RETENTION_BATCH_SIZE = 50
# One pass stops after this many batches; the next timer tick continues.
RETENTION_MAX_BATCHES_PER_PASS = 20


def delete_expired_scans(settings: Settings, *, now: datetime | None = None) -> list[str]:
    """Delete finished scans created more than retention_days ago (0 keeps everything); returns their ids."""
    if settings.retention_days <= 0:
        return []
    cutoff = (now or repo.utcnow()) - timedelta(days=settings.retention_days)
    deleted: list[str] = []
    for _ in range(RETENTION_MAX_BATCHES_PER_PASS):
        report_ids: list[str] = []
        with session_scope(settings) as session:
            batch = security_repo.scans_created_before(session, cutoff, limit=RETENTION_BATCH_SIZE)
            for scan_id in batch:
                org_id = repo.get_scan(session, scan_id).org_id
                report_ids += report_files.report_ids_of_scan(session, scan_id)
                security_repo.delete_finished_scan(session, scan_id)
                security_repo.record_audit(
                    session,
                    action="scan.retention_delete",
                    org_id=org_id,
                    key_id=None,
                    scan_id=scan_id,
                    detail={"retention_days": settings.retention_days},
                )
            security_repo.delete_expired_idempotency_keys(session, now=now)
        report_files.remove_rendered_files(settings.data_dir, report_ids)
        deleted.extend(batch)
        if len(batch) < RETENTION_BATCH_SIZE:
            break
    if deleted:
        log.info("retention deleted %d scan(s) older than %d days", len(deleted), settings.retention_days)
    return deleted
