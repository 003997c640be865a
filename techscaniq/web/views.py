"""Server-rendered pages of the UI: scans, request form, live progress, report, method, sign-in."""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markupsafe import Markup
from werkzeug.wrappers import Response

from techscaniq import theses
from techscaniq.api import auth
from techscaniq.api.events import events_api
from techscaniq.config import Settings
from techscaniq.domain import EventKind, ScanStatus, StepName
from techscaniq.errors import AuthError, NotFoundError, TechScanError
from techscaniq.report.method import scoring_markdown
from techscaniq.scans import service
from techscaniq.web.report_view import build_report_view

web = Blueprint("web", __name__)

SCANS_PER_PAGE = 25
FEED_ITEMS = 25
WARNINGS_SHOWN = 50
_SAFE_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
STEP_LABELS = {StepName.EVIDENCE: "Evidence collection", StepName.REPORT: "Report generation"}


def init_ui(app: Flask, config: Settings) -> None:
    """Wire the UI into an app: session cookies and the SSE blueprint (the web blueprint is registered apart)."""
    auth.configure_sessions(app, config)
    if "events_api" not in app.blueprints:
        app.register_blueprint(events_api)


@web.app_context_processor
def _template_globals() -> dict[str, Any]:
    return {
        "csrf_token": auth.csrf_token,
        "viewer": auth.optional_viewer,
        "auth_mode": auth.settings().auth_mode,
        # Flower lives on its own origin: without one configured, its link would lead to a refusal.
        "flower_configured": bool(auth.settings().flower_host),
    }


@web.errorhandler(TechScanError)
def _page_error(error: TechScanError) -> ResponseReturnValue:
    return render_template("error.html", code=error.code, message=error.message), error.http_status


def _safe_next(target: str | None) -> str:
    """A local path to go to after sign-in; anything pointing elsewhere falls back to the scans list."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("web.scans")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return url_for("web.scans")
    return target


def _signed_in() -> auth.Viewer | Response:
    """The viewer, or a redirect to the sign-in page that comes back here."""
    viewer = auth.optional_viewer()
    if viewer is None:
        return redirect(url_for("web.sign_in_page", next=request.full_path.rstrip("?")))
    return viewer


@web.get("/")
def home() -> ResponseReturnValue:
    """The start page is the scans list."""
    return redirect(url_for("web.scans"))


@web.get("/signin")
def sign_in_page() -> ResponseReturnValue:
    """The sign-in form (API key)."""
    if auth.settings().auth_mode == "off":
        return redirect(_safe_next(request.args.get("next")))
    return render_template("signin.html", next=_safe_next(request.args.get("next")), error=None)


@web.post("/signin")
def sign_in() -> ResponseReturnValue:
    """Check the CSRF token and the key, then start the session."""
    auth.check_csrf(request)
    target = _safe_next(request.form.get("next"))
    try:
        auth.sign_in(request.form.get("api_key", ""))
    except AuthError as error:
        return render_template("signin.html", next=target, error=error.message), 401
    return redirect(target, code=303)


@web.post("/signout")
def sign_out() -> ResponseReturnValue:
    """End the session (CSRF-checked) and go back to the sign-in page."""
    auth.check_csrf(request)
    auth.sign_out()
    return redirect(url_for("web.sign_in_page"), code=303)


@web.get("/scans")
def scans() -> ResponseReturnValue:
    """The scans list with status filter, search and pages."""
    viewer = _signed_in()
    if isinstance(viewer, Response):
        return viewer
    status = request.args.get("status", "")
    status = status if status in {str(s) for s in ScanStatus} else ""
    search = (request.args.get("q") or "").strip()[:200]
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    rows, total = service.list_scans(
        auth.settings(),
        viewer,
        page=page,
        per_page=SCANS_PER_PAGE,
        status=status or None,
        search=search or None,
    )
    return render_template(
        "scans.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, math.ceil(total / SCANS_PER_PAGE)),
        status=status,
        search=search,
        statuses=[str(s) for s in ScanStatus],
    )


@web.get("/scans/new")
def new_scan() -> ResponseReturnValue:
    """The request-a-scan form with the thesis registry."""
    viewer = _signed_in()
    if isinstance(viewer, Response):
        return viewer
    stock = theses.list_theses()
    return render_template(
        "new_scan.html",
        theses=stock,
        default_thesis=theses.DEFAULT_THESIS,
        focus_areas=theses.FOCUS_AREAS,
        categories=[(str(slug), name) for slug, name in theses.CATEGORIES.items()],
        stock_criteria=[(c.id, c.name) for t in stock for c in t.criteria],
        max_criteria=theses.MAX_CRITERIA,
        total_weight=theses.TOTAL_WEIGHT,
        default_custom_threshold=theses.DEFAULT_CUSTOM_THRESHOLD,
        organization=viewer.org_name,
    )


@web.get("/scans/<scan_id>")
def scan(scan_id: str) -> ResponseReturnValue:
    """A scan's address leads to its progress page."""
    return redirect(url_for("web.progress", scan_id=scan_id))


@web.get("/scans/<scan_id>/progress")
def progress(scan_id: str) -> ResponseReturnValue:
    """Live progress: the state now from the database, then the event stream from where it left off."""
    viewer = _signed_in()
    if isinstance(viewer, Response):
        return viewer
    config = auth.settings()
    overview = service.scan_overview(config, viewer, scan_id)
    found, report, items = overview.scan, overview.report, overview.items
    events = service.all_events(config, scan_id)
    feed = [e for e in events if e.kind == EventKind.EVIDENCE][-FEED_ITEMS:]
    feed.reverse()
    warnings = [e for e in events if e.kind == EventKind.WARNING][-WARNINGS_SHOWN:]
    warnings.reverse()
    steps = [
        {"name": str(name), "label": STEP_LABELS[name], "step": found.steps[name]}
        for name in (StepName.EVIDENCE, StepName.REPORT)
        if name in found.steps
    ]
    return render_template(
        "progress.html",
        scan=found,
        report=report,
        steps=steps,
        items=items,
        pages=found.steps[StepName.EVIDENCE].pages_fetched if StepName.EVIDENCE in found.steps else 0,
        feed=feed,
        warnings=warnings,
        last_seq=events[-1].seq if events else 0,
        now=service.now(),
    )


@web.get("/reports/<report_id>")
def report_page(report_id: str) -> ResponseReturnValue:
    """The report with score cards, charts, cited sections, risks, roadmap and the evidence table."""
    viewer = _signed_in()
    if isinstance(viewer, Response):
        return viewer
    opened = service.open_report_page(auth.settings(), viewer, report_id, path=request.path)
    report, found = opened.report, opened.scan
    view = build_report_view(report, found, opened.evidence)
    categories = sorted({row["category"] for row in view.evidence})
    return render_template(
        "report.html",
        view=view,
        report=report,
        scan=found,
        categories=categories,
        cites=view.markers,
    )


@web.get("/reports/<report_id>/screenshot.png")
def report_screenshot(report_id: str) -> ResponseReturnValue:
    """The home-page PNG at the head of a report the viewer may see; 404 for another organisation's or none."""
    viewer = auth.current_viewer()
    if not _SAFE_ID.match(report_id):
        raise NotFoundError(f"report {report_id} not found")
    png = service.open_report_screenshot(auth.settings(), viewer, report_id)
    if png is None:
        raise NotFoundError(f"report {report_id} has no screenshot", code="screenshot_not_found")
    response = Response(png, mimetype="image/png")
    response.headers["Content-Disposition"] = f'inline; filename="screenshot-{report_id}.png"'
    # Private: the picture is as confidential as the report; reports are immutable versions, so it may be kept.
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def _heading_ids(state: StateCore) -> None:
    """Give every heading an id made of its words, so a page can link to a section (/method#recommendation-rule)."""
    taken: set[str] = set()
    for opening, inline in zip(state.tokens, state.tokens[1:], strict=False):
        if opening.type != "heading_open":
            continue
        slug = "-".join(re.findall(r"[a-z0-9]+", inline.content.lower())) or "section"
        unique, n = slug, 1
        while unique in taken:
            n += 1
            unique = f"{slug}-{n}"
        taken.add(unique)
        opening.attrSet("id", unique)


_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
_MARKDOWN.core.ruler.push("heading_ids", _heading_ids)


def render_markdown(text: str) -> Markup:
    """Markdown to HTML with raw HTML escaped and unsafe link schemes refused."""
    # Safe to mark up: markdown-it escapes raw HTML (html=False) and refuses javascript: links.
    return Markup(_MARKDOWN.render(text))


@web.get("/method")
def method() -> ResponseReturnValue:
    """How evidence is collected and scores, grades and recommendations are computed (docs/scoring.md)."""
    viewer = _signed_in()
    if isinstance(viewer, Response):
        return viewer
    # docs/scoring.md is generated from the same function (a test keeps them equal), so installed copies work too.
    # The page has its own title: the document's "# ..." line would be a second one.
    text = scoring_markdown()
    if text.startswith("# "):
        text = text.partition("\n")[2]
    body: Markup | None = render_markdown(text)
    return render_template("method.html", body=body, theses=theses.list_theses())
