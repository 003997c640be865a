"""The home-page screenshot at the head of the report: the model, the view, Markdown and HTML, and the PNG checks."""

from __future__ import annotations

import base64
import json
import re
import struct
import zlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from techscaniq.domain import Evidence
from techscaniq.report import audit, render
from techscaniq.report.model import Report
from techscaniq.report.screenshot import MAX_SCREENSHOT_BYTES, png_data_uri, png_size, screenshot_png
from techscaniq.report.view import PNG_IN_TABLE, report_view
from techscaniq.report.writer import write_report
from tests.support.report_samples import SAMPLE_SCAN_ID, SAMPLE_SITE, sample_evidence, sample_scan

TAKEN = "2026-12-06T23:10:42.517000+00:00"


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def make_png(width: int = 16, height: int = 10) -> bytes:
    """A real, decodable RGB PNG (a grey picture) of the given size."""
    rows = b"".join(b"\x00" + b"\x80\x90\xa0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )


def _item(id_: str, type_: str, key: str, data: dict, title: str = "") -> Evidence:
    return Evidence(
        id=id_,
        scan_id=SAMPLE_SCAN_ID,
        type=type_,
        category="pages",
        title=title or f"{type_} item",
        summary="",
        data=data,
        source_url=SAMPLE_SITE + "/",
        collector="render",
        confidence=1.0,
        dedup_key=key,
        collected_at=datetime(2026, 12, 6, 23, 11, tzinfo=UTC),
    )


def _shot(png: bytes | None = None, *, encoded: str | None = None) -> Evidence:
    raw = png if png is not None else make_png()
    return _item(
        "shot-0001",
        "screenshot",
        "home",
        {
            "url": SAMPLE_SITE + "/",
            "taken_at": TAKEN,
            "width": 1280,
            "height": 800,
            "format": "png",
            "bytes": len(raw),
            "png_base64": encoded if encoded is not None else base64.b64encode(raw).decode(),
        },
        title=f"Screenshot of {SAMPLE_SITE}/ (above the fold)",
    )


def _summary(status: str, reason: str | None = None, failures: list | None = None) -> Evidence:
    data = {"status": status, "reason": reason, "pages_rendered": 0, "failures": failures or []}
    return _item("render-0001", "render_summary", "render", {**data, "pages_failed": len(failures or [])})


# --- the PNG checks ---------------------------------------------------------------------------------------


def test_a_well_formed_png_passes_and_its_size_is_read() -> None:
    png = make_png(16, 10)
    assert png_size(png) == (16, 10)
    assert screenshot_png({"png_base64": base64.b64encode(png).decode()}) == png
    assert png_data_uri(png) == "data:image/png;base64," + base64.b64encode(png).decode()


@pytest.mark.parametrize(
    "name",
    ["svg", "gif", "truncated", "bad_crc", "huge_sides", "zero_width", "too_many_bytes", "trailing"],
)
def test_anything_but_a_capped_well_formed_png_is_refused(name: str) -> None:
    png = make_png()
    header = png[16:29]
    bad = {
        "svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "gif": b"GIF89a" + png[6:],
        "truncated": png[:-12],
        "bad_crc": png[:29] + b"\x00\x00\x00\x00" + png[33:],
        "huge_sides": png[:8] + _chunk(b"IHDR", struct.pack(">II", 100_000, 100_000) + header[8:]) + png[33:],
        "zero_width": png[:8] + _chunk(b"IHDR", struct.pack(">II", 0, 10) + header[8:]) + png[33:],
        "too_many_bytes": png[:33] + _chunk(b"tEXt", b"x" * MAX_SCREENSHOT_BYTES) + png[33:],
        "trailing": png + b"<html>",
    }[name]
    assert png_size(bad) is None
    assert screenshot_png({"png_base64": base64.b64encode(bad).decode()}) is None
    with pytest.raises(ValueError):
        png_data_uri(bad)


def test_base64_that_is_not_strict_or_not_a_string_is_refused() -> None:
    encoded = base64.b64encode(make_png()).decode()
    assert screenshot_png({"png_base64": encoded[:10] + "!" + encoded[10:]}) is None
    assert screenshot_png({"png_base64": None}) is None
    assert screenshot_png({}) is None


# --- the report model and its renderings ---------------------------------------------------------------------


def test_a_screenshot_heads_the_html_with_its_caption_and_is_cited_first() -> None:
    shot = _shot()
    written = write_report(sample_scan(), [*sample_evidence(40), shot])
    content = written.content
    assert list(content)[:3] == ["schema", "header", "screenshot"]
    head = content["screenshot"]
    assert head["taken"] is True and head["evidence_ids"] == [shot.id] and head["cite"] == 1
    assert head["url"] == SAMPLE_SITE + "/" and head["taken_at"] == TAKEN
    assert (head["width"], head["height"]) == (1280, 800)
    # Byte for byte through the typed model.
    assert json.dumps(Report.model_validate(content).model_dump(mode="json")) == json.dumps(content)

    html = render.render_html(content, shot)
    assert audit.html_problems(html, written.citations) == []
    figure = html.index('<figure class="screenshot"')
    assert figure < html.index('id="summary"')
    assert html.count("<img ") == 1
    image = re.search(r'<img src="([^"]+)" width="1280" height="800"', html)
    assert image is not None and image.group(1) == png_data_uri(make_png())
    caption = html[figure : html.index("</figure>", figure)]
    for part in (SAMPLE_SITE + "/", "<dd>2026-12-06 23:10:42 UTC</dd>", "above the fold, 1280×800", shot.id):
        assert part in caption, part
    assert 'href="#ref-1"' in caption and f'href="#ev-{shot.id}"' in caption
    assert f'id="ev-{shot.id}"' in html  # the evidence id it cites is in the appendix


def test_markdown_gets_a_line_with_url_time_and_evidence_id_and_no_image_data() -> None:
    shot = _shot()
    written = write_report(sample_scan(), [*sample_evidence(40), shot])
    markdown = render.render_markdown(written.content)
    assert audit.markdown_problems(markdown, written.content, written.citations) == []
    line = next(line for line in markdown.splitlines() if line.startswith("- Home-page screenshot:"))
    assert "2026-12-06 23:10:42 UTC" in line and f"`{shot.id}`" in line and "[^1]" in line
    assert "northwind-ledger" in line
    assert shot.data["png_base64"][:40] not in markdown and "data:image" not in markdown


def test_without_rendering_an_honest_line_replaces_the_picture() -> None:
    summary = _summary("not_done", "rendering is off")
    written = write_report(sample_scan(), [*sample_evidence(40), summary])
    head = written.content["screenshot"]
    assert head == {
        "text": "No screenshot of the home page: pages were not rendered in a browser (rendering is off).",
        "cite": 1,
        "evidence_ids": [summary.id],
        "taken": False,
    }
    html = render.render_html(written.content)
    assert "<img" not in html and "<figure" not in html
    assert (
        '<p class="screenshot-none" id="screenshot">No screenshot of the home page: pages were not rendered'
        in html
    )
    assert audit.html_problems(html, written.citations) == []
    markdown = render.render_markdown(written.content)
    assert f"- Home-page screenshot: {render.md_escape(head['text'])} [^1]" in markdown
    assert audit.markdown_problems(markdown, written.content, written.citations) == []


def test_a_failed_home_page_says_why_and_a_report_without_either_item_says_none_is_part_of_it() -> None:
    failed = _summary(
        "failed", failures=[{"url": SAMPLE_SITE + "/", "code": "render_timeout", "message": "slow"}]
    )
    content = write_report(sample_scan(), [*sample_evidence(40), failed]).content
    assert content["screenshot"]["text"] == (
        "No screenshot of the home page: the browser could not render it (render_timeout)."
    )
    plain = write_report(sample_scan(), sample_evidence(40)).content
    assert "screenshot" not in plain  # reports without rendering evidence keep their JSON
    view = report_view(plain)
    assert view.screenshot is None and not view.screenshot_shown
    assert view.screenshot_note == "No screenshot of the home page is part of this report."
    assert (
        '<p class="screenshot-none" id="screenshot">No screenshot of the home page is part'
        in render.render_html(plain)
    )


@pytest.mark.parametrize("stored", ["svg", "another_item", "not_given"])
def test_a_picture_that_is_not_the_cited_png_is_never_embedded(stored: str) -> None:
    shot = _shot()
    content = write_report(sample_scan(), [*sample_evidence(40), shot]).content
    svg = base64.b64encode(b"<svg xmlns='http://www.w3.org/2000/svg'/>").decode()
    given = {
        "svg": replace(shot, data={**shot.data, "png_base64": svg}),
        "another_item": replace(shot, id="shot-other"),
        "not_given": None,
    }[stored]
    html = render.render_html(content, given)
    assert "<img" not in html and "data:image" not in html
    note = f"The screenshot of the home page (evidence {shot.id}) could not be shown."
    assert note in html


def test_the_view_finds_the_cited_picture_among_the_evidence_and_keeps_base64_out_of_the_table() -> None:
    shot = _shot()
    evidence = [*sample_evidence(40), shot]
    content = write_report(sample_scan(), evidence).content
    view = report_view(content, evidence)
    assert view.screenshot_shown and view.screenshot_png == make_png()
    assert view.screenshot_evidence_id == shot.id and view.screenshot_taken == "2026-12-06 23:10:42 UTC"
    row = next(r for r in view.evidence if r["id"] == shot.id)
    assert row["data"]["png_base64"] == PNG_IN_TABLE and row["data"]["url"] == SAMPLE_SITE + "/"
    assert shot.data["png_base64"] != PNG_IN_TABLE  # the stored item itself is untouched
