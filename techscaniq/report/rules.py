"""Findings rules as data: load the YAML rule files and turn evidence into findings (pure, no I/O after load)."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from techscaniq.domain import Evidence, EvidenceType
from techscaniq.theses import CATEGORIES, SCORING_BASES, Category

RULES_PACKAGE = "techscaniq.report"
RULES_FOLDER = "rules"
MAX_NAMES_IN_TEXT = 5
DEFAULT_MAX_FINDINGS_PER_RULE = 3
# A finding over many items cites the first few; the count in its text still covers all of them.
MAX_EVIDENCE_PER_FINDING = 8
_RULE_ID = re.compile(r"^[A-Z]{2,5}-\d{2}$")


class Impact(StrEnum):
    """What a finding means for the thesis."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    NEUTRAL = "neutral"


class Severity(StrEnum):
    """How much a finding matters, lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Level(StrEnum):
    """Likelihood or impact of a risk."""

    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"


SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}
# Likelihood and impact of the risk a negative finding raises, when its rule does not say.
DEFAULT_RISK_LEVELS = {
    Severity.LOW: (Level.LOW, Level.LOW),
    Severity.MEDIUM: (Level.MEDIUM, Level.MEDIUM),
    Severity.HIGH: (Level.MEDIUM, Level.HIGH),
    Severity.CRITICAL: (Level.HIGH, Level.HIGH),
}
TIMELINES = ("0-6m", "6-18m", "18m+")
COST_BANDS = ("< $25k", "$25k-$100k", "$100k-$500k", "> $500k")
OPERATORS = (
    "equals",
    "not_equals",
    "at_least",
    "at_most",
    "above",
    "below",
    "in",
    "not_in",
    "contains",
    "contains_any",
    "exists",
    "truthy",
    "matches",
    "count_at_least",
    "count_below",
    "older_than_days",
)
# Pseudo-fields a condition may test besides the item's data.
KEY_FIELD = "_key"
TITLE_FIELD = "_title"


@dataclass(frozen=True)
class Remedy:
    """What to do about a negative finding: the risk it raises and the roadmap initiative that answers it."""

    action: str
    mitigation: str
    owner: str
    cost_band: str
    timeline: str
    likelihood: Level | None = None
    impact: Level | None = None
    expected_impact: str = ""


@dataclass(frozen=True)
class Rule:
    """One analyst-readable rule: evidence types, a condition on their data, and what a match means."""

    id: str
    area: str
    name: str
    evidence: tuple[EvidenceType, ...]
    when: Mapping[str, Any]
    per_item: bool
    min_items: int
    max_findings: int
    observation: str
    impact: Impact
    severity: Severity
    points: int
    categories: tuple[Category, ...]
    criteria: tuple[str, ...]
    explanation: str
    remedy: Remedy | None = None
    when_any: tuple[Mapping[str, Any], ...] = ()

    def matches(self, item: Evidence) -> bool:
        """True when the item is of the rule's types, meets every `when` test and one `when_any` group."""
        return (
            item.type in self.evidence
            and _all_hold(item, self.when)
            and (not self.when_any or any(_all_hold(item, group) for group in self.when_any))
        )


@dataclass(frozen=True)
class Finding:
    """A rule that fired: its observation, impact, severity, signed points and the evidence behind it."""

    rule: Rule
    observation: str
    evidence_ids: tuple[str, ...]
    points: int = field(default=0)

    @property
    def impact(self) -> Impact:
        """The rule's impact."""
        return self.rule.impact

    @property
    def severity(self) -> Severity:
        """The rule's severity."""
        return self.rule.severity

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (used in the report and by the LLM prompt)."""
        return {
            "rule": self.rule.id,
            "rule_name": self.rule.name,
            "observation": self.observation,
            "impact": str(self.impact),
            "severity": str(self.severity),
            "points": self.points,
            "categories": [str(c) for c in self.rule.categories],
            "criteria": list(self.rule.criteria),
            "evidence_ids": list(self.evidence_ids),
        }


# --- conditions ------------------------------------------------------------------------------------------


def _lookup(data: Any, path: str) -> Any:
    value = data
    for part in path.split("."):
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return None
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _contains(container: Any, wanted: Any) -> bool:
    if isinstance(container, str):
        return str(wanted).lower() in container.lower()
    if isinstance(container, Mapping):
        return _lower(wanted) in {_lower(k) for k in container}
    if isinstance(container, list | tuple):
        return _lower(wanted) in {_lower(v) for v in container if isinstance(v, str | int | float)}
    return False


def _days_old(value: Any, at: datetime) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        when = date.fromisoformat(value[:10])
    except ValueError:
        return None
    return (at.date() - when).days


def _test_one(value: Any, operator: str, expected: Any, at: datetime | None = None) -> bool:
    number = _number(value)
    if operator in {"count_at_least", "count_below"}:
        if not isinstance(value, list | tuple | Mapping):
            return False
        return len(value) >= expected if operator == "count_at_least" else len(value) < expected
    if operator == "older_than_days":
        # Age is measured at collection time, so the same evidence always gives the same answer.
        age = _days_old(value, at) if at is not None else None
        return age is not None and age > int(expected)
    if operator == "equals":
        return bool(_lower(value) == _lower(expected))
    if operator == "not_equals":
        return bool(_lower(value) != _lower(expected))
    if operator in {"at_least", "at_most", "above", "below"}:
        if number is None:
            return False
        bound = float(expected)
        return {
            "at_least": number >= bound,
            "at_most": number <= bound,
            "above": number > bound,
            "below": number < bound,
        }[operator]
    if operator == "in":
        return _lower(value) in {_lower(v) for v in expected}
    if operator == "not_in":
        return value is not None and _lower(value) not in {_lower(v) for v in expected}
    if operator == "contains":
        return _contains(value, expected)
    if operator == "contains_any":
        return any(_contains(value, wanted) for wanted in expected)
    if operator == "exists":
        return (value is not None) is bool(expected)
    if operator == "truthy":
        return bool(value) is bool(expected)
    if operator == "matches":
        return isinstance(value, str) and re.search(str(expected), value, re.IGNORECASE) is not None
    raise ValueError(f"unknown operator {operator!r}")


def _field(item: Evidence, path: str) -> Any:
    if path == KEY_FIELD:
        return item.dedup_key
    if path == TITLE_FIELD:
        return item.title
    return _lookup(item.data, path)


def _all_hold(item: Evidence, conditions: Mapping[str, Any]) -> bool:
    return all(_test(_field(item, path), spec, item.collected_at) for path, spec in conditions.items())


def _test(value: Any, spec: Any, at: datetime | None = None) -> bool:
    if isinstance(spec, Mapping):
        return all(_test_one(value, operator, expected, at) for operator, expected in spec.items())
    return _test_one(value, "equals", spec, at)


# --- observation text ------------------------------------------------------------------------------------


class _TextFormatter(string.Formatter):
    """Formats `{field.path}` from item data; a missing field prints as 'not stated', never raises."""

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if field_name in kwargs:
            return kwargs[field_name], field_name
        value = _lookup(kwargs.get("data", {}), field_name.removeprefix("data."))
        return ("not stated" if value is None else value), field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, list | tuple):
            return _join([str(v) for v in value])
        if isinstance(value, str):
            return value  # "not stated" and other text ignore numeric format specs
        if isinstance(value, float) and value.is_integer() and "%" not in format_spec:
            value = int(value)
        return super().format_field(value, format_spec)


_FORMATTER = _TextFormatter()


def _join(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= MAX_NAMES_IN_TEXT:
        return ", ".join(names)
    return ", ".join(names[:MAX_NAMES_IN_TEXT]) + f" and {len(names) - MAX_NAMES_IN_TEXT} more"


def item_name(item: Evidence) -> str:
    """What a finding calls an item: its data name, else its provider, else its title."""
    for key in ("name", "provider"):
        value = item.data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return item.title


def observation_text(rule: Rule, items: Sequence[Evidence]) -> str:
    """The rule's observation template filled from the matching items (first item's data, count, names)."""
    names = sorted({item_name(item) for item in items})
    first = items[0]
    return _FORMATTER.format(
        rule.observation,
        data=first.data,
        count=len(names),
        names=_join(names),
        _key=first.dedup_key,
        _title=first.title,
    )


# --- loading ---------------------------------------------------------------------------------------------


def _remedy(raw: Mapping[str, Any] | None, rule_id: str) -> Remedy | None:
    if raw is None:
        return None
    timeline = str(raw.get("timeline", "0-6m"))
    cost = str(raw.get("cost_band", COST_BANDS[0]))
    if timeline not in TIMELINES:
        raise ValueError(f"rule {rule_id}: timeline {timeline!r} not in {TIMELINES}")
    if cost not in COST_BANDS:
        raise ValueError(f"rule {rule_id}: cost band {cost!r} not in {COST_BANDS}")
    return Remedy(
        action=str(raw["action"]),
        mitigation=str(raw["mitigation"]),
        owner=str(raw.get("owner", "CTO")),
        cost_band=cost,
        timeline=timeline,
        likelihood=Level(raw["likelihood"]) if raw.get("likelihood") else None,
        impact=Level(raw["impact"]) if raw.get("impact") else None,
        expected_impact=str(raw.get("expected_impact", "")),
    )


def parse_rule(raw: Mapping[str, Any], area: str) -> Rule:
    """Build and check one rule from its YAML mapping; ValueError names the rule and the problem."""
    rule_id = str(raw.get("id", "?"))
    if not _RULE_ID.match(rule_id):
        raise ValueError(f"rule id {rule_id!r} must look like SEC-01")
    evidence = raw.get("evidence")
    types = tuple([evidence] if isinstance(evidence, str) else evidence or ())
    known_types = {t.value for t in EvidenceType}
    bad_types = [t for t in types if t not in known_types]
    if not types or bad_types:
        raise ValueError(f"rule {rule_id}: unknown or missing evidence types {bad_types or types}")
    types = tuple(EvidenceType(t) for t in types)
    when = raw.get("when") or {}
    when_any = tuple(raw.get("when_any") or ())
    for conditions in (when, *when_any):
        for path, spec in conditions.items():
            for operator in spec if isinstance(spec, Mapping) else ["equals"]:
                if operator not in OPERATORS:
                    raise ValueError(f"rule {rule_id}: unknown operator {operator!r} on {path!r}")
    impact = Impact(raw["impact"])
    points = int(raw.get("points", 0))
    if (impact is Impact.POSITIVE and points <= 0) or (impact is Impact.NEGATIVE and points >= 0):
        raise ValueError(
            f"rule {rule_id}: {impact} rules need {'positive' if points <= 0 else 'negative'} points"
        )
    if impact is Impact.NEUTRAL and points != 0:
        raise ValueError(f"rule {rule_id}: neutral rules carry 0 points")
    categories = tuple(Category(c) for c in raw.get("categories", ()))
    criteria = tuple(raw.get("criteria", ()))
    unknown = [c for c in criteria if c not in SCORING_BASES or c in CATEGORIES]
    if unknown or not categories:
        raise ValueError(f"rule {rule_id}: unknown criteria {unknown} or no category")
    remedy = _remedy(raw.get("remedy"), rule_id)
    if impact is Impact.NEGATIVE and remedy is None:
        raise ValueError(f"rule {rule_id}: a negative rule needs a remedy (mitigation, owner, cost band)")
    per = str(raw.get("per", "all"))
    if per not in {"item", "all"}:
        raise ValueError(f"rule {rule_id}: per must be 'item' or 'all'")
    return Rule(
        id=rule_id,
        area=area,
        name=str(raw["name"]),
        evidence=types,
        when=dict(when),
        per_item=per == "item",
        min_items=int(raw.get("min_items", 1)),
        max_findings=int(raw.get("max_findings", DEFAULT_MAX_FINDINGS_PER_RULE)),
        observation=str(raw["observation"]),
        impact=impact,
        severity=Severity(raw.get("severity", "medium")),
        points=points,
        categories=categories,
        criteria=criteria,
        explanation=str(raw.get("explanation", "")).strip(),
        remedy=remedy,
        when_any=tuple(dict(group) for group in when_any),
    )


def parse_rule_file(text: str) -> tuple[str, str, list[Rule]]:
    """Parse one rule file: its area, its title and its rules."""
    document = yaml.safe_load(text)
    area = str(document["area"])
    return area, str(document.get("title", area)), [parse_rule(r, area) for r in document["rules"]]


@lru_cache(maxsize=1)
def load_rules() -> tuple[Rule, ...]:
    """Every packaged rule, in file-name then file order; rule ids are unique."""
    folder = resources.files(RULES_PACKAGE).joinpath(RULES_FOLDER)
    rules: list[Rule] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            rules.extend(parse_rule_file(entry.read_text(encoding="utf-8"))[2])
    ids = [r.id for r in rules]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise ValueError(f"rule ids used twice: {duplicated}")
    return tuple(rules)


@lru_cache(maxsize=1)
def area_titles() -> dict[str, str]:
    """Rule-file areas and their titles, in file-name order."""
    folder = resources.files(RULES_PACKAGE).joinpath(RULES_FOLDER)
    titles: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            document = yaml.safe_load(entry.read_text(encoding="utf-8"))
            titles[str(document["area"])] = str(document.get("title", document["area"]))
    return titles


# --- applying --------------------------------------------------------------------------------------------


def _order(items: Iterable[Evidence]) -> list[Evidence]:
    return sorted(items, key=lambda e: (e.type, e.dedup_key, e.id))


def apply_rules(rules: Sequence[Rule], evidence: Sequence[Evidence]) -> list[Finding]:
    """Every finding the rules draw from the evidence, in rule order; the same evidence gives the same list."""
    by_type: dict[str, list[Evidence]] = {}
    for item in _order(evidence):
        by_type.setdefault(item.type, []).append(item)
    findings: list[Finding] = []
    for rule in rules:
        matched = [item for t in rule.evidence for item in by_type.get(t, ()) if rule.matches(item)]
        # Several items can describe one thing (a provider on many hosts): count distinct names.
        if len({item_name(item) for item in matched}) < rule.min_items:
            continue
        groups = [[item] for item in matched[: rule.max_findings]] if rule.per_item else [matched]
        for group in groups:
            findings.append(
                Finding(
                    rule=rule,
                    observation=observation_text(rule, group),
                    evidence_ids=tuple(item.id for item in group[:MAX_EVIDENCE_PER_FINDING]),
                    points=rule.points,
                )
            )
    return findings
