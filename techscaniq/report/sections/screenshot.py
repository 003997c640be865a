"""The head of the report: the home page as a browser showed it, or one honest line on why there is no picture."""

from __future__ import annotations

from techscaniq.domain import EvidenceType
from techscaniq.report.model import Screenshot
from techscaniq.report.screenshot import taken_time
from techscaniq.report.sections.context import ReportContext

SECTION = "screenshot"


def build_screenshot(ctx: ReportContext) -> Screenshot | None:
    """The home-page screenshot, cited by its item; else why not, cited by the render summary; None without either."""
    shots = ctx.of_type(EvidenceType.SCREENSHOT)
    if shots:
        item = next((s for s in shots if s.dedup_key == "home"), shots[0])
        data = item.data
        url = str(data.get("url") or item.source_url)
        width, height = int(data.get("width") or 0), int(data.get("height") or 0)
        taken_at = str(data.get("taken_at") or item.collected_at.isoformat())
        text = (
            f"The home page {url} as a browser showed it on {taken_time(taken_at)}, "
            f"above the fold at {width}×{height}."
        )
        cite, ids = ctx.book.cite(SECTION, text, [item.id])
        return Screenshot(
            text=text,
            cite=cite,
            evidence_ids=ids,
            taken=True,
            url=url,
            taken_at=taken_at,
            width=width,
            height=height,
        )
    summaries = ctx.of_type(EvidenceType.RENDER_SUMMARY)
    if not summaries:
        return None
    summary = summaries[0]
    text = _why_not(summary.data)
    cite, ids = ctx.book.cite(SECTION, text, [summary.id])
    return Screenshot(text=text, cite=cite, evidence_ids=ids, taken=False)


def _why_not(data: dict[str, object]) -> str:
    if data.get("status") == "not_done":
        return f"No screenshot of the home page: pages were not rendered in a browser ({data.get('reason')})."
    failures = data.get("failures")
    if isinstance(failures, list) and failures and isinstance(failures[0], dict):
        return f"No screenshot of the home page: the browser could not render it ({failures[0].get('code')})."
    return "No screenshot of the home page: the browser did not return one."
