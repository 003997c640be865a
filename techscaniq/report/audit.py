"""Citation audits: every statement cites, every marker has rows, every row has a marker, all ids same-scan."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from html.parser import HTMLParser
from typing import Any

from techscaniq.domain import Citation
from techscaniq.report.content import walk_statements
from techscaniq.report.render import md_escape, md_marks

_MD_MARKER = re.compile(r"\[\^(\d+)\](?!:)")
_MD_DEFINITION = re.compile(r"^\[\^(\d+)\]: (.*)$", re.MULTILINE)
_BACKTICK_ID = re.compile(r"`([^`]+)`")
_TEXT_MARKER = re.compile(r"\[(\d+)\]")


def _rows_by_number(citations: Sequence[Citation]) -> dict[int, set[str]]:
    rows: dict[int, set[str]] = defaultdict(set)
    for c in citations:
        rows[c.number].add(c.evidence_id)
    return rows


def content_problems(
    content: Mapping[str, Any], citations: Sequence[Citation], scan_evidence_ids: Collection[str]
) -> list[str]:
    """Problems in the JSON: statements without markers, markers without rows, rows without markers, foreign ids."""
    problems = []
    rows = _rows_by_number(citations)
    used: set[int] = set()
    for node in walk_statements(content):
        numbers = ([node["cite"]] if "cite" in node else []) + list(node.get("cites", []))
        if not numbers:
            problems.append(f"statement without citation: {str(node.get('text'))[:80]!r}")
        for n in numbers:
            used.add(n)
            if n not in rows:
                problems.append(f"marker [{n}] has no citation row")
        if (
            "cite" in node
            and "evidence_ids" in node
            and set(node["evidence_ids"]) != rows.get(node["cite"], set())
        ):
            problems.append(f"statement [{node['cite']}] evidence ids differ from its rows")
    for n in sorted(set(rows) - used):
        problems.append(f"citation row {n} has no marker")
    foreign = sorted({c.evidence_id for c in citations} - set(scan_evidence_ids))
    if foreign:
        problems.append(f"citations point outside the scan's evidence: {foreign[:5]}")
    references = {r["number"]: set(r["evidence_ids"]) for r in content.get("references", [])}
    if references != dict(rows):
        problems.append("the references list does not match the citation rows")
    return problems


def markdown_problems(markdown: str, content: Mapping[str, Any], citations: Sequence[Citation]) -> list[str]:
    """Problems in the Markdown rendering: missing statements or markers, dangling or unused footnotes."""
    problems = []
    rows = _rows_by_number(citations)
    body, _, _ = markdown.partition("\n### References\n")
    markers = {int(n) for n in _MD_MARKER.findall(body)}
    definitions = {int(n): text for n, text in _MD_DEFINITION.findall(markdown)}
    problems += [f"markdown marker [^{n}] has no citation row" for n in sorted(markers - set(rows))]
    problems += [f"citation row {n} has no markdown marker" for n in sorted(set(rows) - markers)]
    problems += [f"citation row {n} has no markdown footnote" for n in sorted(set(rows) - set(definitions))]
    problems += [f"markdown footnote {n} has no citation row" for n in sorted(set(definitions) - set(rows))]
    for n, text in definitions.items():
        if n in rows and set(_BACKTICK_ID.findall(text)) != rows[n]:
            problems.append(f"footnote {n} lists other evidence than its rows")
    for node in walk_statements(content):
        # Table rows (stack, headers, coverage) show cells instead of the claim sentence.
        if "text" not in node or "cells" in node or "collector" in node:
            continue
        rendered = f"{md_escape(node['text'])} {md_marks(node)}"
        if rendered not in body:
            problems.append(f"statement not rendered with its marker: {rendered[:80]!r}")
    return problems


class _CiteParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.markers: list[int] = []
        self.reference_links: dict[int, set[str]] = defaultdict(set)
        self.evidence_rows: set[str] = set()
        self.statements_without_marker = 0
        self.scripts = 0
        self._stmt_depth = 0
        self._stmt_has_marker = False
        self._open_stmt_tags = 0
        self._in_reference: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "script" or any(name.startswith("on") for name in attributes):
            self.scripts += 1
        if tag == "span" and "stmt" in classes:
            self._stmt_depth = 1
            self._stmt_has_marker = False
        elif self._stmt_depth and tag == "span":
            self._stmt_depth += 1
        href = attributes.get("href") or ""
        if tag == "a" and "cite" in classes and href.startswith("#ref-"):
            self.markers.append(int(href[5:]))
            if self._stmt_depth:
                self._stmt_has_marker = True
        element_id = attributes.get("id") or ""
        if tag == "li" and element_id.startswith("ref-"):
            self._in_reference = int(element_id[4:])
            self.reference_links[self._in_reference]
        if tag == "a" and self._in_reference is not None and href.startswith("#ev-"):
            self.reference_links[self._in_reference].add(href[4:])
        if tag == "tr" and element_id.startswith("ev-"):
            self.evidence_rows.add(element_id[3:])

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._stmt_depth:
            self._stmt_depth -= 1
            if self._stmt_depth == 0 and not self._stmt_has_marker:
                self.statements_without_marker += 1
        if tag == "li":
            self._in_reference = None


def html_problems(html: str, citations: Sequence[Citation]) -> list[str]:
    """Problems in the HTML rendering: unmarked statements, dangling markers, unused rows, broken links, scripts."""
    parser = _CiteParser()
    parser.feed(html)
    rows = _rows_by_number(citations)
    problems = []
    markers = set(parser.markers)
    problems += [f"html marker [{n}] has no citation row" for n in sorted(markers - set(rows))]
    problems += [f"citation row {n} has no html marker" for n in sorted(set(rows) - markers)]
    if parser.statements_without_marker:
        problems.append(f"{parser.statements_without_marker} html statements carry no marker")
    if set(parser.reference_links) != set(rows):
        problems.append("the html reference list does not match the citation rows")
    for n, links in parser.reference_links.items():
        if n in rows and links != rows[n]:
            problems.append(f"html reference {n} links other evidence than its rows")
        missing = links - parser.evidence_rows
        if missing:
            problems.append(
                f"html reference {n} links evidence missing from the appendix: {sorted(missing)[:3]}"
            )
    if parser.scripts:
        problems.append(f"{parser.scripts} script elements or event-handler attributes in the html")
    return problems


def text_problems(text: str, citations: Sequence[Citation]) -> list[str]:
    """Problems in extracted text (PDF): a citation number that never appears as a [n] marker."""
    seen = {int(n) for n in _TEXT_MARKER.findall(text)}
    return [
        f"citation row {n} has no [n] marker in the text"
        for n in sorted(_rows_by_number(citations))
        if n not in seen
    ]
