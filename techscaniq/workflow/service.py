"""Service functions the API, the UI and the CLI call for companies, diffs and comparisons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from techscaniq.config import Settings
from techscaniq.domain import ScanStatus
from techscaniq.errors import ConflictError, NotFoundError, ValidationError
from techscaniq.storage import companies as company_store
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from techscaniq.workflow import compare as compare_module
from techscaniq.workflow import diff as diff_module
from techscaniq.workflow.snapshot import Snapshot, snapshot


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def attach_new_scan(
    session: Session,
    *,
    scan_id: str,
    org_id: str,
    website_url: str,
    company_name: str,
    scheduled: bool = False,
) -> str:
    """The hook where a scan is created: it joins its company in the same transaction."""
    return company_store.attach_scan(
        session,
        scan_id=scan_id,
        org_id=org_id,
        website_url=website_url,
        company_name=company_name,
        scheduled=scheduled,
    )


def _link_stragglers(config: Settings) -> None:
    """Scans made by a path without the hook (the CLI, an older process) join their company on first read."""
    with session_scope(config, write=False) as session:
        missing = company_store.unlinked_scan_count(session)
    if missing:
        with session_scope(config) as session:
            company_store.attach_unlinked_scans(session)


def _company_json(company: company_store.Company) -> dict[str, Any]:
    return {
        "id": company.id,
        "name": company.name,
        "domain": company.domain,
        "scans_count": company.scans_count,
        "latest_scan_id": company.latest_scan_id,
        "latest_completed_at": _iso(company.latest_completed_at),
        "latest_score": company.latest_score,
        "latest_grade": company.latest_grade,
    }


def list_companies(
    config: Settings, *, org_id: str | None, page: int, per_page: int, search: str | None
) -> dict[str, Any]:
    """A page of the organisation's companies in the list envelope."""
    _link_stragglers(config)
    with session_scope(config, write=False) as session:
        found, total = company_store.list_companies(
            session, org_id=org_id, page=page, per_page=per_page, search=search
        )
    return {"items": [_company_json(c) for c in found], "page": page, "per_page": per_page, "total": total}


def company_detail(config: Settings, company_id: str, *, org_id: str | None) -> dict[str, Any]:
    """A company with its scans (newest first) and the score history of each thesis (oldest first)."""
    _link_stragglers(config)
    with session_scope(config, write=False) as session:
        company = company_store.get_company(session, company_id, org_id=org_id)
        scans = company_store.company_scans_newest_first(session, company_id)
    history: dict[str, dict[str, Any]] = {}
    for scan in reversed(scans):
        if scan.status != ScanStatus.COMPLETED or scan.report_id is None:
            continue
        entry = history.setdefault(
            scan.thesis, {"thesis": scan.thesis, "thesis_name": scan.thesis_name, "points": []}
        )
        entry["points"].append(
            {
                "scan_id": scan.id,
                "completed_at": _iso(scan.finished_at),
                "score": scan.score,
                "grade": scan.grade,
            }
        )
    body = _company_json(company)
    body["scans"] = [
        {
            "id": s.id,
            "status": s.status,
            "thesis": s.thesis,
            "thesis_name": s.thesis_name,
            "website_url": s.website_url,
            "createdAt": _iso(s.created_at),
            "finishedAt": _iso(s.finished_at),
            "scheduled": s.scheduled,
            "reportId": s.report_id,
            "score": s.score,
            "grade": s.grade,
        }
        for s in scans
    ]
    body["score_history"] = sorted(history.values(), key=lambda h: str(h["thesis"]))
    return body


def _completed_snapshot(session: Session, scan_id: str, *, org_id: str | None) -> tuple[Snapshot, str]:
    scan = repo.get_scan(session, scan_id, org_id=org_id)
    if scan.status != ScanStatus.COMPLETED:
        raise ConflictError(
            f"scan {scan_id} is {scan.status}; only completed scans can be compared",
            code="scan_not_completed",
        )
    return snapshot(
        scan, repo.all_evidence(session, scan_id), repo.latest_report(session, scan_id)
    ), scan.org_id


def scan_diff(
    config: Settings, scan_id: str, *, org_id: str | None, against: str | None = None
) -> dict[str, Any]:
    """What changed since the previous completed scan of the company (or since `against`, same organisation)."""
    _link_stragglers(config)
    with session_scope(config, write=False) as session:
        new, owner = _completed_snapshot(session, scan_id, org_id=org_id)
        if against is None:
            against = company_store.previous_completed_scan_id(session, scan_id)
            if against is None:
                raise ConflictError(
                    "this scan's company has no earlier completed scan to compare with; pass ?against=<scan id>",
                    code="no_previous_scan",
                )
        elif against == scan_id:
            raise ValidationError("against must be another scan", fields={"against": "the same scan"})
        try:
            old, _ = _completed_snapshot(session, against, org_id=owner)
        except NotFoundError as error:
            raise NotFoundError(f"scan {against} not found", fields={"against": "unknown scan"}) from error
    return diff_module.diff(old, new)


def previous_scan_diff(config: Settings, scan_id: str) -> dict[str, Any] | None:
    """The diff against the previous completed scan, or None when there is none (for reports and webhooks)."""
    try:
        return scan_diff(config, scan_id, org_id=None)
    except (ConflictError, NotFoundError):
        return None


def parse_scan_ids(raw: str | None) -> list[str]:
    """`a,b,c` → distinct ids in order; ValidationError unless there are 2 to 6."""
    ids = list(dict.fromkeys(part.strip() for part in (raw or "").split(",") if part.strip()))
    lo, hi = compare_module.MIN_SCANS, compare_module.MAX_SCANS
    if not lo <= len(ids) <= hi:
        raise ValidationError(
            f"scans must list {lo} to {hi} distinct completed scan ids separated by commas (got {len(ids)})",
            fields={"scans": f"between {lo} and {hi} distinct scan ids"},
        )
    for scan_id in ids:
        if len(scan_id) > 100 or not all(ch.isalnum() or ch in "._-" for ch in scan_id):
            raise ValidationError(f"scan id {scan_id[:100]!r} is malformed", fields={"scans": "malformed id"})
    return ids


def compare_scans(config: Settings, scan_ids: Sequence[str], *, org_id: str | None) -> dict[str, Any]:
    """2 to 6 completed scans of the caller's organisation side by side; 400 naming the scan that does not fit."""
    snaps = []
    with session_scope(config, write=False) as session:
        for scan_id in scan_ids:
            try:
                snaps.append(_completed_snapshot(session, scan_id, org_id=org_id)[0])
            except NotFoundError as error:
                raise ValidationError(
                    f"scan {scan_id} is not a scan of your organisation",
                    fields={"scans": f"unknown scan {scan_id}"},
                ) from error
            except ConflictError as error:
                raise ValidationError(
                    error.message, fields={"scans": f"scan {scan_id} is not completed"}
                ) from error
    return compare_module.compare(snaps)
