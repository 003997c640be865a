"""Citation numbers: handed out per claim while the report is built, then renumbered in document order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from techscaniq.domain import Citation
from techscaniq.report.model import Reference, Report, cited_nodes


@dataclass(frozen=True)
class _Claim:
    text: str
    section: str
    evidence_ids: tuple[str, ...]


class CitationBook:
    """Hands out citation numbers per claim, then renumbers them in document order."""

    def __init__(self, known_ids: set[str]) -> None:
        self._known = known_ids
        self._claims: list[_Claim] = []

    def cite(self, section: str, text: str, evidence_ids: Sequence[str]) -> tuple[int, list[str]]:
        """A new claim's provisional number and its evidence ids (unknown ids, or none, are a bug)."""
        ids = tuple(dict.fromkeys(evidence_ids))
        unknown = [i for i in ids if i not in self._known]
        if unknown or not ids:
            raise ValueError(f"statement {text[:60]!r} cites unknown or no evidence: {unknown}")
        self._claims.append(_Claim(text, section, ids))
        return len(self._claims), list(ids)

    def finish(self, report: Report) -> list[Citation]:
        """Renumber markers by first appearance in the report, fill its references; return the citation rows.

        Claims no part of the report shows get no number and no row.
        """
        nodes = list({id(node): node for node in cited_nodes(report)}.values())
        order: dict[int, int] = {}
        for node in nodes:
            for old in _numbers(node):
                order.setdefault(old, len(order) + 1)
        for node in nodes:
            if isinstance(getattr(node, "cite", None), int):
                node.cite = order[node.cite]
            if getattr(node, "cites", None) is not None:
                node.cites = [order[n] for n in node.cites]
        rows: list[Citation] = []
        report.references = []
        for old, new in sorted(order.items(), key=lambda pair: pair[1]):
            claim = self._claims[old - 1]
            rows.extend(Citation(new, claim.text, claim.section, eid) for eid in claim.evidence_ids)
            report.references.append(
                Reference(
                    number=new, claim=claim.text, section=claim.section, evidence_ids=list(claim.evidence_ids)
                )
            )
        return rows


def _numbers(node: Any) -> list[int]:
    cite = getattr(node, "cite", None)
    return ([cite] if isinstance(cite, int) else []) + list(getattr(node, "cites", None) or [])


def walk_statements(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict of a report's JSON carrying a citation marker (`cite` or `cites`), in document order."""
    if isinstance(node, dict):
        if "cite" in node or "cites" in node:
            yield node
        for key, value in node.items():
            if key != "references":
                yield from walk_statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk_statements(value)
