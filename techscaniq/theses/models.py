"""Pydantic models of theses and criteria: the stock data file and custom criteria pass the same checks.

Validators raise the messages the API returns in `fields` (docs/theses.md §3), so a criterion of a custom thesis
and a criterion of the stock data file are judged by one set of rules.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any, TypeGuard

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

TOTAL_WEIGHT = 100
NAME_MAX_CHARS = 120
CRITERION_ID_MAX_CHARS = 64
CRITERION_DESCRIPTION_MAX_CHARS = 1000
KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def is_int(value: object) -> TypeGuard[int]:
    """True for an int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def text_value(value: object, max_chars: int, *, required: bool = False) -> str:
    """Trimmed text; None reads as empty. Raises ValueError with the field's message."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValueError(f"must be a string, not {type(value).__name__}")
    text = value.strip()
    if required and not text:
        raise ValueError("required")
    if len(text) > max_chars:
        raise ValueError(f"must be at most {max_chars} characters, not {len(text)}")
    return text


def whole_number(value: object, low: int, high: int, *, required: bool = False) -> int | None:
    """A whole number in [low, high]; None when absent and optional. Raises ValueError with the field's message."""
    if value is None:
        if required:
            raise ValueError(f"required: a whole number from {low} to {high}")
        return None
    if not is_int(value):
        raise ValueError(f"must be a whole number from {low} to {high}, not {value!r}")
    if not low <= value <= high:
        raise ValueError(f"must be from {low} to {high}, not {value}")
    return value


class CriterionModel(BaseModel):
    """One weighted criterion. Validate with context {"scoring_bases": ..., "categories": ...}; basis defaults to id."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    name: str
    description: str = ""
    weight: int
    basis: str = ""
    signals: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _absent_fields_read_as_none(cls, data: object) -> object:
        # So a missing field gets this model's own message ("required"), not pydantic's.
        if isinstance(data, Mapping):
            return {**data, **{name: data.get(name) for name in ("id", "name", "weight", "basis")}}
        return data

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: object) -> str:
        text = text_value(value, 10**6, required=True)
        if not KEBAB.match(text):
            raise ValueError(f"{text!r} is not kebab-case (lower-case letters, digits, hyphens)")
        return text_value(text, CRITERION_ID_MAX_CHARS)

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, value: object) -> str:
        return text_value(value, NAME_MAX_CHARS, required=True)

    @field_validator("description", mode="before")
    @classmethod
    def _description(cls, value: object) -> str:
        return text_value(value, CRITERION_DESCRIPTION_MAX_CHARS)

    @field_validator("weight", mode="before")
    @classmethod
    def _weight(cls, value: object) -> int:
        weight = whole_number(value, 1, TOTAL_WEIGHT, required=True)
        assert weight is not None  # required
        return weight

    @field_validator("basis", mode="before")
    @classmethod
    def _basis(cls, value: object, info: ValidationInfo) -> str:
        context: dict[str, Any] = info.context or {}
        bases: Collection[str] = context.get("scoring_bases", ())
        categories: Collection[str] = context.get("categories", ())
        criterion_id = info.data.get("id", "")  # validated first; absent when it was refused
        expected = f"a stock criterion id or a category ({', '.join(categories)})"
        if value is None or (isinstance(value, str) and not value.strip()):
            # A stock criterion id scores itself; anything else must say what scores it.
            if criterion_id in bases:
                return str(criterion_id)
            raise ValueError(f"required: {expected}")
        if not isinstance(value, str):
            raise ValueError(f"must be a string: {expected}")
        basis = value.strip()
        if basis not in bases:
            raise ValueError(f"unknown basis {basis!r}; use {expected}")
        return basis


class ThesisModel(BaseModel):
    """A stock thesis as the data file states it. Validate with the same context as CriterionModel."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slug: str
    name: str
    description: str
    dd_focus: str
    time_horizon: str
    target_multiple: str
    threshold: int
    focus_areas: tuple[str, ...]
    criteria: tuple[CriterionModel, ...]

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not KEBAB.match(value):
            raise ValueError(f"slug {value!r} is not kebab-case")
        return value

    @field_validator("threshold", mode="before")
    @classmethod
    def _threshold(cls, value: object) -> int:
        if not is_int(value) or not 0 <= value <= 100:
            raise ValueError(f"threshold {value!r} is not a whole number from 0 to 100")
        return value

    @field_validator("focus_areas")
    @classmethod
    def _focus_areas(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        known: Collection[str] = (info.context or {}).get("focus_areas", ())
        unknown = [tag for tag in value if tag not in known]
        if unknown:
            raise ValueError(f"unknown focus areas {unknown}")
        return value

    @field_validator("criteria", mode="before")
    @classmethod
    def _some_criteria(cls, value: object) -> object:
        if isinstance(value, list | tuple) and not value:
            raise ValueError("has no criteria")
        return value

    @field_validator("criteria")
    @classmethod
    def _ids_and_weights(cls, value: tuple[CriterionModel, ...]) -> tuple[CriterionModel, ...]:
        problems = []
        seen: set[str] = set()
        for criterion in value:
            if criterion.id in seen:
                problems.append(f"criterion id {criterion.id!r} is duplicated")
            seen.add(criterion.id)
        total = sum(criterion.weight for criterion in value)
        if total != TOTAL_WEIGHT:
            problems.append(f"weights sum to {total}, not {TOTAL_WEIGHT}")
        if problems:
            raise ValueError("; ".join(problems))
        return value


def error_lines(error: Any) -> list[str]:
    """`field: message` per problem of a pydantic ValidationError, without pydantic's "Value error, " prefix."""
    lines = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"])
        message = str(problem["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {message}" if where else message)
    return lines
