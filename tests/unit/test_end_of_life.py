"""End-of-life evaluation of detected versions: cycle matching, the day boundary, unknowns and the packaged table."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from techscaniq.domain import Evidence
from techscaniq.evidence.fingerprints import FingerprintMatcher
from techscaniq.evidence.fingerprints.eol import evaluate, load_table, parse_table, version_parts
from techscaniq.report.rules import apply_rules, load_rules

TABLE = parse_table(
    {
        "products": {
            "widget": {
                "name": "Widget",
                "source": "https://endoflife.example/widget",
                "cycles": {"1": True, "1.2": "2020-06-30", "1.24": date(2024, 4, 23), "2": False},
            }
        }
    }
)
DAY = date(2025, 1, 1)


def technology(slug: str, **data: Any) -> Evidence:
    return Evidence(
        id=f"id-{slug}",
        scan_id="s",
        type="technology",
        category="technology",
        title=slug,
        summary="s",
        data={"slug": slug, **data},
        source_url="https://example.test/",
        collector="technology",
        confidence=0.9,
        dedup_key=slug,
        collected_at=datetime(2025, 1, 1, tzinfo=UTC),
    )


def test_the_longest_dotted_cycle_wins_and_numbers_compare_as_numbers() -> None:
    assert evaluate("widget", "1.2.9", DAY, TABLE).cycle == "1.2"  # type: ignore[union-attr]
    assert evaluate("widget", "1.24.0", DAY, TABLE).cycle == "1.24"  # type: ignore[union-attr]
    # 1.20 is not in cycle 1.2 (a string prefix would say it is); it falls back to the major cycle.
    verdict = evaluate("widget", "1.20.1", DAY, TABLE)
    assert verdict is not None and verdict.cycle == "1" and verdict.ended and verdict.ends is None
    assert "no longer receives fixes" in verdict.note


def test_a_dated_cycle_has_ended_only_after_its_date() -> None:
    on_the_day = evaluate("widget", "1.24.0", date(2024, 4, 23), TABLE)
    day_after = evaluate("widget", "1.24.0", date(2024, 4, 24), TABLE)
    assert on_the_day is not None and not on_the_day.ended
    assert "ends on 2024-04-23" in on_the_day.note
    assert day_after is not None and day_after.ended
    assert day_after.to_data() == {
        "product": "widget",
        "cycle": "1.24",
        "date": "2024-04-23",
        "ended": True,
        "note": "support for the 1.24.x cycle ended on 2024-04-23 (https://endoflife.example/widget)",
        "source": "https://endoflife.example/widget",
    }


def test_a_supported_cycle_is_not_ended() -> None:
    verdict = evaluate("widget", "v2.4.1", DAY, TABLE)
    assert verdict is not None and verdict.ended is False and verdict.ends is None
    assert "is supported" in verdict.note


@pytest.mark.parametrize(
    ("slug", "version"),
    [("widget", None), ("widget", ""), ("widget", "GA4"), ("widget", "3.0"), ("gadget", "1.0")],
)
def test_unknown_product_version_or_cycle_is_left_unjudged(slug: str, version: str | None) -> None:
    assert evaluate(slug, version, DAY, TABLE) is None


def test_version_parts() -> None:
    assert version_parts("1.8.2-beta.1") == (1, 8, 2)
    assert version_parts(" v3.7 ") == (3, 7)
    assert version_parts("latest") == ()


def test_bad_table_entries_are_refused() -> None:
    with pytest.raises(ValueError, match="widget 1"):
        parse_table({"products": {"widget": {"name": "W", "source": "s", "cycles": {"1": "soon"}}}})
    with pytest.raises(ValueError, match="dotted numbers"):
        parse_table({"products": {"widget": {"name": "W", "source": "s", "cycles": {"1.x": True}}}})


def test_the_packaged_table_names_known_fingerprints_and_real_dates() -> None:
    table = load_table()
    slugs = {tech.slug for tech in FingerprintMatcher.load().technologies.values()}
    assert {"angularjs", "jquery", "bootstrap", "php", "python", "nginx"} <= set(table)
    assert set(table) <= slugs, set(table) - slugs
    for product in table.values():
        assert product.source.startswith("https://endoflife.date/") and product.cycles
    on = date(2025, 11, 3)
    assert evaluate("angularjs", "1.8.2", on).ended  # type: ignore[union-attr]
    assert evaluate("jquery", "1.12.4", on).ended  # type: ignore[union-attr]
    assert not evaluate("jquery", "3.7.1", on).ended  # type: ignore[union-attr]
    assert evaluate("php", "8.0.30", on).ended and not evaluate("php", "8.1.2", on).ended  # type: ignore[union-attr]
    assert evaluate("python", "2.7.18", on).ends == date(2020, 1, 1)  # type: ignore[union-attr]
    assert evaluate("bootstrap", "3.4.1", on).ended and not evaluate("bootstrap", "5.3.3", on).ended  # type: ignore[union-attr]
    assert evaluate("nginx", "1.24.0", on).ended  # type: ignore[union-attr]


def test_rule_tec03_fires_per_flagged_item_with_the_cycle_in_its_text() -> None:
    rules = [r for r in load_rules() if r.id == "TEC-03"]
    flagged = evaluate("angularjs", "1.8.2", DAY)
    supported = evaluate("jquery", "3.7.1", DAY)
    assert flagged is not None and supported is not None
    evidence = [
        technology("angularjs", name="AngularJS", version="1.8.2", end_of_life=True, eol=flagged.to_data()),
        technology("jquery", name="jQuery", version="3.7.1", end_of_life=False, eol=supported.to_data()),
        technology("sentry", name="Sentry", version="7.1.0", end_of_life=None, eol=None),
    ]
    [finding] = apply_rules(rules, evidence)
    assert finding.evidence_ids == (evidence[0].id,)
    assert finding.observation == (
        "AngularJS 1.8.2 is past its end of life: support for the 1.x cycle ended on 2021-12-31 "
        "(https://endoflife.date/angularjs)."
    )
