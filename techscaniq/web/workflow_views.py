"""UI pages of the analyst's workflow: companies, a company over time, what changed, scans side by side."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from techscaniq.api import auth
from techscaniq.errors import TechScanError
from techscaniq.theses import list_theses
from techscaniq.workflow import schedules, service

workflow_web = Blueprint("workflow_web", __name__)

COMPANIES_PER_PAGE = 25
# The score-over-time chart's drawing area (SVG user units).
CHART_LEFT, CHART_TOP, CHART_WIDTH, CHART_HEIGHT = 48, 16, 600, 220
SERIES_CLASSES = ("series-a", "series-b", "series-c", "series-d", "series-e", "series-f", "series-g")


@workflow_web.errorhandler(TechScanError)
def _page_error(error: TechScanError) -> ResponseReturnValue:
    return render_template("error.html", code=error.code, message=error.message), error.http_status


def _viewer() -> auth.Viewer | Response:
    viewer = auth.optional_viewer()
    if viewer is None:
        return redirect(url_for("web.sign_in_page", next=request.full_path.rstrip("?")))
    return viewer


def score_chart(history: list[dict[str, Any]]) -> dict[str, Any]:
    """Points of each thesis's score line, placed in order of scan completion (scores 0-100 on the y axis)."""
    moments = sorted(
        {p["completed_at"] or "" for h in history for p in h["points"] if p["score"] is not None}
    )
    step = CHART_WIDTH / max(1, len(moments) - 1)
    x_of = {
        moment: CHART_LEFT + (i * step if len(moments) > 1 else CHART_WIDTH / 2)
        for i, moment in enumerate(moments)
    }
    series = []
    for index, line in enumerate(history):
        points = [
            {
                "x": round(x_of[p["completed_at"] or ""], 1),
                "y": round(CHART_TOP + CHART_HEIGHT * (1 - p["score"] / 100), 1),
                **p,
            }
            for p in line["points"]
            if p["score"] is not None
        ]
        if not points:
            continue
        series.append(
            {
                "thesis": line["thesis"],
                "name": line["thesis_name"] or line["thesis"],
                "css": SERIES_CLASSES[index % len(SERIES_CLASSES)],
                "points": points,
                "path": " ".join(f"{pt['x']},{pt['y']}" for pt in points),
            }
        )
    return {
        "series": series,
        "left": CHART_LEFT,
        "top": CHART_TOP,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "ticks": [{"value": v, "y": CHART_TOP + CHART_HEIGHT * (1 - v / 100)} for v in (0, 25, 50, 75, 100)],
    }


@workflow_web.get("/companies")
def companies() -> ResponseReturnValue:
    """The organisation's companies with their latest score."""
    viewer = _viewer()
    if isinstance(viewer, Response):
        return viewer
    search = (request.args.get("q") or "").strip()[:200]
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    body = service.list_companies(
        auth.settings(),
        org_id=viewer.scope_org_id,
        page=page,
        per_page=COMPANIES_PER_PAGE,
        search=search or None,
    )
    return render_template(
        "companies.html",
        body=body,
        search=search,
        page=page,
        pages=max(1, math.ceil(body["total"] / COMPANIES_PER_PAGE)),
    )


@workflow_web.get("/companies/<company_id>")
def company(company_id: str) -> ResponseReturnValue:
    """A company: its score over time per thesis, and its scans."""
    viewer = _viewer()
    if isinstance(viewer, Response):
        return viewer
    body = service.company_detail(auth.settings(), company_id[:100], org_id=viewer.scope_org_id)
    return render_template(
        "company.html",
        company=body,
        chart=score_chart(body["score_history"]),
        theses=[t.slug for t in list_theses()],
        error=request.args.get("error"),
    )


@workflow_web.get("/scans/<scan_id>/changes")
def changes(scan_id: str) -> ResponseReturnValue:
    """What changed since the company's previous completed scan (or `?against=`)."""
    viewer = _viewer()
    if isinstance(viewer, Response):
        return viewer
    against = (request.args.get("against") or "").strip()[:100] or None
    body = service.scan_diff(auth.settings(), scan_id[:100], org_id=viewer.scope_org_id, against=against)
    return render_template("changes.html", diff=body)


@workflow_web.get("/compare")
def compare() -> ResponseReturnValue:
    """Scans side by side; `?scans=a,b` or one `scan=` per ticked box of the scans list."""
    viewer = _viewer()
    if isinstance(viewer, Response):
        return viewer
    raw = request.args.get("scans") or ",".join(request.args.getlist("scan"))
    scan_ids = service.parse_scan_ids(raw)
    body = service.compare_scans(auth.settings(), scan_ids, org_id=viewer.scope_org_id)
    return render_template("compare.html", cmp=body)


@workflow_web.get("/reports/<report_id>/review")
def review_page(report_id: str) -> ResponseReturnValue:
    """Confirm, dispute or note each finding, override criterion scores, and publish a new version."""
    viewer = _viewer()
    if isinstance(viewer, Response):
        return viewer
    sheet = service.review_sheet(auth.settings(), report_id[:100], org_id=viewer.scope_org_id)
    return render_template("review.html", sheet=sheet, error=request.args.get("error"))


@workflow_web.post("/reports/<report_id>/review")
def review_submit(report_id: str) -> ResponseReturnValue:
    """One review from the review page's form (CSRF-checked); back to the page."""
    viewer = _viewer()
    if isinstance(viewer, Response):
        return viewer
    auth.check_csrf(request)
    form = request.form
    target = {f"{form.get('kind', '')}_id": form.get("target", "")}
    body: dict[str, Any] = {"target": target, "verdict": form.get("verdict", "")}
    if form.get("comment", "").strip():
        body["comment"] = form["comment"]
    if form.get("score", "").strip():
        try:
            body["score"] = int(form["score"])
        except ValueError:
            body["score"] = form["score"]
    try:
        service.add_review(
            auth.settings(), report_id[:100], body, org_id=viewer.scope_org_id, key_id=viewer.key_id
        )
    except TechScanError as error:
        if error.http_status != 400:
            raise
        return redirect(
            url_for("workflow_web.review_page", report_id=report_id, error=error.message), code=303
        )
    return redirect(url_for("workflow_web.review_page", report_id=report_id) + "#reviews", code=303)


@workflow_web.post("/reports/<report_id>/publish")
def publish_submit(report_id: str) -> ResponseReturnValue:
    """Publish the reviewed version (CSRF-checked) and open the new one."""
    viewer = _viewer()
    if isinstance(viewer, Response):
        return viewer
    auth.check_csrf(request)
    body = service.publish_report(
        auth.settings(), report_id[:100], org_id=viewer.scope_org_id, key_id=viewer.key_id
    )
    return redirect(url_for("web.report_page", report_id=body["id"]), code=303)


@workflow_web.post("/companies/<company_id>/schedule")
def schedule_submit(company_id: str) -> ResponseReturnValue:
    """Set (or, with `stop`, remove) the company's re-scan schedule from its page (CSRF-checked)."""
    viewer = _viewer()
    if isinstance(viewer, Response):
        return viewer
    auth.check_csrf(request)
    config = auth.settings()
    if request.form.get("stop"):
        schedules.delete_schedule(config, company_id[:100], org_id=viewer.scope_org_id)
    else:
        raw = request.form.get("every_days", "").strip()
        body: dict[str, Any] = {"every_days": int(raw) if raw.isdigit() else raw}
        if request.form.get("thesis"):
            body["thesis"] = request.form["thesis"]
        try:
            schedules.put_schedule(
                config, company_id[:100], body, org_id=viewer.scope_org_id, key_id=viewer.key_id
            )
        except TechScanError as error:
            if error.http_status != 400:
                raise
            target = url_for("workflow_web.company", company_id=company_id, error=error.message)
            return redirect(target + "#schedule", code=303)
    return redirect(url_for("workflow_web.company", company_id=company_id) + "#schedule", code=303)
