"""Rendered reports: the PDF (pages, text, no network), and GET /api/reports/<id>.md|.html|.pdf end to end."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from techscaniq.api.reports import pdf_cache_path, reports_api
from techscaniq.app import create_app
from techscaniq.report import audit, render
from techscaniq.report.writer import write_report
from techscaniq.storage import repo
from techscaniq.storage.db import dispose_engines, migrate, session_scope
from techscaniq.storage.tables import reports
from tests.support.databases import Database, make_database, settings_for
from tests.support.dns_fixtures import Tripwire
from tests.support.report_samples import sample_evidence, sample_scan
from tests.support.stored_scans import stored_report

pytestmark = pytest.mark.integration

MIN_PAGES, MAX_PAGES = 15, 60


@pytest.fixture(scope="module")
def rendered() -> tuple[Any, bytes]:
    written = write_report(sample_scan(), sample_evidence(300))
    return written, render.render_pdf(written.content)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def test_pdf_has_the_expected_pages_and_text(rendered: tuple[Any, bytes]) -> None:
    written, pdf = rendered
    assert pdf.startswith(b"%PDF-")
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert MIN_PAGES <= pages <= MAX_PAGES, pages
    text = _text(pdf)
    for expected in (
        "Northwind Ledger",
        "1. Executive summary",
        "Recommendation: Proceed",
        "2. Scores",
        "Criterion scores against the threshold",
        "Category scores",
        "6. Risk register",
        "R-01",
        "7. Value-creation roadmap",
        "8. Data gaps",
        "9. Evidence appendix",
        "status_history",
        "Page 1 of",
    ):
        assert expected in text, expected
    assert audit.text_problems(text, written.citations) == []


def test_pdf_rendering_makes_no_request(tripwire: Tripwire) -> None:
    remote = f"http://{tripwire.host}:{tripwire.port}"
    evidence = [
        replace(e, data={**e.data, "logo": f"{remote}/logo.png"}, source_url=f"{remote}/about")
        if e.type == "organization"
        else e
        for e in sample_evidence(40)
    ]
    content = write_report(sample_scan(), evidence).content
    html = render.render_html(content)
    assert remote in html  # the evidence URL is in the document, as text and a link
    # Remote resources of every kind a document can name, pointed at the tripwire.
    hostile = html.replace(
        "</body>",
        f'<img src="{remote}/logo.png"><link rel="stylesheet" href="{remote}/x.css">'
        f'<div style="background: url({remote}/bg.png)">x</div>'
        '<img src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==">'
        "</body>",
    )
    fetcher = render.OfflineFetcher()
    pdf = render.html_to_pdf(hostile, fetcher)
    assert pdf.startswith(b"%PDF-")
    assert any(url.startswith(remote) for url in fetcher.refused)
    assert not any(url.startswith("data:") for url in fetcher.refused)
    # The tripwire fixture fails this test at teardown if anything connected.


def test_the_tripwire_would_see_weasyprints_default_fetcher() -> None:
    """Control: without our fetcher WeasyPrint does connect, so the test above can fail."""
    from weasyprint import HTML

    wire = Tripwire()
    try:
        HTML(string=f'<img src="http://{wire.host}:{wire.port}/logo.png">').write_pdf()
        assert wire.connections
    finally:
        wire.close()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Any]:
    database: Database = make_database("sqlite", tmp_path)
    settings = settings_for(database, TECHSCANIQ_DATA_DIR=str(tmp_path / "data"))
    migrate(settings)
    with session_scope(settings) as session:
        _, key = repo.create_api_key(session, "Firm", label=None, is_admin=False)
        _, other_key = repo.create_api_key(session, "Rival", label=None, is_admin=False)
    app = create_app(settings)
    if "reports_api" not in app.blueprints:
        app.register_blueprint(reports_api)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    client.settings = settings  # type: ignore[attr-defined]
    client.other_key = other_key  # type: ignore[attr-defined]
    yield client
    dispose_engines()


def test_markdown_and_html_endpoints(api: Any) -> None:
    report_id = stored_report(api.settings, "Firm", "Northwind <b>Ledger</b>")
    markdown = api.get(f"/api/reports/{report_id}.md")
    assert markdown.status_code == 200 and markdown.mimetype == "text/markdown"
    assert "Northwind &lt;b&gt;Ledger&lt;/b&gt;" in markdown.get_data(as_text=True)
    html = api.get(f"/api/reports/{report_id}.html")
    assert html.status_code == 200 and html.mimetype == "text/html"
    body = html.get_data(as_text=True)
    assert "Northwind &lt;b&gt;Ledger&lt;/b&gt;" in body and "<b>Ledger" not in body
    assert html.headers["Content-Security-Policy"].startswith("default-src 'none'; style-src 'sha256-")
    with session_scope(api.settings, write=False) as session:
        stored = repo.get_report(session, report_id)
    assert audit.html_problems(body, stored.citations) == []
    assert audit.markdown_problems(markdown.get_data(as_text=True), stored.content, stored.citations) == []


def test_reports_of_another_organisation_are_not_found(api: Any) -> None:
    report_id = stored_report(api.settings, "Firm", "Northwind Ledger")
    for suffix in ("md", "html", "pdf"):
        response = api.get(
            f"/api/reports/{report_id}.{suffix}", headers={"Authorization": f"Bearer {api.other_key}"}
        )
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert api.get("/api/reports/no-such-report.md").status_code == 404
    assert api.get(f"/api/reports/{report_id}.md", headers={"Authorization": ""}).status_code == 401


def test_pdf_is_rendered_once_and_served_from_the_cache(api: Any) -> None:
    report_id = stored_report(api.settings, "Firm", "Northwind Ledger")
    cache = pdf_cache_path(api.settings.data_dir, report_id)
    assert not cache.exists()
    first = api.get(f"/api/reports/{report_id}.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF-") and cache.read_bytes() == first.data
    cache.write_bytes(b"%PDF-cached copy")  # a second request must not render again
    assert api.get(f"/api/reports/{report_id}.pdf").data == b"%PDF-cached copy"


_NO_PANGO = """
import sys, json, pathlib, uuid
fake = pathlib.Path(sys.argv[1]) / "weasyprint"
fake.mkdir()
(fake / "__init__.py").write_text("raise OSError(\\"cannot load library 'libpango-1.0-0': not found\\")")
sys.path.insert(0, sys.argv[1])
from techscaniq.config import Settings
from techscaniq.app import create_app
from techscaniq.api.reports import reports_api
from techscaniq.report import render
from tests.support.report_samples import sample_evidence, sample_scan
from techscaniq.report.writer import write_report
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope, migrate
from techscaniq.domain import StepName
settings = Settings.from_env({"DATABASE_URL": "sqlite:///" + sys.argv[1] + "/t.db", "TECHSCANIQ_AUTH": "off",
                              "TECHSCANIQ_DATA_DIR": sys.argv[1]})
migrate(settings)
app = create_app(settings)
if "reports_api" not in app.blueprints:
    app.register_blueprint(reports_api)
client = app.test_client()
client.get("/api/health")
with session_scope(settings) as session:
    org_id = repo.get_or_create_org(session, repo.DEFAULT_ORG_NAME)
    scan = sample_scan()
    scan_id = str(uuid.uuid4())
    repo.create_scan(session, scan_id=scan_id, org_id=org_id, created_by_key_id=None, company_name="N",
        website_url=scan.website_url, primary_criteria=scan.primary_criteria, thesis=scan.thesis,
        thesis_tags=[], requestor_name=None, organization_name=None, company_description=None, metadata={},
        task_ids={s: scan_id + str(s) for s in StepName})
    written = write_report(scan, [])
    report = repo.save_report(session, scan_id, content=written.content, writer="deterministic", score=None,
                              grade=None, report_citations=[])
pdf = client.get("/api/reports/" + report.id + ".pdf")
md = client.get("/api/reports/" + report.id + ".md")
print(json.dumps({"pdf": pdf.status_code, "body": pdf.json, "md": md.status_code}))
"""


def test_missing_pdf_libraries_answer_503_with_what_to_install(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_NO_PANGO), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["md"] == 200
    assert result["pdf"] == 503
    error = result["body"]["error"]
    assert error["code"] == "pdf_unavailable"
    assert (
        "apt-get install libpango-1.0-0" in error["message"]
        and "libpango-1.0-0': not found" in error["message"]
    )


def test_a_stored_report_this_version_cannot_read_answers_409_saying_how_to_write_it_again(api: Any) -> None:
    report_id = stored_report(api.settings, "Firm", "Northwind Ledger")
    with session_scope(api.settings) as session:
        stored = repo.get_report(session, report_id)
        content = {**stored.content, "scores": "not an object"}  # as another version might have written it
        session.execute(update(reports).where(reports.c.id == report_id).values(content=content))
    for suffix in ("md", "html", "pdf"):
        response = api.get(f"/api/reports/{report_id}.{suffix}")
        assert response.status_code == 409, (suffix, response.data[:300])
        error = response.json["error"]
        assert error["code"] == "report_unreadable" and "jobType 'report'" in error["message"], error
        assert "scores" in error["message"]
