"""Service functions the API, the UI and the CLI call for companies, diffs and comparisons."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from techscaniq.config import Settings
from techscaniq.domain import Evidence, Report, Scan, ScanStatus
from techscaniq.errors import ConflictError, NotFoundError, ValidationError
from techscaniq.report.model import Report as ReportModel
from techscaniq.report.model import WhatChanged
from techscaniq.storage import companies as company_store
from techscaniq.storage import repo, security_repo
from techscaniq.storage import reviews as review_store
from techscaniq.storage.db import session_scope
from techscaniq.workflow import compare as compare_module
from techscaniq.workflow import diff as diff_module
from techscaniq.workflow import judgement
from techscaniq.workflow.snapshot import SNAPSHOT_TYPES, Snapshot, snapshot

log = logging.getLogger(__name__)


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
    from techscaniq.workflow.schedules import get_schedule

    body["schedule"] = get_schedule(config, company_id)
    return body


def _completed_snapshot(session: Session, scan_id: str, *, org_id: str | None) -> tuple[Snapshot, str]:
    scan = repo.get_scan(session, scan_id, org_id=org_id)
    if scan.status != ScanStatus.COMPLETED:
        raise ConflictError(
            f"scan {scan_id} is {scan.status}; only completed scans can be compared",
            code="scan_not_completed",
        )
    evidence = company_store.evidence_of_types(session, scan_id, SNAPSHOT_TYPES)
    return snapshot(scan, evidence, company_store.latest_report_content(session, scan_id)), scan.org_id


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


# --- the analyst's judgement --------------------------------------------------------------------------------

REVIEW_COMMENT_MAX_CHARS = 2000


def _review_json(review: review_store.Review) -> dict[str, Any]:
    target = {"finding_id" if review.target_kind == "finding" else "criterion_id": review.target_id}
    return {
        "id": review.id,
        "report_id": review.report_id,
        "target": target,
        "verdict": review.verdict,
        "comment": review.comment,
        "score": review.score,
        "reviewer": review.key_label,
        "key_id": review.key_id,
        "createdAt": _iso(review.created_at),
    }


def _parse_review(body: dict[str, Any]) -> tuple[str, str, str, str | None, int | None]:
    """(target kind, target id, verdict, comment, score) from a review body; ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    target = body.get("target")
    kind = target_id = ""
    if not isinstance(target, dict) or len(target) != 1 or not ({"finding_id", "criterion_id"} & set(target)):
        errors["target"] = 'one of {"finding_id": …} or {"criterion_id": …}'
    else:
        ((key, value),) = target.items()
        kind = "finding" if key == "finding_id" else "criterion"
        if not isinstance(value, str) or not 0 < len(value) <= 200:
            errors["target"] = f"{key} must be a non-empty string of at most 200 characters"
        else:
            target_id = value
    verdict = body.get("verdict")
    if verdict not in judgement.VERDICTS:
        errors["verdict"] = "confirmed, disputed or note"
    comment = body.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > REVIEW_COMMENT_MAX_CHARS):
        errors["comment"] = f"a string of at most {REVIEW_COMMENT_MAX_CHARS} characters"
        comment = None
    comment = comment.strip() if isinstance(comment, str) and comment.strip() else None
    score = body.get("score")
    if score is not None:
        if kind == "finding":
            errors["score"] = "only a criterion's score can be overridden"
        elif isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 100:
            errors["score"] = "a whole number from 0 to 100"
    if comment is None and (verdict in ("disputed", "note") or score is not None):
        errors["comment"] = "say why: a dispute, a note and a score override need a comment"
    unknown = set(body) - {"target", "verdict", "comment", "score"}
    if unknown:
        errors[sorted(unknown)[0]] = "unknown field"
    if errors:
        raise ValidationError(next(iter(errors.values())), fields=errors)
    return kind, target_id, str(verdict), comment, score


def add_review(
    config: Settings, report_id: str, body: dict[str, Any], *, org_id: str | None, key_id: str | None
) -> dict[str, Any]:
    """Record a review of one finding or criterion of a report version (audited)."""
    with session_scope(config, write=False) as session:
        repo.get_report(session, report_id, org_id=org_id)  # an unknown report is 404 whatever the body
    kind, target_id, verdict, comment, score = _parse_review(body)
    with session_scope(config) as session:
        report = repo.get_report(session, report_id, org_id=org_id)
        known = (
            judgement.finding_ids(report.content)
            if kind == "finding"
            else judgement.criterion_ids(report.content)
        )
        if target_id not in known:
            raise ValidationError(
                f"this report has no {kind} {target_id!r}", fields={"target": f"unknown {kind} id"}
            )
        scan = repo.get_scan(session, report.scan_id)
        review = review_store.add_review(
            session,
            report_id=report_id,
            scan_id=report.scan_id,
            key_id=key_id,
            target_kind=kind,
            target_id=target_id,
            verdict=verdict,
            comment=comment,
            score=score,
        )
        security_repo.record_audit(
            session,
            action="report.review",
            org_id=scan.org_id,
            key_id=key_id,
            scan_id=report.scan_id,
            report_id=report_id,
            detail={
                "review_id": review.id,
                "target_kind": kind,
                "target_id": target_id,
                "verdict": verdict,
                "score": score,
            },
        )
    return _review_json(review)


def list_reviews(config: Settings, report_id: str, *, org_id: str | None) -> dict[str, Any]:
    """A report version's reviews, oldest first."""
    with session_scope(config, write=False) as session:
        repo.get_report(session, report_id, org_id=org_id)
        found = review_store.list_reviews(session, report_id)
    return {"items": [_review_json(r) for r in found]}


def publish_report(
    config: Settings, report_id: str, *, org_id: str | None, key_id: str | None
) -> dict[str, Any]:
    """Write a new report version with the reviews of `report_id` applied; the reviewed version stays as it was."""
    with session_scope(config) as session:
        report = repo.get_report(session, report_id, org_id=org_id)
        reviews = review_store.list_reviews(session, report_id)
        if not reviews:
            raise ConflictError("this report version has no reviews to publish", code="no_reviews")
        scan = repo.get_scan(session, report.scan_id)
        source = {
            "published_from_report_id": report.id,
            "published_from_version": report.version,
            "published_by": review_store.key_label(session, key_id),
            "published_at": datetime.now(UTC).isoformat(),
        }
        result = judgement.publish(report.content, reviews, source=source)
        new = repo.save_report(
            session,
            report.scan_id,
            # Through the typed model: a published version loads and renders like the machine's.
            content=ReportModel.model_validate(result.content).to_json(),
            writer=f"{report.writer}+analyst",
            score=result.score,
            grade=result.grade,
            report_citations=report.citations,
        )
        security_repo.record_audit(
            session,
            action="report.publish",
            org_id=scan.org_id,
            key_id=key_id,
            scan_id=report.scan_id,
            report_id=new.id,
            detail={
                "from_report_id": report.id,
                "from_version": report.version,
                "version": new.version,
                "changes": len(result.changes),
                "reviews": len(reviews),
            },
        )
    return {
        "id": new.id,
        "scan_id": new.scan_id,
        "version": new.version,
        "published_from": report.id,
        "score": new.score,
        "grade": new.grade,
        "original": {"score": report.score, "grade": report.grade},
        "changes": result.changes,
        "createdAt": _iso(new.created_at),
    }


def review_sheet(config: Settings, report_id: str, *, org_id: str | None) -> dict[str, Any]:
    """What the review page shows: the version, its findings and criteria, and their newest reviews."""
    with session_scope(config, write=False) as session:
        report = repo.get_report(session, report_id, org_id=org_id)
        found = review_store.list_reviews(session, report_id)
    latest = {(r.target_kind, r.target_id): _review_json(r) for r in found}
    findings: dict[str, dict[str, Any]] = {}
    for node in judgement.finding_nodes(report.content):
        findings.setdefault(
            str(node["id"]),
            {
                "id": str(node["id"]),
                "text": node.get("text"),
                "name": node.get("rule_name"),
                "impact": node.get("impact"),
                "review": latest.get(("finding", str(node["id"]))),
            },
        )
    criteria = [
        {
            "id": str(c.get("id")),
            "name": c.get("name"),
            "score": c.get("score"),
            "weight": c.get("weight"),
            "review": latest.get(("criterion", str(c.get("id")))),
        }
        for c in (report.content.get("scores") or {}).get("criteria") or ()
    ]
    return {
        "report_id": report.id,
        "scan_id": report.scan_id,
        "version": report.version,
        "score": report.score,
        "grade": report.grade,
        "findings": list(findings.values()),
        "criteria": criteria,
        "reviews": [_review_json(r) for r in found],
        "judgement": report.content.get("analyst_judgement"),
    }


def _as_stored(node: Any) -> Any:
    """The diff as a report section: `evidence_ids` become `evidence` (they name two scans' items, not this one's)."""
    if isinstance(node, dict):
        return {("evidence" if k == "evidence_ids" else k): _as_stored(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_as_stored(v) for v in node]
    return node


def what_changed_section(
    config: Settings, scan: Scan, evidence: Sequence[Evidence], content: dict[str, Any]
) -> dict[str, Any]:
    """`{"what_changed": …}` for a report being built when its company has an earlier completed scan, else `{}`."""
    try:
        with session_scope(config, write=False) as session:
            if company_store.company_id_of_scan(session, scan.id) is None:
                return {}
            earlier = company_store.previous_completed_scan_id(session, scan.id)
            if earlier is None:
                return {}
            old, _ = _completed_snapshot(session, earlier, org_id=scan.org_id)
        draft = Report(id="", scan_id=scan.id, version=0, content=content, writer="", created_at=datetime.now(UTC),
                       score=None, grade=None)  # fmt: skip
        section = WhatChanged.model_validate(
            _as_stored(diff_module.diff(old, snapshot(scan, evidence, draft)))
        )
        return {"what_changed": section.to_json()}
    except Exception:  # the section is an extra: a report never fails for it
        log.exception("what-changed section of scan %s skipped", scan.id)
        return {}
