"""Report renderings: GET /api/reports/<id>.md, .html and .pdf (the PDF is rendered once and cached)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from flask import Blueprint, Response, request
from flask.typing import ResponseReturnValue

from techscaniq.api.auth import current_viewer, settings
from techscaniq.config import Settings
from techscaniq.domain import Report
from techscaniq.errors import NotFoundError
from techscaniq.report import render
from techscaniq.report.files import PDF_CACHE_FOLDER, pdf_cache_path  # noqa: F401 - re-exported
from techscaniq.scans import service

reports_api = Blueprint("reports_api", __name__, url_prefix="/api/reports")

_SAFE_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def _export(report_id: str, file_format: str) -> Report:
    """The report for an export route, with the export recorded in the audit log."""
    if not _SAFE_ID.match(report_id):
        raise NotFoundError(f"report {report_id} not found")
    return service.open_report(
        settings(), current_viewer(), report_id, action="report.export", path=request.path, format=file_format
    )


def _filename(report: Report, suffix: str) -> str:
    return f"techscaniq-report-{report.id}-v{report.version}.{suffix}"


@reports_api.get("/<report_id>.md")
def report_markdown(report_id: str) -> ResponseReturnValue:
    """The report as Markdown."""
    report = _export(report_id, "md")
    response = Response(render.render_markdown(report.content), mimetype="text/markdown")
    response.headers["Content-Disposition"] = f'inline; filename="{_filename(report, "md")}"'
    return response


@reports_api.get("/<report_id>.html")
def report_html(report_id: str) -> ResponseReturnValue:
    """The report as one self-contained HTML page; its CSP allows no script."""
    report = _export(report_id, "html")
    css = render.stylesheet()
    shot = service.report_screenshot(settings(), report)
    response = Response(render.render_html(report.content, shot), mimetype="text/html")
    response.headers["Content-Security-Policy"] = render.content_security_policy(css)
    return response


def cached_pdf(config: Settings, report: Report) -> bytes:
    """The report's PDF: read from the cache, else rendered (headed by its screenshot), written atomically."""
    path = pdf_cache_path(config.data_dir, report.id)
    if path.is_file():
        return path.read_bytes()
    pdf = render.render_pdf(report.content, service.report_screenshot(config, report))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(pdf)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return pdf


@reports_api.get("/<report_id>.pdf")
def report_pdf(report_id: str) -> ResponseReturnValue:
    """The report as PDF; 503 pdf_unavailable (with what to install) when WeasyPrint cannot run here."""
    report = _export(report_id, "pdf")
    pdf = cached_pdf(settings(), report)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{_filename(report, "pdf")}"'
    return response
