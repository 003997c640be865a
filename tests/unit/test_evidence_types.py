"""Evidence types are named by the EvidenceType enum, never by bare strings, in collectors, rules and report code."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from techscaniq.domain import EvidenceType
from techscaniq.report.rules import load_rules
from techscaniq.report.scoring import BOOKKEEPING_TYPES, CRITICAL_EVIDENCE_TYPES
from techscaniq.report.sections.areas import AREAS, SECURITY_BLOCKS

PACKAGE = Path(__file__).resolve().parents[2] / "techscaniq"
# Where evidence is made (collectors) and read to score and report it.
SCANNED = [
    *sorted((PACKAGE / "evidence" / "collectors").glob("*.py")),
    PACKAGE / "evidence" / "collect.py",
    PACKAGE / "report" / "rules.py",
    PACKAGE / "report" / "scoring.py",
    PACKAGE / "report" / "content.py",
    *sorted((PACKAGE / "report" / "sections").glob("*.py")),
]
TYPE_VALUES = {t.value for t in EvidenceType}
# Calls that make an evidence item, and where their type argument sits.
DRAFT_CALLS = {"draft": 1, "_draft": 1, "EvidenceDraft": 0}
# Calls and lookups whose argument names an evidence type.
TYPE_LOOKUPS = {"of_type", "by_type"}


def test_rules_name_their_evidence_by_the_enum() -> None:
    for rule in load_rules():
        assert rule.evidence and all(isinstance(t, EvidenceType) for t in rule.evidence), rule.id


def test_scoring_and_report_sections_name_types_by_the_enum() -> None:
    named = [*CRITICAL_EVIDENCE_TYPES, *BOOKKEEPING_TYPES]
    named += [t for _, _, types in AREAS for t in types] + [t for _, types in SECURITY_BLOCKS for t in types]
    assert named and all(isinstance(t, EvidenceType) for t in named), [t for t in named if type(t) is str]


def _type_strings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """String constants in a position that names an evidence type."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            index = DRAFT_CALLS.get(name)
            candidates: list[ast.expr] = [k.value for k in node.keywords if k.arg in {"type", "type_"}]
            if index is not None and len(node.args) > index:
                candidates.append(node.args[index])
            if name in TYPE_LOOKUPS or (name == "get" and _names_by_type(node.func)):
                candidates += node.args[:1]
            yield from _strings(candidates)
        elif isinstance(node, ast.Compare) and any(
            _is_type_attribute(n) for n in [node.left, *node.comparators]
        ):
            yield from _strings([node.left, *node.comparators])
        elif isinstance(node, ast.Subscript) and _names_by_type(node.value):
            yield from _strings([node.slice])


def _names_by_type(node: ast.expr) -> bool:
    target = node.value if isinstance(node, ast.Attribute) and node.attr == "get" else node
    return isinstance(target, ast.Attribute | ast.Name) and "by_type" in ast.unparse(target)


def _is_type_attribute(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in {"type", "type_"}


def _strings(nodes: list[ast.expr]) -> Iterator[tuple[int, str]]:
    for node in nodes:
        for inner in ast.walk(node):
            if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                yield inner.lineno, inner.value


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_bare_string_names_an_evidence_type(path: Path) -> None:
    found = [f"{path.name}:{line}: {text!r}" for line, text in _type_strings(ast.parse(path.read_text()))]
    assert found == []


def test_the_scan_catches_a_bare_type_string() -> None:
    source = (
        "context.draft('x', 'technology', category)\n"
        "EvidenceDraft(type='page')\n"
        "if item.type == 'hosting': pass\n"
        "ctx.of_type('spf')\n"
        "self.by_type.get('dmarc', [])\n"
        "by_type['caa']\n"
    )
    assert [text for _, text in _type_strings(ast.parse(source))] == [
        "technology",
        "page",
        "hosting",
        "spf",
        "dmarc",
        "caa",
    ]
    assert all(text in TYPE_VALUES for _, text in _type_strings(ast.parse(source)))
