"""The deterministic report writer: every statement is built from stored evidence and cites its ids."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from techscaniq.domain import Citation, Evidence, Scan

WRITER_NAME = "deterministic"
METHOD_VERSION = "0.1"
MINIMUM_EVIDENCE_ITEMS = 20

SECTION_TITLES = {
    "pages": "Web presence",
    "security": "Security posture",
    "tls": "TLS",
    "dns_email": "DNS and e-mail security",
    "technology": "Technology signals",
    "compliance": "Compliance and trust",
    "developer": "Product and developer ecosystem",
    "hiring": "Team and hiring",
    "business": "Company overview",
    "performance": "Performance",
    "collection": "Collection notes",
}


@dataclass
class WrittenReport:
    """A report ready to store: its JSON content and the citation rows behind its statements."""

    content: dict[str, Any]
    citations: list[Citation] = field(default_factory=list)
    writer: str = WRITER_NAME
    score: int | None = None
    grade: str | None = None


def write_report(scan: Scan, evidence: Sequence[Evidence]) -> WrittenReport:
    """Build the report from the scan's evidence; the same evidence always gives the same content."""
    by_category: dict[str, list[Evidence]] = defaultdict(list)
    for item in sorted(evidence, key=lambda e: (e.category, e.type, e.dedup_key)):
        by_category[item.category].append(item)
    citations: list[Citation] = []
    sections: list[dict[str, Any]] = []
    for category in SECTION_TITLES:
        items = by_category.get(category, [])
        if not items:
            continue
        statements = []
        for item in items:
            number = len(citations) + 1
            claim = item.title
            citations.append(Citation(number=number, claim=claim, section=category, evidence_id=item.id))
            statements.append({"text": claim, "evidence_ids": [item.id], "citations": [number]})
        sections.append({"id": category, "title": SECTION_TITLES[category], "statements": statements})
    sufficient = len(evidence) >= MINIMUM_EVIDENCE_ITEMS
    content = {
        "scan_id": scan.id,
        "company": scan.company_name,
        "website_url": scan.website_url,
        "thesis": {"slug": scan.primary_criteria, "name": scan.thesis.get("name", scan.primary_criteria)},
        "writer": WRITER_NAME,
        "method_version": METHOD_VERSION,
        "evidence_count": len(evidence),
        "assessment": (
            "scored"
            if sufficient
            else f"insufficient evidence: {len(evidence)} items collected, at least {MINIMUM_EVIDENCE_ITEMS} "
            "are needed before the company is scored against the thesis"
        ),
        "score": None,
        "grade": None,
        "sections": sections,
        "evidence_appendix": [
            {
                "id": item.id,
                "type": item.type,
                "title": item.title,
                "source_url": item.source_url,
                "collected_at": item.collected_at.isoformat(),
                "confidence": item.confidence,
            }
            for item in sorted(evidence, key=lambda e: (e.category, e.type, e.dedup_key))
        ],
    }
    return WrittenReport(content=content, citations=citations)
