"""The one thesis registry: stock theses (data in stock.yaml), weighted criteria, custom theses and score labels.

The stock theses and every criterion of a custom thesis are validated by the pydantic models of `models.py`
(docs/theses.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import ValidationError as PydanticValidationError

from techscaniq.errors import ValidationError
from techscaniq.theses.models import (
    CRITERION_DESCRIPTION_MAX_CHARS,
    CRITERION_ID_MAX_CHARS,
    KEBAB,
    NAME_MAX_CHARS,
    TOTAL_WEIGHT,
    CriterionModel,
    ThesisModel,
    error_lines,
    is_int,
    text_value,
    whole_number,
)

__all__ = [
    "CATEGORIES",
    "CRITERION_DESCRIPTION_MAX_CHARS",
    "CRITERION_ID_MAX_CHARS",
    "CUSTOM_SLUG",
    "DEFAULT_CUSTOM_THRESHOLD",
    "DEFAULT_THESIS",
    "DESCRIPTION_MAX_CHARS",
    "FOCUS_AREAS",
    "MAX_CRITERIA",
    "NAME_MAX_CHARS",
    "NOTES_MAX_CHARS",
    "SCORING_BASES",
    "SHORT_TEXT_MAX_CHARS",
    "STOCK_FILE",
    "THESES",
    "TOTAL_WEIGHT",
    "Category",
    "Criterion",
    "ResolvedThesis",
    "Thesis",
    "confidence_label",
    "get_thesis",
    "grade",
    "list_theses",
    "resolve_thesis",
    "score_band",
    "thesis_request",
    "validate_registry",
    "validate_thesis",
]

DEFAULT_THESIS = "digital-transformation"
CUSTOM_SLUG = "custom"
DEFAULT_CUSTOM_THRESHOLD = 65
MAX_CRITERIA = 10
DESCRIPTION_MAX_CHARS = 2000
SHORT_TEXT_MAX_CHARS = 40
NOTES_MAX_CHARS = 5000

_ROOT = "investment_thesis_data"


class Category(StrEnum):
    """The seven report categories, each scored 0-100 and graded."""

    TECHNOLOGY_MODERNITY = "technology-modernity"
    SECURITY_POSTURE = "security-posture"
    INFRASTRUCTURE_SCALABILITY = "infrastructure-scalability"
    PRODUCT_DEVELOPER_ECOSYSTEM = "product-developer-ecosystem"
    COMPLIANCE_TRUST = "compliance-trust"
    TEAM_HIRING = "team-hiring"
    WEB_PRESENCE_PERFORMANCE = "web-presence-performance"

    @property
    def display_name(self) -> str:
        """The name shown in reports."""
        return CATEGORIES[self]


# Report order, with display names.
CATEGORIES: Mapping[Category, str] = MappingProxyType(
    {
        Category.TECHNOLOGY_MODERNITY: "Technology Modernity",
        Category.SECURITY_POSTURE: "Security Posture",
        Category.INFRASTRUCTURE_SCALABILITY: "Infrastructure & Scalability",
        Category.PRODUCT_DEVELOPER_ECOSYSTEM: "Product & Developer Ecosystem",
        Category.COMPLIANCE_TRUST: "Compliance & Trust",
        Category.TEAM_HIRING: "Team & Hiring",
        Category.WEB_PRESENCE_PERFORMANCE: "Web Presence & Performance",
    }
)

FOCUS_AREAS: tuple[str, ...] = (
    "scalable-architecture",
    "modern-tech-stack",
    "security-focus",
    "devops-maturity",
    "cloud-native",
    "api-driven",
    "microservices",
    "data-intensive",
    "mobile-first",
    "low-technical-debt",
    "distributed-systems",
    "high-availability",
    "test-coverage",
    "containerized",
    "documentation",
)


@dataclass(frozen=True)
class Criterion:
    """A weighted criterion; `basis` is the stock criterion id or category whose rules score it."""

    id: str
    name: str
    weight: int
    description: str
    basis: str
    signals: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "id": self.id,
            "name": self.name,
            "weight": self.weight,
            "description": self.description,
            "basis": self.basis,
            "signals": list(self.signals),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Criterion:
        """Read back a `to_dict` result."""
        return cls(
            id=data["id"],
            name=data["name"],
            weight=data["weight"],
            description=data.get("description", ""),
            basis=data.get("basis") or data["id"],
            signals=tuple(data.get("signals", ())),
        )


def _snapshot(obj: Thesis | ResolvedThesis) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.name == "criteria":
            value = [c.to_dict() for c in value]
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def _from_snapshot(cls: type[Any], data: Mapping[str, Any]) -> Any:
    # No rule checks here: an old snapshot must stay readable even after the rules change.
    if not isinstance(data, Mapping):
        raise ValueError(f"a thesis snapshot must be a mapping, not {type(data).__name__}")
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            if f.default is MISSING:
                raise ValueError(f"thesis snapshot lacks {f.name!r}")
            continue
        value = data[f.name]
        if f.name == "criteria":
            value = tuple(Criterion.from_dict(c) for c in value)
        elif f.name == "focus_areas":
            value = tuple(value)
        kwargs[f.name] = value
    return cls(**kwargs)


@dataclass(frozen=True)
class Thesis:
    """A stock investment thesis: the lens a scan is scored through."""

    slug: str
    name: str
    description: str
    dd_focus: str
    time_horizon: str
    target_multiple: str
    threshold: int
    criteria: tuple[Criterion, ...]
    focus_areas: tuple[str, ...]

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion with this id; KeyError if absent."""
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe snapshot, criteria with weights."""
        return _snapshot(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Thesis:
        """Read back a `to_dict` snapshot."""
        thesis: Thesis = _from_snapshot(cls, data)
        return thesis


@dataclass(frozen=True)
class ResolvedThesis:
    """The thesis a scan is scored against (stock or custom); stored on the scan as a snapshot."""

    slug: str
    name: str
    description: str
    threshold: int
    criteria: tuple[Criterion, ...]
    focus_areas: tuple[str, ...]
    custom: bool
    dd_focus: str = ""
    time_horizon: str = ""
    target_multiple: str = ""
    notes: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe snapshot, criteria with weights."""
        return _snapshot(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResolvedThesis:
        """Read back a `to_dict` snapshot."""
        resolved: ResolvedThesis = _from_snapshot(cls, data)
        return resolved


STOCK_FILE = Path(__file__).with_name("stock.yaml")


def _validation_context(criterion_ids: Iterable[str]) -> dict[str, Any]:
    """What the models check against: known scoring bases, categories and focus areas."""
    return {
        "scoring_bases": frozenset(criterion_ids) | frozenset(CATEGORIES),
        "categories": tuple(CATEGORIES),
        "focus_areas": FOCUS_AREAS,
    }


def _thesis_of(model: ThesisModel) -> Thesis:
    return Thesis(
        slug=model.slug,
        name=model.name,
        description=model.description,
        dd_focus=model.dd_focus,
        time_horizon=model.time_horizon,
        target_multiple=model.target_multiple,
        threshold=model.threshold,
        criteria=tuple(
            Criterion(
                id=c.id,
                name=c.name,
                weight=c.weight,
                description=c.description,
                basis=c.basis,
                signals=c.signals,
            )
            for c in model.criteria
        ),
        focus_areas=model.focus_areas,
    )


def _load_stock_theses() -> tuple[Thesis, ...]:
    """The stock theses of stock.yaml, each validated by ThesisModel; ValueError names every problem."""
    entries = yaml.safe_load(STOCK_FILE.read_text(encoding="utf-8"))["theses"]
    ids = [c.get("id", "") for entry in entries for c in entry.get("criteria") or () if isinstance(c, dict)]
    context = _validation_context(ids)
    theses = []
    for entry in entries:
        try:
            theses.append(_thesis_of(ThesisModel.model_validate(entry, context=context)))
        except PydanticValidationError as exc:
            raise ValueError(
                f"{STOCK_FILE.name}, thesis {entry.get('slug')!r}: " + "; ".join(error_lines(exc))
            ) from exc
    return tuple(theses)


_STOCK_THESES: tuple[Thesis, ...] = _load_stock_theses()


def validate_thesis(thesis: Thesis) -> None:
    """Raise ValueError listing every rule a stock thesis breaks (weights, ids, threshold, focus areas)."""
    context = _validation_context(c.id for t in (*_STOCK_THESES, thesis) for c in t.criteria)
    try:
        ThesisModel.model_validate(thesis.to_dict(), context=context)
    except PydanticValidationError as exc:
        raise ValueError(f"thesis {thesis.slug!r}: " + "; ".join(error_lines(exc))) from exc


def validate_registry(theses: Sequence[Thesis]) -> None:
    """Validate each thesis, and that slugs and criterion ids are unique across the registry."""
    for thesis in theses:
        validate_thesis(thesis)
    slugs = [t.slug for t in theses]
    if len(set(slugs)) != len(slugs) or CUSTOM_SLUG in slugs:
        raise ValueError(f"thesis slugs must be unique and not {CUSTOM_SLUG!r}: {slugs}")
    # A criterion id doubles as a scoring basis, so it must name one thing only.
    ids = [c.id for t in theses for c in t.criteria]
    clashes = sorted({i for i in ids if ids.count(i) > 1 or i in CATEGORIES})
    if clashes:
        raise ValueError(f"criterion ids used twice or clashing with a category: {clashes}")


validate_registry(_STOCK_THESES)

THESES: Mapping[str, Thesis] = MappingProxyType({t.slug: t for t in _STOCK_THESES})
# Where a criterion's score comes from: a stock criterion's rules or a category's rules.
SCORING_BASES: frozenset[str] = frozenset(c.id for t in _STOCK_THESES for c in t.criteria) | frozenset(
    CATEGORIES
)


def get_thesis(slug: str) -> Thesis:
    """The stock thesis with this slug; KeyError if unknown."""
    try:
        return THESES[slug]
    except KeyError:
        raise KeyError(f"unknown thesis {slug!r}") from None


def list_theses() -> list[Thesis]:
    """The stock theses in registry order."""
    return list(_STOCK_THESES)


def resolve_thesis(
    primary_criteria: str | None = None,
    investment_thesis_data: Mapping[str, Any] | None = None,
    thesis_tags: Sequence[str] | None = None,
) -> ResolvedThesis:
    """The thesis a scan runs under; custom data wins over the slug. ValidationError lists every bad field."""
    errors: dict[str, str] = {}
    tags = _focus_areas(thesis_tags, "thesis_tags", errors)
    # An empty object carries no thesis, so the slug still applies.
    if investment_thesis_data is not None and investment_thesis_data != {}:
        resolved = _resolve_custom(investment_thesis_data, tags, errors)
    else:
        resolved = _resolve_stock(primary_criteria, tags, errors)
    if errors or resolved is None:
        detail = "; ".join(f"{path}: {message}" for path, message in errors.items())
        raise ValidationError(f"invalid investment thesis: {detail}", fields=errors)
    return resolved


def thesis_request(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """The submission fields that ask for a stored thesis snapshot again (a scheduled re-scan repeats its scan's)."""
    resolved = ResolvedThesis.from_dict(snapshot)
    if resolved.slug in THESES and resolved == _from_stock(THESES[resolved.slug], resolved.focus_areas):
        return {"primary_criteria": resolved.slug, "thesis_tags": list(resolved.focus_areas)}
    data: dict[str, Any] = {
        "thesisType": resolved.slug if resolved.slug in THESES else CUSTOM_SLUG,
        "criteria": [{key: c.to_dict()[key] for key in _CRITERION_FIELDS} for c in resolved.criteria],
        "focusAreas": list(resolved.focus_areas),
        "threshold": resolved.threshold,
    }
    optional = {
        "customThesisName": resolved.name,
        "customThesisDescription": resolved.description,
        "timeHorizon": resolved.time_horizon,
        "targetMultiple": resolved.target_multiple,
        "notes": resolved.notes,
    }
    data.update({key: value for key, value in optional.items() if value})
    return {"investment_thesis_data": data}


def _resolve_stock(
    slug: object, tags: tuple[str, ...] | None, errors: dict[str, str]
) -> ResolvedThesis | None:
    if slug is None:
        slug = DEFAULT_THESIS
    if not isinstance(slug, str):
        errors["primary_criteria"] = f"must be a thesis slug string, not {type(slug).__name__}"
        return None
    slug = slug.strip() or DEFAULT_THESIS
    thesis = THESES.get(slug)
    if thesis is None:
        errors["primary_criteria"] = f"unknown thesis {slug!r}; expected one of: {', '.join(THESES)}"
        return None
    return _from_stock(thesis, tags)


def _from_stock(thesis: Thesis, focus_areas: tuple[str, ...] | None) -> ResolvedThesis:
    return ResolvedThesis(
        slug=thesis.slug,
        name=thesis.name,
        description=thesis.description,
        threshold=thesis.threshold,
        criteria=thesis.criteria,
        focus_areas=focus_areas or thesis.focus_areas,
        custom=False,
        dd_focus=thesis.dd_focus,
        time_horizon=thesis.time_horizon,
        target_multiple=thesis.target_multiple,
    )


def _resolve_custom(
    data: object, tags: tuple[str, ...] | None, errors: dict[str, str]
) -> ResolvedThesis | None:
    if not isinstance(data, Mapping):
        errors[_ROOT] = f"must be an object, not {type(data).__name__}"
        return None
    kind = data.get("thesisType")
    base: Thesis | None = None
    if not isinstance(kind, str) or not kind.strip():
        errors[f"{_ROOT}.thesisType"] = f"required: {CUSTOM_SLUG!r} or a thesis slug"
    elif kind.strip() in THESES:
        base = THESES[kind.strip()]
    elif kind.strip() != CUSTOM_SLUG:
        errors[f"{_ROOT}.thesisType"] = (
            f"unknown thesis {kind.strip()!r}; expected {CUSTOM_SLUG!r} or one of: {', '.join(THESES)}"
        )
    is_custom = isinstance(kind, str) and kind.strip() == CUSTOM_SLUG

    name = _text(data, "customThesisName", _ROOT, errors, NAME_MAX_CHARS, required=is_custom)
    description = _text(data, "customThesisDescription", _ROOT, errors, DESCRIPTION_MAX_CHARS)
    criteria = _criteria(data.get("criteria"), errors, required=base is None)
    focus = _focus_areas(data.get("focusAreas"), f"{_ROOT}.focusAreas", errors)
    horizon = _text(data, "timeHorizon", _ROOT, errors, SHORT_TEXT_MAX_CHARS)
    multiple = _text(data, "targetMultiple", _ROOT, errors, SHORT_TEXT_MAX_CHARS)
    notes = _text(data, "notes", _ROOT, errors, NOTES_MAX_CHARS)
    default_threshold = base.threshold if base else DEFAULT_CUSTOM_THRESHOLD
    threshold = _integer(data.get("threshold"), f"{_ROOT}.threshold", errors, 0, 100)
    if errors:
        return None
    if threshold is None:
        threshold = default_threshold

    if base is None:
        return ResolvedThesis(
            slug=CUSTOM_SLUG,
            name=name,
            description=description,
            threshold=threshold,
            criteria=criteria or (),
            focus_areas=focus or tags or (),
            custom=True,
            time_horizon=horizon,
            target_multiple=multiple,
            notes=notes,
        )
    if criteria is None or _criteria_key(criteria) == _criteria_key(base.criteria):
        criteria = base.criteria
    return ResolvedThesis(
        slug=base.slug,
        name=name or base.name,
        description=description or base.description,
        threshold=threshold,
        criteria=criteria,
        focus_areas=focus or tags or base.focus_areas,
        custom=criteria != base.criteria or threshold != base.threshold,
        dd_focus=base.dd_focus,
        time_horizon=horizon or base.time_horizon,
        target_multiple=multiple or base.target_multiple,
        notes=notes,
    )


def _criteria_key(criteria: Sequence[Criterion]) -> list[tuple[str, str, int, str]]:
    return [(c.id, c.name, c.weight, c.basis) for c in criteria]


def _criteria(value: object, errors: dict[str, str], *, required: bool) -> tuple[Criterion, ...] | None:
    path = f"{_ROOT}.criteria"
    if value is None:
        if required:
            errors[path] = f"required: 1 to {MAX_CRITERIA} criteria"
        return None
    if not isinstance(value, list | tuple):
        errors[path] = f"must be a list of criteria, not {type(value).__name__}"
        return None
    if not 1 <= len(value) <= MAX_CRITERIA:
        errors[path] = f"must hold 1 to {MAX_CRITERIA} criteria, not {len(value)}"
    context = _validation_context(SCORING_BASES)
    parsed: list[Criterion] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        if not isinstance(item, Mapping):
            errors[item_path] = (
                f"must be an object with id, name, weight and basis, not {type(item).__name__}"
            )
            continue
        problems: dict[str, str] = {}
        model: CriterionModel | None = None
        try:
            model = CriterionModel.model_validate(
                {key: item.get(key) for key in _CRITERION_FIELDS}, context=context
            )
        except PydanticValidationError as exc:
            for problem in exc.errors():
                problems[str(problem["loc"][0])] = str(problem["msg"]).removeprefix("Value error, ")
        cid = item["id"].strip() if isinstance(item.get("id"), str) else ""
        if not (cid and not KEBAB.match(cid)) and cid in seen:
            problems["id"] = f"duplicate id {cid!r}"
        seen.add(cid)
        for field_name in _CRITERION_FIELDS:
            if field_name in problems:
                errors[f"{item_path}.{field_name}"] = problems[field_name]
        if model is not None and not problems:
            parsed.append(
                Criterion(
                    id=model.id,
                    name=model.name,
                    weight=model.weight,
                    description=model.description,
                    basis=model.basis,
                )
            )
    if len(parsed) == len(value) and path not in errors:
        total = sum(c.weight for c in parsed)
        if total != TOTAL_WEIGHT:
            errors[path] = f"weights sum to {total}; they must sum to exactly {TOTAL_WEIGHT}"
            return None
        return tuple(parsed)
    return None


# The fields of a custom criterion, in the order their problems are reported.
_CRITERION_FIELDS = ("id", "name", "description", "weight", "basis")


def _focus_areas(value: object, path: str, errors: dict[str, str]) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        errors[path] = f"must be a list of focus areas, not {type(value).__name__}"
        return None
    tags: list[str] = []
    for index, tag in enumerate(value):
        if not isinstance(tag, str):
            errors[f"{path}[{index}]"] = f"must be a string, not {type(tag).__name__}"
        elif tag.strip() not in FOCUS_AREAS:
            errors[f"{path}[{index}]"] = (
                f"unknown focus area {tag!r}; expected one of: {', '.join(FOCUS_AREAS)}"
            )
        elif tag.strip() not in tags:
            tags.append(tag.strip())
    # An empty selection means "no preference", so the thesis's own focus areas apply.
    return tuple(tags) or None


def _text(
    data: Mapping[str, Any],
    key: str,
    parent: str,
    errors: dict[str, str],
    max_chars: int,
    *,
    required: bool = False,
) -> str:
    value = data.get(key)
    try:
        return text_value(value, max_chars, required=required)
    except ValueError as exc:
        errors[f"{parent}.{key}"] = str(exc)
        return value.strip() if isinstance(value, str) else ""


def _integer(
    value: object, path: str, errors: dict[str, str], low: int, high: int, *, required: bool = False
) -> int | None:
    try:
        return whole_number(value, low, high, required=required)
    except ValueError as exc:
        errors[path] = str(exc)
        return None


_BANDS = ((80, "Excellent"), (60, "Good"), (40, "Fair"), (20, "Poor"), (0, "Critical"))
_GRADES = ((85, "A"), (70, "B"), (55, "C"), (40, "D"), (0, "F"))
_CONFIDENCE_LABELS = ((90, "Very High"), (75, "High"), (60, "Moderate"), (40, "Low"), (0, "Very Low"))


def _label(value: int, table: tuple[tuple[int, str], ...]) -> str:
    if not is_int(value):
        raise TypeError(f"expected an integer 0-100, not {value!r}")
    if not 0 <= value <= 100:
        raise ValueError(f"expected an integer 0-100, not {value}")
    return next(label for floor, label in table if value >= floor)


def score_band(score: int) -> str:
    """Band of a 0-100 criterion score: Excellent, Good, Fair, Poor or Critical."""
    return _label(score, _BANDS)


def grade(score: int) -> str:
    """Letter grade A-F of a 0-100 category score."""
    return _label(score, _GRADES)


def confidence_label(c: int) -> str:
    """Label of a 0-100 coverage confidence: Very High, High, Moderate, Low or Very Low."""
    return _label(c, _CONFIDENCE_LABELS)
