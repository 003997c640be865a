"""write_report(): the pipeline's one entry point; deterministic by default, an LLM writer when configured."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from techscaniq.config import Settings
from techscaniq.domain import Citation, Evidence, Scan
from techscaniq.report.content import METHOD_VERSION, build_report

WRITER_NAME = "deterministic"

__all__ = ["METHOD_VERSION", "WRITER_NAME", "WrittenReport", "write_report"]


@dataclass
class WrittenReport:
    """A report ready to store: its JSON content and the citation rows behind its statements."""

    content: dict[str, Any]
    citations: list[Citation] = field(default_factory=list)
    writer: str = WRITER_NAME
    score: int | None = None
    grade: str | None = None


def write_report(scan: Scan, evidence: Sequence[Evidence], settings: Settings | None = None) -> WrittenReport:
    """Build the report from the scan's evidence; the deterministic writer gives byte-identical output."""
    if settings is not None and settings.llm_provider:
        from techscaniq.report.llm import write_with_llm

        built, writer = write_with_llm(scan, evidence, settings)
    else:
        built, writer = build_report(scan, evidence), WRITER_NAME
    return WrittenReport(
        content=built.content, citations=built.citations, writer=writer, score=built.score, grade=built.grade
    )
