"""Renderings of the canonical report JSON: Markdown, self-contained HTML (inline SVG charts) and PDF."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import jinja2
from markupsafe import escape

from techscaniq.domain import Evidence
from techscaniq.errors import TechScanError
from techscaniq.report.model import FindingStatement, Report, RiskCondition, TableBlock
from techscaniq.report.screenshot import in_utc
from techscaniq.report.view import ReportView, cite_numbers, report_view

TEMPLATES = "templates"
PASS_COLOUR = "#1e7d32"
FAIL_COLOUR = "#b3261e"
BAR_COLOUR = "#23406b"
MUTED_COLOUR = "#98a2b3"
INSTALL_HINT = (
    "PDF rendering needs WeasyPrint and its system libraries (Pango, HarfBuzz, fontconfig). Debian/Ubuntu: "
    "apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core; "
    "macOS: brew install pango; then pip install 'weasyprint>=66'."
)


class PdfUnavailable(TechScanError):
    """WeasyPrint or its system libraries are missing; everything else still works."""

    code = "pdf_unavailable"
    http_status = 503
    retryable = False


# --- shared ----------------------------------------------------------------------------------------------


def _template_text(name: str) -> str:
    return resources.files("techscaniq.report").joinpath(TEMPLATES, name).read_text(encoding="utf-8")


def template_dir() -> Path:
    """The packaged templates folder (the only files the PDF fetcher may read)."""
    return Path(str(resources.files("techscaniq.report").joinpath(TEMPLATES))).resolve()


# --- Markdown --------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>])")
# C0 and C1 controls, DEL and the Unicode line and paragraph separators: any of them can end a Markdown line.
_MD_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def md_escape(text: Any) -> str:
    """Text safe for Markdown: HTML entities for <, >, & and backslashes before Markdown syntax."""
    raw = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", _MD_CONTROL.sub(" ", raw))


def md_marks(node: Any) -> str:
    """Footnote markers of a statement (a part of the typed report or its JSON)."""
    return "".join(f"[^{n}]" for n in cite_numbers(node))


def _md_stmt(node: Any) -> str:
    return f"{md_escape(node.text)} {md_marks(node)}"


def _md_cited_or_plain(node: Any) -> str:
    """A cited statement with its markers, or plain text when it rests on no evidence (an absence)."""
    return _md_stmt(node) if cite_numbers(node) else md_escape(node.text)


def _md_finding(f: FindingStatement) -> str:
    return f"- {_md_stmt(f)} ({f.rule}, {f.impact}, {f.severity}, {f.points:+d} points)"


def _md_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(md_escape(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _what_changed_markdown(view: ReportView) -> list[str]:
    """The analyst's workflow: the judgement notice of a published version, and "What changed since <date>"."""
    out: list[str] = []
    judgement = view.analyst_judgement
    if judgement:
        from techscaniq.workflow.text import judgement_markdown

        out.append(judgement_markdown(judgement))
    if view.what_changed:
        from techscaniq.workflow.text import diff_markdown

        out.append(diff_markdown(view.what_changed, heading="##"))
    return out


def _md_behind(findings: Sequence[FindingStatement]) -> str:
    return "; ".join(f"{f.rule} {f.points:+d} [^{f.cite}]" for f in findings) or "no evidence"


def render_markdown(report: Mapping[str, Any] | Report | ReportView) -> str:
    """The report as Markdown; every cited statement ends in footnote markers that resolve to evidence."""
    view = report_view(report)
    sections = (_md_summary, _md_scores, _md_confidence, _md_areas, _md_deep_dive, _md_risks, _md_roadmap)
    out = [line for section in sections for line in section(view)]
    return "\n".join(out + _md_appendix(view)) + "\n"


def _md_screenshot(view: ReportView) -> str:
    """The screenshot's line: URL, time and evidence id (the picture itself is only in the HTML and PDF)."""
    shot = view.screenshot
    if shot is None:
        return f"- Home-page screenshot: {md_escape(view.screenshot_note)}"
    if not shot.taken:
        return f"- Home-page screenshot: {_md_stmt(shot)}"
    return (
        f"- Home-page screenshot: {_md_stmt(shot)} Evidence `{view.screenshot_evidence_id}`; the picture "
        "is in the HTML and PDF reports."
    )


def _md_summary(view: ReportView) -> list[str]:
    h = view.header
    es = view.summary
    out: list[str] = [
        f"# {md_escape(h.company)}: technology due diligence",
        "",
        f"- Website: {md_escape(h.website_url)}",
        f"- Thesis: {md_escape(h.thesis.name)} (`{h.thesis.slug}`), threshold {h.thesis.threshold}",
        f"- Scan: `{h.scan_id}`, created {readable_time(h.dates.scan_created)}",
        f"- Evidence: {h.evidence_count} items, {readable_time(h.dates.evidence_from)} to "
        f"{readable_time(h.dates.evidence_to)}",
        f"- Writer: {md_escape(view.writer_label)}; method version {h.method_version}",
        _md_screenshot(view),
        "",
        *_what_changed_markdown(view),
        "## 1. Executive summary",
        "",
        md_escape(es.fit),
        "",
    ]
    out += [_md_stmt(s) + "\n" for s in es.narrative]
    recommendation = view.recommendation
    because = recommendation.because
    out += [
        f"**Recommendation: {view.decision}**" + (f" because {md_escape(because)}." if because else "")
        if view.decision
        else "**No recommendation: insufficient evidence**",
        "",
    ]
    for r in recommendation.reasons:
        out.append(f"- Why: {_md_cited_or_plain(r)}")
    for c in recommendation.conditions:
        risk = f" ({c.risk})" if isinstance(c, RiskCondition) else ""
        out.append(f"- Condition: {_md_cited_or_plain(c)}{risk}")
    out += ["", "### Top upsides", ""]
    out += [_md_finding(f) for f in es.upsides] or ["No positive finding."]
    out += ["", "### Top risks", ""]
    out += [f"- {r.risk} ({r.likelihood} likelihood, {r.impact} impact): {_md_stmt(r)}" for r in es.risks]
    out += ["", "### Next steps", ""] + [f"{i}. {md_escape(s)}" for i, s in enumerate(es.next_steps, 1)]
    return out


def _md_scores(view: ReportView) -> list[str]:
    scores = view.report.scores
    total = scores.total
    out = ["", "## 2. Scores", ""]
    if total.score is not None:
        verdict = "pass" if total.passed else "fail"
        out.append(
            f"Weighted total **{total.score}/100** (grade {total.grade}) against the threshold of "
            f"{total.threshold}: **{verdict}**. Scored weight {total.scored_weight}, unscored weight "
            f"{total.unscored_weight}."
        )
    else:
        out.append(
            f"**Insufficient evidence: no total.** Scored weight {total.scored_weight}, unscored weight "
            f"{total.unscored_weight}."
        )
    out.append("")
    rows = [
        [
            md_escape(c.name),
            str(c.weight),
            str(c.score) if c.score is not None else "not scored",
            c.band or "-",
            str(c.points) if c.points is not None else "-",
            f"{_md_behind(c.findings)} ({md_escape(c.trace)})",
        ]
        for c in scores.criteria
    ]
    out += _md_table(["Criterion", "Weight", "Score", "Band", "Points", "Findings behind it"], rows)
    rows = [
        [
            md_escape(c.name),
            str(c.score if c.score is not None else "not scored"),
            c.grade or "-",
            _md_behind(c.findings),
        ]
        for c in scores.categories
    ]
    out += ["### Category scores", "", *_md_table(["Category", "Score", "Grade", "Findings behind it"], rows)]
    return [*out, f"_{md_escape(scores.method)}_", ""]


def _md_confidence(view: ReportView) -> list[str]:
    cf = view.report.confidence
    out = [
        "## 3. Confidence",
        "",
        f"Coverage confidence **{cf.coverage_confidence}/100 ({cf.label})**; {cf.observed_items} observed "
        f"items; status: {cf.status}"
        + (f" ({md_escape(cf.insufficient_reason)})" if cf.insufficient_reason else "")
        + ".",
        "",
    ]
    if cf.missing_critical_evidence:
        out += ["Missing critical evidence: " + ", ".join(cf.missing_critical_evidence) + ".", ""]
    return out


def _md_areas(view: ReportView) -> list[str]:
    out = ["## 4. Findings by area", ""]
    for area in view.report.findings_by_area:
        out += [f"### {md_escape(area.title)}", ""]
        out += [_md_stmt(s) + "\n" for s in area.narrative]
        out += [_md_finding(f) for f in area.findings]
        for block in area.blocks:
            out += ["", f"**{md_escape(block.title)}**", ""]
            if isinstance(block, TableBlock):
                rows = [[md_escape(cell) for cell in r.cells] + [md_marks(r)] for r in block.rows]
                out += _md_table([*block.columns, "Ref"], rows)
            else:
                out += [f"- {_md_stmt(s)}" for s in block.statements]
        out.append("")
    return out


def _md_deep_dive(view: ReportView) -> list[str]:
    out = ["## 5. Thesis deep dive", ""]
    for d in view.report.thesis_deep_dive:
        state = f"score {d.score}, {d.band}" if d.score is not None else "not scored"
        out += [f"### {md_escape(d.name)} (weight {d.weight}, {state})", ""]
        if d.strengths:
            out += ["Strengths:", ""] + [_md_finding(f) for f in d.strengths] + [""]
        if d.gaps:
            out += ["Gaps:", ""] + [_md_finding(f) for f in d.gaps] + [""]
        if d.unscored_gap:
            out += [md_escape(d.unscored_gap), ""]
        if d.recommendations:
            rows = [
                [md_escape(r.action), md_escape(r.cost_band), r.timeline, md_escape(r.impact), md_marks(r)]
                for r in d.recommendations
            ]
            out += _md_table(["Recommendation", "Cost band", "Timeline", "Impact", "Ref"], rows)
    return out


def _md_risks(view: ReportView) -> list[str]:
    rows = [
        [
            r.id,
            f"**{md_escape(r.title)}**: {_md_stmt(r.description)}",
            str(r.likelihood),
            str(r.impact),
            md_escape(r.mitigation),
            md_escape(r.owner),
            md_escape(r.cost_band),
        ]
        for r in view.report.risk_register
    ]
    if not rows:
        return ["## 6. Risk register", "", "No negative finding, so no risk is registered.", ""]
    columns = ["Id", "Risk", "Likelihood", "Impact", "Mitigation", "Owner", "Cost band"]
    return ["## 6. Risk register", "", *_md_table(columns, rows)]


def _md_roadmap(view: ReportView) -> list[str]:
    out = ["## 7. Value-creation roadmap", ""]
    columns = ["Initiative", "Expected impact", "Cost", "ROI", "Owner", "Serves", "Ref"]
    for bucket, items in view.report.roadmap.items():
        out += [f"### {bucket}", ""]
        rows = [
            [
                md_escape(i.name),
                md_escape(i.expected_impact),
                md_escape(i.cost),
                i.roi,
                md_escape(i.owner),
                md_escape(i.criterion or i.category),
                md_marks(i),
            ]
            for i in items
        ]
        out += _md_table(columns, rows) if rows else ["No initiative in this period.", ""]
    return out


def _md_appendix(view: ReportView) -> list[str]:
    report = view.report
    out = ["## 8. Data gaps and questions for the data room", ""]
    out += [f"- **{md_escape(g.topic)}:** {md_escape(g.question)}" for g in report.data_gaps]
    out += ["", "## 9. Evidence appendix", "", "### Collector coverage", ""]
    rows = [
        [
            md_escape(c.collector),
            c.outcome,
            str(c.items),
            md_escape(f"{c.error['code']}: {c.error['message']}") if c.error else "-",
            md_marks(c),
        ]
        for c in report.coverage
    ]
    out += (
        _md_table(["Collector", "Outcome", "Items", "Error", "Ref"], rows)
        if rows
        else ["No collector outcome was recorded.", ""]
    )
    out += ["### Evidence items", ""]
    rows = [
        [
            f"`{e.id}`",
            e.type,
            md_escape(e.title),
            md_escape(e.source_url),
            e.collected_at,
            f"{e.confidence:.2f}",
        ]
        for e in report.evidence_appendix
    ]
    out += _md_table(["Id", "Type", "Title", "Source", "Collected", "Confidence"], rows)
    out += ["### References", ""]
    for ref in report.references:
        ids = ", ".join(f"`{i}`" for i in ref.evidence_ids)
        out.append(f"[^{ref.number}]: {md_escape(ref.claim)} Evidence: {ids}.")
    return out


# --- SVG charts ------------------------------------------------------------------------------------------


def _svg_text(
    x: float, y: float, text: str, *, anchor: str = "start", size: int = 11, fill: str = "#1d2433"
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}" text-anchor="{anchor}" '
        f'font-family="DejaVu Sans, Arial, sans-serif">{escape(text)}</text>'
    )


def bar_chart(title: str, bars: Sequence[tuple[str, int | None, str]], threshold: int | None = None) -> str:
    """Horizontal 0-100 bars with labels; an optional threshold line; None values say 'not scored'."""
    label_w, bar_w, right_w, row_h, top = 230, 330, 70, 22, 30
    width = label_w + bar_w + right_w
    height = top + row_h * len(bars) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" width="100%" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet">',
        _svg_text(0, 16, title, size=12, fill="#0f2747"),
    ]
    for tick in (0, 25, 50, 75, 100):
        x = label_w + bar_w * tick / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{top + row_h * len(bars)}" stroke="#e4e7ec" stroke-width="1"/>'
        )
        parts.append(_svg_text(x, height - 6, str(tick), anchor="middle", size=9, fill="#667085"))
    for i, (label, value, note) in enumerate(bars):
        y = top + i * row_h
        short = label if len(label) <= 34 else label[:33] + "…"
        parts.append(_svg_text(label_w - 8, y + 15, short, anchor="end", size=10))
        if value is None:
            parts.append(_svg_text(label_w + 4, y + 15, "not scored", size=10, fill=MUTED_COLOUR))
            continue
        colour = BAR_COLOUR if threshold is None else (PASS_COLOUR if value >= threshold else FAIL_COLOUR)
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w * value / 100:.1f}" height="{row_h - 8}" fill="{colour}" rx="2"/>'
        )
        parts.append(_svg_text(label_w + bar_w + 6, y + 15, f"{value} {note}".strip(), size=10))
    if threshold is not None:
        x = label_w + bar_w * threshold / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{top + row_h * len(bars) + 2}" stroke="#111" '
            'stroke-width="1.5" stroke-dasharray="4 3"/>'
        )
        parts.append(_svg_text(x, top - 9, f"threshold {threshold}", anchor="middle", size=9))
    parts.append("</svg>")
    return "".join(parts)


def criteria_chart(view: ReportView) -> str:
    """Criterion scores against the thesis threshold."""
    bars = [(b.label, b.value, f"(w {b.weight})") for b in view.criterion_bars]
    return bar_chart("Criterion scores against the threshold", bars, view.total.threshold)


def category_chart(view: ReportView) -> str:
    """The seven category scores with grades."""
    return bar_chart("Category scores", [(b.label, b.value, b.note) for b in view.category_bars])


# --- HTML ------------------------------------------------------------------------------------------------


def _is_web_url(value: Any) -> bool:
    return isinstance(value, str) and urlsplit(value).scheme in {"http", "https"}


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        loader=jinja2.FunctionLoader(lambda name: _template_text(name)),
    )
    env.tests["web_url"] = _is_web_url
    env.tests["table_block"] = lambda value: isinstance(value, TableBlock)
    env.globals["cite_numbers"] = cite_numbers
    env.filters["readable_time"] = readable_time
    return env


def readable_time(value: str | None) -> str:
    """An ISO timestamp as a reader wants it ("2026-11-28 21:09 UTC"); "-" when there is none."""
    return in_utc(value, "%Y-%m-%d %H:%M UTC") if value else "-"


def stylesheet() -> str:
    """The report stylesheet (inlined into the HTML)."""
    return _template_text("report.css")


def content_security_policy(css: str) -> str:
    """A policy that allows only the inline stylesheet (by hash) and data: images; no script at all."""
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )


def render_html(report: Mapping[str, Any] | Report | ReportView, screenshot: Evidence | None = None) -> str:
    """The report as one self-contained, printable HTML document (no script, no external resource); with the
    screenshot item it cites, its checked PNG heads the document as a data: image."""
    view = report_view(report, screenshot=screenshot)
    css = stylesheet()
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            view=view,
            report=view.report,
            css=css,
            csp=content_security_policy(css),
            criteria_chart=criteria_chart(view),
            category_chart=category_chart(view),
        )
    )


# --- PDF -------------------------------------------------------------------------------------------------


def pdf_unavailable_reason() -> str | None:
    """Why PDFs cannot be rendered here (WeasyPrint or its libraries missing), or None when they can."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        return f"{INSTALL_HINT} ({type(error).__name__}: {error})"
    return None


class OfflineFetcher:
    """WeasyPrint URL fetcher that serves data: URIs and packaged template files and refuses everything else."""

    # WeasyPrint reads this from any fetcher: a refused resource is skipped with a warning, not fatal.
    _fail_on_errors = False

    def __init__(self) -> None:
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        """Answer a data: or packaged-file URL; raise ValueError (the resource is skipped) for the rest."""
        from weasyprint.urls import URLFetcherResponse

        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            media_type, body = _decode_data_uri(url)
            return URLFetcherResponse(url, body, {"Content-Type": media_type})
        if scheme == "file":
            path = Path(unquote_to_bytes(urlsplit(url).path).decode("utf-8")).resolve()
            if path.is_relative_to(template_dir()) and path.is_file():
                return URLFetcherResponse(url, path.read_bytes(), {})
        self.refused.append(url)
        raise ValueError(f"report rendering makes no requests: refused {url[:200]}")

    def __call__(self, url: str) -> Any:
        return self.fetch(url)


def _decode_data_uri(url: str) -> tuple[str, bytes]:
    header, _, payload = url[5:].partition(",")
    params = header.split(";")
    media_type = params[0] or "text/plain"
    try:
        if "base64" in params[1:]:
            return media_type, base64.b64decode(payload, validate=False)
        return media_type, unquote_to_bytes(payload)
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"malformed data: URI ({error})") from error


def html_to_pdf(html: str, fetcher: OfflineFetcher | None = None) -> bytes:
    """Render HTML to PDF with WeasyPrint and the offline fetcher; PdfUnavailable when it cannot run here."""
    reason = pdf_unavailable_reason()
    if reason:
        raise PdfUnavailable(reason)
    from weasyprint import HTML

    fetcher = fetcher or OfflineFetcher()
    pdf: bytes = HTML(string=html, base_url=template_dir().as_uri() + "/", url_fetcher=fetcher).write_pdf()
    return pdf


def render_pdf(report: Mapping[str, Any] | Report | ReportView, screenshot: Evidence | None = None) -> bytes:
    """The report as PDF (the HTML rendering, printed), headed by the screenshot when its item is given."""
    return html_to_pdf(render_html(report, screenshot))
