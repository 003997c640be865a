"""Lab Core Web Vitals and page weight of rendered pages, graded against the Web Vitals thresholds.

The browser side is an observer script installed before any of the page's own scripts run; it only records
performance entries (bounded) under a symbol the page-globals walk does not list. Everything else is arithmetic
on those entries, here, so it can be tested without a browser. What the numbers mean: docs/evidence.md §14.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

MAX_ENTRIES = 500  # layout shifts and long tasks kept per page
LONG_TASK_MS = 50.0  # the part of a main-thread task beyond this blocks input
SESSION_GAP_MS = 1000.0  # a layout-shift session window closes after a second without shifts
SESSION_SPAN_MS = 5000.0  # ... or five seconds after it opened
# (good up to and including, poor above); between the two: needs improvement. LCP, TBT and FCP in ms.
THRESHOLDS: dict[str, tuple[float, float]] = {
    "lcp_ms": (2500.0, 4000.0),
    "cls": (0.1, 0.25),
    "tbt_ms": (200.0, 600.0),
    "fcp_ms": (1800.0, 3000.0),
}
GRADED = ("lcp_ms", "cls", "tbt_ms")  # the three the report scores; FCP is graded but only informs
GRADE_ORDER = ("good", "needs_improvement", "poor")
# Playwright resource types, grouped the way page weight is reported.
WEIGHT_GROUPS = {
    "document": "document",
    "script": "script",
    "stylesheet": "stylesheet",
    "image": "image",
    "font": "font",
    "xhr": "xhr_fetch",
    "fetch": "xhr_fetch",
}
WEIGHT_ORDER = ("document", "script", "stylesheet", "image", "font", "xhr_fetch", "other")
METHOD = (
    "lab measurement: one load in headless Chromium on the scanning machine, no CPU or network throttling, "
    "every request fetched by the scanner (on a loopback test site, by a server on the same machine); "
    "not what real visitors experience"
)

# Installed with add_init_script: runs in every document before its own scripts. `__KEY__` is replaced by a
# per-browser tag, so the page cannot guess where the record lives.
OBSERVER_SCRIPT = """(() => {
  if (window.top !== window) return;
  const key = Symbol.for('__KEY__');
  if (window[key]) return;
  const state = { fcp: null, lcp: null, lcpSize: 0, lcpElement: null, shifts: [], tasks: [], inputs: 0 };
  Object.defineProperty(window, key, { value: state, enumerable: false });
  const limit = __LIMIT__;
  const watch = (type, each) => {
    try {
      new PerformanceObserver(list => { for (const entry of list.getEntries()) each(entry); })
        .observe({ type, buffered: true });
    } catch (e) { /* an entry type this browser does not know */ }
  };
  watch('paint', e => { if (e.name === 'first-contentful-paint') state.fcp = e.startTime; });
  watch('largest-contentful-paint', e => {
    state.lcp = e.startTime;
    state.lcpSize = e.size;
    state.lcpElement = e.element ? e.element.tagName.toLowerCase() : null;
  });
  watch('layout-shift', e => {
    if (e.hadRecentInput) { state.inputs += 1; return; }
    if (state.shifts.length < limit) state.shifts.push([e.startTime, e.value]);
  });
  watch('longtask', e => { if (state.tasks.length < limit) state.tasks.push([e.startTime, e.duration]); });
})();"""

# Read once the page has settled; `now` is the end of the window long tasks are counted in.
READ_SCRIPT = """key => {
  const state = window[Symbol.for(key)];
  if (!state) return null;
  const nav = performance.getEntriesByType('navigation')[0];
  return {
    fcp: state.fcp, lcp: state.lcp, lcpSize: state.lcpSize, lcpElement: state.lcpElement,
    shifts: state.shifts, tasks: state.tasks, inputs: state.inputs, now: performance.now(),
    load: nav && nav.loadEventEnd > 0 ? nav.loadEventEnd : null,
    ttfb: nav ? nav.responseStart : null,
  };
}"""


def observer_script(key: str) -> str:
    """The observer with its record's key filled in."""
    return OBSERVER_SCRIPT.replace("__KEY__", key).replace("__LIMIT__", str(MAX_ENTRIES))


def cumulative_layout_shift(shifts: Iterable[Sequence[float]]) -> float:
    """CLS: the largest sum of shift scores in one session window (shifts already exclude those after input)."""
    worst = current = 0.0
    opened = last = None
    for start, value in sorted((float(s[0]), float(s[1])) for s in shifts):
        if (
            opened is None
            or last is None
            or start - last > SESSION_GAP_MS
            or start - opened > SESSION_SPAN_MS
        ):
            opened, current = start, 0.0
        current += value
        last = start
        worst = max(worst, current)
    return round(worst, 4)


def total_blocking_time(
    tasks: Iterable[Sequence[float]], fcp_ms: float | None, end_ms: float
) -> float | None:
    """TBT: for each long task after first contentful paint and before `end_ms`, its time beyond 50 ms.

    A task that straddles FCP or the end counts only with its part inside the window. None without an FCP.
    """
    if fcp_ms is None:
        return None
    blocked = 0.0
    for start, duration in tasks:
        inside = min(float(start) + float(duration), end_ms) - max(float(start), fcp_ms)
        blocked += max(0.0, inside - LONG_TASK_MS)
    return round(blocked, 1)


def grade(metric: str, value: float | None) -> str | None:
    """'good', 'needs_improvement' or 'poor' against THRESHOLDS; None when not measured."""
    if value is None:
        return None
    good, poor = THRESHOLDS[metric]
    if value <= good:
        return "good"
    return "poor" if value > poor else "needs_improvement"


def worst_grade(grades: Iterable[str | None]) -> str | None:
    """The worst of some grades (None when none was measured)."""
    known = [g for g in grades if g is not None]
    return max(known, key=GRADE_ORDER.index) if known else None


def _ms(value: Any) -> float | None:
    return round(float(value), 1) if isinstance(value, int | float) and not isinstance(value, bool) else None


def page_vitals(raw: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The lab vitals of one page from what the observer recorded (None when nothing was recorded)."""
    if not raw:
        return None
    now = float(raw.get("now") or 0.0)
    fcp = _ms(raw.get("fcp"))
    shifts = [s for s in raw.get("shifts") or [] if len(s) == 2]
    tasks = [t for t in raw.get("tasks") or [] if len(t) == 2]
    values = {
        "lcp_ms": _ms(raw.get("lcp")),
        "cls": cumulative_layout_shift(shifts),
        "tbt_ms": total_blocking_time(tasks, fcp, now),
        "fcp_ms": fcp,
    }
    return {
        **values,
        "grades": {metric: grade(metric, value) for metric, value in values.items()},
        "overall": worst_grade(grade(metric, values[metric]) for metric in GRADED),
        "lcp_element": raw.get("lcpElement"),
        "ttfb_ms": _ms(raw.get("ttfb")),
        "load_ms": _ms(raw.get("load")),
        "window_ms": round(now, 1),
        "long_tasks": len(tasks),
        "longest_task_ms": _ms(max((float(t[1]) for t in tasks), default=None)),
        "layout_shifts": len(shifts),
        "shifts_after_input": int(raw.get("inputs") or 0),
    }


class _Request(Protocol):
    resource_type: str
    outcome: str
    bytes: int
    transferred: int


def page_weight(requests: Iterable[_Request]) -> dict[str, Any]:
    """Bytes and requests by resource type, over the requests the browser was given an answer for."""
    groups = {name: {"requests": 0, "bytes": 0, "transferred": 0} for name in WEIGHT_ORDER}
    not_fetched = 0
    for record in requests:
        if record.outcome != "fulfilled":
            not_fetched += 1
            continue
        group = groups[WEIGHT_GROUPS.get(record.resource_type, "other")]
        group["requests"] += 1
        group["bytes"] += record.bytes
        group["transferred"] += record.transferred
    return {
        "bytes": sum(g["bytes"] for g in groups.values()),
        "transferred": sum(g["transferred"] for g in groups.values()),
        "requests": sum(g["requests"] for g in groups.values()),
        "not_fetched": not_fetched,
        "by_type": groups,
    }


def _median(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.median(known), 4) if known else None


def site_vitals(pages: Sequence[Mapping[str, Any]], home_url: str) -> dict[str, Any] | None:
    """Home page's vitals, medians over every measured page with their grades, and the median page weight.

    `pages` are rendered_page data: `url`, `vitals` (page_vitals or None) and `weight` (page_weight). None when
    no page was rendered; the vitals fields are None when no page recorded any.
    """
    if not pages:
        return None
    measured = [p for p in pages if p.get("vitals")]
    home = next((p for p in measured if p.get("url") == home_url), None)
    median = {metric: _median(p["vitals"].get(metric) for p in measured) for metric in THRESHOLDS}
    grades = {metric: grade(metric, value) for metric, value in median.items()}
    poor = {
        metric: sum(1 for p in measured if p["vitals"]["grades"].get(metric) == "poor") for metric in GRADED
    }
    weights = [p["weight"] for p in pages if p.get("weight")]
    return {
        "method": METHOD,
        "pages_measured": len(measured),
        "home": {k: home["vitals"][k] for k in (*THRESHOLDS, "grades", "overall")} if home else None,
        "median": median,
        "grades": grades,
        "overall": worst_grade(grades[metric] for metric in GRADED),
        "pages_poor": poor,
        "median_weight_bytes": _median(w["bytes"] for w in weights),
        "median_weight_transferred": _median(w["transferred"] for w in weights),
        "median_requests": _median(w["requests"] for w in weights),
    }


def describe(vitals: Mapping[str, Any]) -> str:
    """'LCP 1.2 s, CLS 0.02, TBT 40 ms' (what was measured)."""
    parts = []
    if vitals.get("lcp_ms") is not None:
        parts.append(f"LCP {vitals['lcp_ms'] / 1000:.1f} s")
    if vitals.get("cls") is not None:
        parts.append(f"CLS {vitals['cls']:.2f}")
    if vitals.get("tbt_ms") is not None:
        parts.append(f"TBT {vitals['tbt_ms']:.0f} ms")
    return ", ".join(parts) or "no paint recorded"
