"""Markdown export: no character from a company name can start a new line, list item or heading."""

from __future__ import annotations

import pytest

from techscaniq.report import render
from techscaniq.report.writer import write_report
from tests.support.report_samples import sample_evidence, sample_scan


@pytest.mark.parametrize("breaker", ["\r", "\n", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x00"])
def test_every_control_character_is_neutralised(breaker: str) -> None:
    escaped = render.md_escape(f"Acme{breaker}- [click](https://evil.example){breaker}# Owned")
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in escaped)
    assert "\\[click\\]" in escaped and "\\#" in escaped


def test_a_carriage_return_in_the_company_name_starts_no_list_item() -> None:
    company = "Acme\r- injected item\r# injected heading"
    content = write_report(sample_scan(company=company), sample_evidence()).content
    markdown = render.render_markdown(content)
    assert "\r" not in markdown
    assert not [line for line in markdown.splitlines() if line.startswith(("- injected", "# injected"))]
