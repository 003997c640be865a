"""Completed scans side by side: totals, grades, categories, criteria that mean the same, a technology matrix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from techscaniq.theses import CATEGORIES
from techscaniq.workflow.snapshot import Snapshot

MIN_SCANS = 2
MAX_SCANS = 6


def _column(snap: Snapshot) -> dict[str, Any]:
    return {
        "scan_id": snap.scan_id,
        "report_id": snap.report_id,
        "company": snap.company,
        "website_url": snap.website_url,
        "thesis": {"slug": snap.thesis_slug, "name": snap.thesis_name},
        "completed_at": snap.completed_at.isoformat() if snap.completed_at else None,
        "total": snap.total,
        "grade": snap.grade,
        "recommendation": snap.recommendation,
        "coverage": snap.coverage,
        "security_grade": snap.security_grade,
    }


def _criteria_rows(snaps: Sequence[Snapshot]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of criteria whose basis every scan's thesis scores, and the criteria left out."""
    by_basis = [{c.basis: c for c in snap.criteria} for snap in snaps]
    shared = set(by_basis[0]).intersection(*by_basis[1:]) if by_basis else set()
    order = [c.basis for c in snaps[0].criteria if c.basis in shared]
    rows = []
    for basis in order:
        cells = [found[basis] for found in by_basis]
        rows.append(
            {
                "basis": basis,
                "name": cells[0].name,
                "criterion_ids": [c.id for c in cells],
                "scores": [c.score for c in cells],
                "weights": [c.weight for c in cells],
                "evidence_ids": [list(c.evidence_ids) for c in cells],
            }
        )
    left_out = [
        {"scan_id": snap.scan_id, "criterion_id": c.id, "name": c.name, "basis": c.basis, "score": c.score}
        for snap in snaps
        for c in snap.criteria
        if c.basis not in shared
    ]
    return rows, left_out


def _technology_matrix(snaps: Sequence[Snapshot]) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for column, snap in enumerate(snaps):
        for key, tech in snap.technologies.items():
            category = tech.categories[0] if tech.categories else "Other"
            row = rows.setdefault(
                (category.casefold(), key),
                {"category": category, "name": tech.name, "cells": [None] * len(snaps)},
            )
            row["cells"][column] = {"version": tech.version, "evidence_ids": list(tech.evidence_ids)}
    return [rows[k] for k in sorted(rows)]


def compare(snaps: Sequence[Snapshot]) -> dict[str, Any]:
    """The comparison of 2 to 6 scans, columns in the order asked."""
    criteria, left_out = _criteria_rows(snaps)
    theses = sorted({snap.thesis_slug for snap in snaps})
    categories = [
        {
            "id": str(category),
            "name": name,
            "scores": [snap.categories.get(str(category), {}).get("score") for snap in snaps],
            "grades": [snap.categories.get(str(category), {}).get("grade") for snap in snaps],
        }
        for category, name in CATEGORIES.items()
    ]
    note = None
    if len(theses) > 1:
        note = (
            f"These scans use different theses ({', '.join(theses)}): a criterion is compared only where every "
            "thesis scores the same basis; totals are each thesis's own weighted total."
        )
    return {
        "scans": [_column(snap) for snap in snaps],
        "same_thesis": len(theses) == 1,
        "note": note,
        "categories": categories,
        "criteria": criteria,
        "criteria_not_compared": left_out,
        "technologies": _technology_matrix(snaps),
    }
