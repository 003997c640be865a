"""Lab Core Web Vitals: session windows, blocking time, grades, page weight, the site summary and its rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from techscaniq.domain import Evidence
from techscaniq.evidence.render.vitals import (
    cumulative_layout_shift,
    grade,
    page_vitals,
    page_weight,
    site_vitals,
    total_blocking_time,
    worst_grade,
)
from techscaniq.report.rules import apply_rules, load_rules

HOME = "https://example.test/"


@pytest.mark.parametrize(
    ("metric", "value", "expected"),
    [
        ("lcp_ms", 2500, "good"),
        ("lcp_ms", 2501, "needs_improvement"),
        ("lcp_ms", 4000, "needs_improvement"),
        ("lcp_ms", 4001, "poor"),
        ("cls", 0.1, "good"),
        ("cls", 0.1001, "needs_improvement"),
        ("cls", 0.25, "needs_improvement"),
        ("cls", 0.2501, "poor"),
        ("tbt_ms", 0, "good"),
        ("tbt_ms", 200, "good"),
        ("tbt_ms", 200.1, "needs_improvement"),
        ("tbt_ms", 600, "needs_improvement"),
        ("tbt_ms", 601, "poor"),
        ("fcp_ms", 1800, "good"),
        ("fcp_ms", 3001, "poor"),
        ("lcp_ms", None, None),
    ],
)
def test_values_are_graded_against_the_web_vitals_thresholds(metric: str, value: Any, expected: Any) -> None:
    assert grade(metric, value) == expected


def test_the_worst_grade_wins_and_unmeasured_metrics_do_not_count() -> None:
    assert worst_grade(["good", "poor", "needs_improvement"]) == "poor"
    assert worst_grade(["good", None, "needs_improvement"]) == "needs_improvement"
    assert worst_grade([None, None]) is None


def test_layout_shift_is_the_worst_session_window() -> None:
    assert cumulative_layout_shift([]) == 0.0
    # Two shifts half a second apart share a window; one two seconds later opens a new one.
    assert cumulative_layout_shift([(100, 0.05), (600, 0.04), (2600, 0.08)]) == 0.09
    # A window closes five seconds after it opened even while shifts keep coming.
    steady = [(t * 900.0, 0.01) for t in range(12)]  # every 0.9 s for 10 s
    assert cumulative_layout_shift(steady) == 0.06  # 0, 0.9, ..., 4.5 s: six shifts; then the next window
    assert cumulative_layout_shift([(3000, 0.2), (100, 0.1)]) == 0.2  # order of arrival does not matter


def test_blocking_time_counts_long_tasks_beyond_50_ms_between_fcp_and_the_end() -> None:
    fcp, end = 1000.0, 5000.0
    assert total_blocking_time([], fcp, end) == 0.0
    assert total_blocking_time([(2000, 50)], fcp, end) == 0.0  # exactly 50 ms blocks nothing
    assert total_blocking_time([(2000, 300)], fcp, end) == 250.0
    assert total_blocking_time([(100, 400)], fcp, end) == 0.0  # over before the first paint
    assert total_blocking_time([(800, 400)], fcp, end) == 150.0  # only its 200 ms after FCP count
    assert total_blocking_time([(4900, 400)], fcp, end) == 50.0  # only its 100 ms before the end count
    assert total_blocking_time([(2000, 120), (3000, 80)], fcp, end) == 100.0
    assert total_blocking_time([(2000, 300)], None, end) is None  # nothing painted: not measured


def test_page_vitals_from_what_the_observer_recorded() -> None:
    raw = {
        "fcp": 420.0,
        "lcp": 3100.25,
        "lcpElement": "img",
        "shifts": [[500, 0.2], [900, 0.1]],
        "tasks": [[1000, 700], [30, 90]],
        "inputs": 1,
        "now": 4200.0,
        "load": 2800.0,
        "ttfb": 80.0,
    }
    vitals = page_vitals(raw)
    assert vitals is not None
    assert (vitals["lcp_ms"], vitals["cls"], vitals["tbt_ms"], vitals["fcp_ms"]) == (
        3100.2,
        0.3,
        650.0,
        420.0,
    )
    assert vitals["grades"] == {
        "lcp_ms": "needs_improvement",
        "cls": "poor",
        "tbt_ms": "poor",
        "fcp_ms": "good",
    }
    assert vitals["overall"] == "poor"
    assert (vitals["long_tasks"], vitals["longest_task_ms"], vitals["shifts_after_input"]) == (2, 700.0, 1)
    assert page_vitals(None) is None and page_vitals({}) is None
    blank = page_vitals({"now": 3000.0, "shifts": [], "tasks": []})
    assert blank is not None and blank["lcp_ms"] is None and blank["tbt_ms"] is None and blank["cls"] == 0.0


@dataclass
class _Record:
    resource_type: str
    outcome: str
    bytes: int
    transferred: int


def test_page_weight_by_resource_type_counts_only_answered_requests() -> None:
    weight = page_weight(
        [
            _Record("document", "fulfilled", 30_000, 8_000),
            _Record("script", "fulfilled", 200_000, 60_000),
            _Record("script", "refused", 0, 0),
            _Record("xhr", "fulfilled", 1_000, 1_000),
            _Record("fetch", "fulfilled", 2_000, 500),
            _Record("image", "fulfilled", 50_000, 50_000),
            _Record("font", "fulfilled", 20_000, 20_000),
            _Record("stylesheet", "fulfilled", 10_000, 3_000),
            _Record("media", "fulfilled", 5_000, 5_000),
            _Record("image", "failed", 0, 0),
        ]
    )
    assert weight["requests"] == 8 and weight["not_fetched"] == 2
    assert weight["bytes"] == 318_000 and weight["transferred"] == 147_500
    assert weight["by_type"]["xhr_fetch"] == {"requests": 2, "bytes": 3_000, "transferred": 1_500}
    assert weight["by_type"]["script"] == {"requests": 1, "bytes": 200_000, "transferred": 60_000}
    assert weight["by_type"]["other"]["requests"] == 1
    assert list(weight["by_type"]) == [
        "document",
        "script",
        "stylesheet",
        "image",
        "font",
        "xhr_fetch",
        "other",
    ]


def _page(url: str, lcp: float, cls: float, tbt: float, transferred: int = 100_000) -> dict[str, Any]:
    vitals = page_vitals(
        {"fcp": 300.0, "lcp": lcp, "shifts": [[500, cls]], "tasks": [[400, tbt + 50]], "now": 9e3}
    )
    weight = {"bytes": transferred * 2, "transferred": transferred, "requests": 20}
    return {"url": url, "vitals": vitals, "weight": weight}


def test_the_site_summary_gives_the_home_page_and_graded_medians() -> None:
    pages = [
        _page(HOME, 1200, 0.02, 100),
        _page(HOME + "pricing", 4500, 0.3, 900),
        _page(HOME + "docs", 2000, 0.05, 150),
        {"url": HOME + "blank", "vitals": None, "weight": {"bytes": 0, "transferred": 0, "requests": 1}},
    ]
    summary = site_vitals(pages, HOME)
    assert summary is not None
    assert summary["pages_measured"] == 3
    assert summary["home"]["lcp_ms"] == 1200 and summary["home"]["overall"] == "good"
    assert summary["median"]["lcp_ms"] == 2000 and summary["median"]["tbt_ms"] == 150
    assert summary["grades"] == {"lcp_ms": "good", "cls": "good", "tbt_ms": "good", "fcp_ms": "good"}
    assert summary["overall"] == "good"
    assert summary["pages_poor"] == {"lcp_ms": 1, "cls": 1, "tbt_ms": 1}
    assert summary["median_weight_transferred"] == 100_000  # median of 0 and three 100k pages
    assert "lab measurement" in summary["method"]
    assert site_vitals([], HOME) is None
    unmeasured = site_vitals([pages[3]], HOME)
    assert unmeasured is not None and unmeasured["overall"] is None and unmeasured["home"] is None


def _summary_item(pages: list[dict[str, Any]]) -> Evidence:
    return Evidence(
        id="render-summary",
        scan_id="s",
        type="render_summary",
        category="pages",
        title="Rendered",
        summary="s",
        data={"status": "done", "vitals": site_vitals(pages, HOME)},
        source_url=HOME,
        collector="render",
        confidence=1.0,
        dedup_key="render",
        collected_at=datetime(2026, 12, 1, tzinfo=UTC),
    )


def _fired(pages: list[dict[str, Any]]) -> dict[str, str]:
    rules = [r for r in load_rules() if r.id in {"WEB-10", "WEB-11", "WEB-12", "WEB-13"}]
    return {f.rule.id: f.observation for f in apply_rules(rules, [_summary_item(pages)])}


def test_the_report_scores_lab_vitals_from_the_render_summary_and_says_they_are_lab_figures() -> None:
    fast = _fired([_page(HOME, 900, 0.0, 30), _page(HOME + "a", 1100, 0.01, 0)])
    assert set(fast) == {"WEB-10"}
    assert "lab measurement on the scanning machine" in fast["WEB-10"]
    assert "LCP 1000 ms" in fast["WEB-10"]
    slow = _fired([_page(HOME, 5200, 0.4, 100), _page(HOME + "a", 4800, 0.3, 50)])
    assert set(slow) == {"WEB-11", "WEB-12"}
    assert "LCP 5000 ms" in slow["WEB-11"] and "lab measurement" in slow["WEB-11"]
    assert "0.35" in slow["WEB-12"]
    blocked = _fired([_page(HOME, 1000, 0.0, 800)])
    assert set(blocked) == {"WEB-11"}
    middling = _fired([_page(HOME, 3000, 0.15, 300)])  # needs improvement: neither praised nor faulted
    assert middling == {}
    heavy = _fired([_page(HOME, 1000, 0.0, 0, transferred=6_000_000)])
    assert set(heavy) == {"WEB-10", "WEB-13"}
    assert _fired([{"url": HOME, "vitals": None, "weight": None}]) == {}
