"""The thesis registry: stock numbers, custom-thesis rules, snapshots and score labels."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from techscaniq.errors import ValidationError
from techscaniq.theses import (
    CATEGORIES,
    DEFAULT_THESIS,
    FOCUS_AREAS,
    SCORING_BASES,
    THESES,
    Category,
    Criterion,
    ResolvedThesis,
    Thesis,
    confidence_label,
    get_thesis,
    grade,
    list_theses,
    resolve_thesis,
    score_band,
    thesis_request,
    validate_registry,
    validate_thesis,
)

# Written out independently of the module, straight from docs/theses.md §2.
EXPECTED_THESES = {
    "accelerate-organic-growth": ("Accelerate Organic Growth", "3-5 years", "5-10x", 70),
    "buy-and-build": ("Buy-and-Build / Roll-Up", "5-7 years", "3-7x", 65),
    "margin-expansion": ("Margin Expansion / Cost-Out", "2-4 years", "3-5x", 60),
    "turnaround-distressed": ("Turnaround / Distressed", "3-4 years", "2-5x", 60),
    "carve-out": ("Carve-Out from Corporate", "2-4 years", "3-6x", 65),
    "geographic-vertical-expansion": ("Geographic or Vertical Expansion", "3-5 years", "4-8x", 65),
    "digital-transformation": ("Digital Transformation / Product Extension", "4-6 years", "3-8x", 65),
}

EXPECTED_WEIGHTS = {
    "accelerate-organic-growth": {
        "cloud-architecture-scalability": 30,
        "development-velocity-pipeline": 25,
        "market-expansion-readiness": 25,
        "code-quality-technical-debt": 20,
    },
    "buy-and-build": {
        "api-architecture-documentation": 25,
        "multi-tenant-conversion-effort": 25,
        "data-model-flexibility": 20,
        "team-depth-multi-codebase": 20,
        "operational-standardization": 10,
    },
    "margin-expansion": {
        "cloud-cost-optimization": 30,
        "process-automation-potential": 25,
        "third-party-licensing-optimization": 20,
        "technical-debt-cost-impact": 15,
        "operational-monitoring-analytics": 10,
    },
    "turnaround-distressed": {
        "critical-security-compliance-gaps": 35,
        "framework-obsolescence-hiring": 20,
        "technical-debt-remediation-scope": 20,
        "team-capability-knowledge-risk": 15,
        "platform-stability-performance": 10,
    },
    "carve-out": {
        "parent-system-dependencies": 25,
        "ip-licensing-complexity": 20,
        "separation-architecture": 20,
        "standalone-operations-readiness": 20,
        "team-independence-knowledge": 15,
    },
    "geographic-vertical-expansion": {
        "multi-region-deployment": 20,
        "internationalization-readiness": 20,
        "industry-compliance": 20,
        "scalability-new-markets": 20,
        "configuration-flexibility": 20,
    },
    "digital-transformation": {
        "service-oriented-architecture": 25,
        "plugin-api-framework-maturity": 20,
        "code-quality-feature-development": 20,
        "legacy-modernization-path": 20,
        "platform-extensibility-design": 15,
    },
}


def custom_data(**overrides: Any) -> dict[str, Any]:
    """A valid custom thesis, with fields replaced by `overrides`."""
    data: dict[str, Any] = {
        "thesisType": "custom",
        "customThesisName": "  Platform play  ",
        "customThesisDescription": "Buy a platform and extend it",
        "criteria": [
            {
                "id": "tech-excellence",
                "name": "Technical Excellence",
                "weight": 40,
                "basis": "technology-modernity",
            },
            {
                "id": "scalability-potential",
                "name": "Scalability Potential",
                "weight": 30,
                "basis": "cloud-architecture-scalability",
                "description": "headroom for growth",
            },
            {
                "id": "market-opportunity",
                "name": "Market Opportunity",
                "weight": 30,
                "basis": "web-presence-performance",
            },
        ],
        "focusAreas": ["cloud-native", "api-driven"],
        "timeHorizon": "3-5 years",
        "targetMultiple": "5-10x",
        "threshold": 70,
        "notes": "from the IC memo",
    }
    data.update(overrides)
    return data


def with_weights(*weights: object) -> list[dict[str, Any]]:
    """Criteria with these weights and valid everything else."""
    return [
        {"id": f"criterion-{i}", "name": f"Criterion {i}", "weight": w, "basis": "security-posture"}
        for i, w in enumerate(weights)
    ]


def field_errors(**kwargs: Any) -> dict[str, str]:
    """The field errors resolve_thesis raises for these arguments."""
    with pytest.raises(ValidationError) as caught:
        resolve_thesis(**kwargs)
    assert caught.value.code == "validation_error"
    assert caught.value.http_status == 400
    return caught.value.fields


# --- the stock registry ---


def test_registry_has_exactly_the_seven_theses_in_order() -> None:
    assert [t.slug for t in list_theses()] == list(EXPECTED_THESES)
    assert DEFAULT_THESIS == "digital-transformation"


@pytest.mark.parametrize("slug", list(EXPECTED_THESES))
def test_stock_thesis_matches_the_table(slug: str) -> None:
    thesis = get_thesis(slug)
    name, horizon, multiple, threshold = EXPECTED_THESES[slug]
    assert (thesis.name, thesis.time_horizon, thesis.target_multiple, thesis.threshold) == (
        name,
        horizon,
        multiple,
        threshold,
    )
    assert {c.id: c.weight for c in thesis.criteria} == EXPECTED_WEIGHTS[slug]
    assert [c.id for c in thesis.criteria] == list(EXPECTED_WEIGHTS[slug])
    assert sum(c.weight for c in thesis.criteria) == 100
    assert all(type(c.weight) is int for c in thesis.criteria)
    assert len(thesis.focus_areas) == 5
    assert set(thesis.focus_areas) <= set(FOCUS_AREAS)
    assert thesis.description and thesis.dd_focus
    assert all(c.name and c.description and c.signals and c.basis == c.id for c in thesis.criteria)


def test_spot_checked_rows_by_value() -> None:
    turnaround = get_thesis("turnaround-distressed").criterion("critical-security-compliance-gaps")
    assert (turnaround.name, turnaround.weight) == ("Critical Security & Compliance Gaps", 35)
    assert "Observatory grade" in turnaround.signals
    carve = get_thesis("carve-out")
    assert carve.dd_focus == "separation complexity"
    assert (
        carve.criterion("ip-licensing-complexity").description == "licence entanglement, IP ownership clarity"
    )
    margin = get_thesis("margin-expansion").criterion("third-party-licensing-optimization")
    assert margin.signals == ("count of overlapping SaaS tools (analytics, chat, CRM, tag managers)",)
    assert get_thesis("digital-transformation").focus_areas == (
        "microservices",
        "api-driven",
        "modern-tech-stack",
        "test-coverage",
        "documentation",
    )
    growth = get_thesis("accelerate-organic-growth")
    assert growth.description.startswith("Add fuel to a proven product")
    assert growth.criterion("development-velocity-pipeline").name == "Development Velocity & Pipeline"


def test_get_thesis_unknown_slug_raises_key_error() -> None:
    with pytest.raises(KeyError):
        get_thesis("growth")
    with pytest.raises(KeyError):
        get_thesis("digital-transformation").criterion("nope")


def test_focus_areas_and_categories() -> None:
    assert len(FOCUS_AREAS) == 15 == len(set(FOCUS_AREAS))
    assert "data-intensive" in FOCUS_AREAS and "mobile-first" in FOCUS_AREAS
    assert [c.value for c in CATEGORIES] == [
        "technology-modernity",
        "security-posture",
        "infrastructure-scalability",
        "product-developer-ecosystem",
        "compliance-trust",
        "team-hiring",
        "web-presence-performance",
    ]
    assert list(CATEGORIES) == list(Category)
    assert Category("team-hiring").display_name == "Team & Hiring"
    assert Category.SECURITY_POSTURE == "security-posture"
    assert set(Category) <= SCORING_BASES
    assert "industry-compliance" in SCORING_BASES


def test_list_theses_returns_a_fresh_list() -> None:
    theses = list_theses()
    theses.clear()
    assert len(list_theses()) == 7


# --- the import-time check ---


def test_every_stock_thesis_passes_the_validator() -> None:
    validate_registry(list_theses())


def _replace_weight(thesis: Thesis, index: int, weight: Any) -> Thesis:
    criteria = list(thesis.criteria)
    criteria[index] = dataclasses.replace(criteria[index], weight=weight)
    return dataclasses.replace(thesis, criteria=tuple(criteria))


@pytest.mark.parametrize(
    ("breaker", "message"),
    [
        (lambda t: _replace_weight(t, 0, 26), "sum to 101"),
        (lambda t: _replace_weight(t, 0, 24), "sum to 99"),
        (lambda t: _replace_weight(t, 0, 25.0), "whole number"),
        (lambda t: _replace_weight(t, 0, True), "whole number"),
        (
            lambda t: dataclasses.replace(
                t, criteria=(*t.criteria[:-1], dataclasses.replace(t.criteria[-1], id=t.criteria[0].id))
            ),
            "duplicated",
        ),
        (
            lambda t: dataclasses.replace(
                t, criteria=(dataclasses.replace(t.criteria[0], id="Service_Oriented"), *t.criteria[1:])
            ),
            "kebab-case",
        ),
        (lambda t: dataclasses.replace(t, threshold=101), "threshold"),
        (lambda t: dataclasses.replace(t, focus_areas=("blockchain",)), "focus areas"),
    ],
)
def test_validator_rejects_a_broken_copy(breaker: Any, message: str) -> None:
    broken = breaker(get_thesis("digital-transformation"))
    with pytest.raises(ValueError, match=message):
        validate_thesis(broken)
    with pytest.raises(ValueError, match=message):
        validate_registry([*list_theses()[:-1], broken])


def test_registry_validator_rejects_duplicates_across_theses() -> None:
    theses = list_theses()
    with pytest.raises(ValueError, match="unique"):
        validate_registry([*theses, theses[0]])
    renamed = dataclasses.replace(theses[0], slug="another-growth")
    with pytest.raises(ValueError, match="cloud-architecture-scalability"):
        validate_registry([*theses, renamed])


# --- snapshots ---


@pytest.mark.parametrize("slug", list(EXPECTED_THESES))
def test_thesis_snapshot_round_trips_through_json(slug: str) -> None:
    thesis = get_thesis(slug)
    snapshot = json.loads(json.dumps(thesis.to_dict()))
    assert snapshot["criteria"][0]["weight"] == thesis.criteria[0].weight
    assert Thesis.from_dict(snapshot) == thesis


def test_resolved_snapshot_round_trips_through_json() -> None:
    for resolved in (resolve_thesis("carve-out"), resolve_thesis(investment_thesis_data=custom_data())):
        snapshot = json.loads(json.dumps(resolved.to_dict()))
        assert ResolvedThesis.from_dict(snapshot) == resolved
    snapshot = resolve_thesis(investment_thesis_data=custom_data()).to_dict()
    assert snapshot["custom"] is True
    assert [c["weight"] for c in snapshot["criteria"]] == [40, 30, 30]


def test_old_snapshot_without_optional_fields_still_reads() -> None:
    snapshot = resolve_thesis().to_dict()
    for key in ("notes", "dd_focus", "time_horizon", "target_multiple"):
        del snapshot[key]
    for criterion in snapshot["criteria"]:
        del criterion["basis"], criterion["signals"]
    resolved = ResolvedThesis.from_dict(snapshot)
    assert resolved.notes == ""
    assert resolved.criteria[0].basis == resolved.criteria[0].id
    with pytest.raises(ValueError, match="criteria"):
        ResolvedThesis.from_dict({k: v for k, v in snapshot.items() if k != "criteria"})


def test_criterion_round_trip() -> None:
    criterion = Criterion(id="a-b", name="A B", weight=100, description="d", basis="team-hiring")
    assert Criterion.from_dict(criterion.to_dict()) == criterion


# --- stock resolution, precedence and tags ---


def test_default_and_slug_resolution() -> None:
    assert resolve_thesis().slug == DEFAULT_THESIS
    assert resolve_thesis(None, None, None).slug == DEFAULT_THESIS
    assert resolve_thesis("  ").slug == DEFAULT_THESIS
    resolved = resolve_thesis("buy-and-build")
    stock = get_thesis("buy-and-build")
    assert resolved.custom is False
    assert (resolved.name, resolved.threshold, resolved.criteria) == (stock.name, 65, stock.criteria)
    assert resolved.focus_areas == stock.focus_areas
    assert (resolved.time_horizon, resolved.target_multiple, resolved.notes) == ("5-7 years", "3-7x", "")


def test_unknown_slug_is_a_field_error() -> None:
    errors = field_errors(primary_criteria="growth")
    assert list(errors) == ["primary_criteria"]
    assert "growth" in errors["primary_criteria"]
    assert list(field_errors(primary_criteria=42)) == ["primary_criteria"]


def test_thesis_tags_replace_stock_focus_areas() -> None:
    resolved = resolve_thesis(
        "margin-expansion", thesis_tags=["data-intensive", "mobile-first", "data-intensive"]
    )
    assert resolved.focus_areas == ("data-intensive", "mobile-first")
    assert resolved.custom is False
    assert (
        resolve_thesis("margin-expansion", thesis_tags=[]).focus_areas
        == get_thesis("margin-expansion").focus_areas
    )


def test_bad_thesis_tags_are_field_errors() -> None:
    errors = field_errors(primary_criteria="carve-out", thesis_tags=["cloud-native", "blockchain", 7])
    assert set(errors) == {"thesis_tags[1]", "thesis_tags[2]"}
    assert "blockchain" in errors["thesis_tags[1]"]
    assert list(field_errors(thesis_tags="cloud-native")) == ["thesis_tags"]
    # Bad tags and a bad slug are reported together.
    assert set(field_errors(primary_criteria="nope", thesis_tags=["x"])) == {
        "primary_criteria",
        "thesis_tags[0]",
    }


def test_custom_data_takes_precedence_over_primary_criteria() -> None:
    resolved = resolve_thesis("carve-out", custom_data())
    assert resolved.slug == "custom"
    # Even an unknown slug is ignored when the custom data is there.
    assert resolve_thesis("no-such-thesis", custom_data()).slug == "custom"
    # An empty object carries no thesis.
    assert resolve_thesis("carve-out", {}).slug == "carve-out"


def test_thesis_tags_fill_in_when_custom_data_has_no_focus_areas() -> None:
    data = custom_data()
    del data["focusAreas"]
    assert resolve_thesis(None, data, ["security-focus"]).focus_areas == ("security-focus",)
    assert resolve_thesis(None, data).focus_areas == ()
    assert resolve_thesis(None, custom_data(), ["security-focus"]).focus_areas == (
        "cloud-native",
        "api-driven",
    )


# --- custom thesis: good input ---


def test_valid_custom_thesis() -> None:
    resolved = resolve_thesis(investment_thesis_data=custom_data())
    assert resolved.custom is True
    assert resolved.slug == "custom"
    assert resolved.name == "Platform play"
    assert resolved.description == "Buy a platform and extend it"
    assert resolved.threshold == 70
    assert [(c.id, c.weight, c.basis) for c in resolved.criteria] == [
        ("tech-excellence", 40, "technology-modernity"),
        ("scalability-potential", 30, "cloud-architecture-scalability"),
        ("market-opportunity", 30, "web-presence-performance"),
    ]
    assert resolved.criteria[1].description == "headroom for growth"
    assert resolved.focus_areas == ("cloud-native", "api-driven")
    assert (resolved.time_horizon, resolved.target_multiple, resolved.notes) == (
        "3-5 years",
        "5-10x",
        "from the IC memo",
    )


def test_custom_defaults() -> None:
    data = custom_data(threshold=None, notes=None)
    del data["timeHorizon"], data["customThesisDescription"]
    resolved = resolve_thesis(investment_thesis_data=data)
    assert resolved.threshold == 65
    assert (resolved.notes, resolved.time_horizon, resolved.description) == ("", "", "")


def test_threshold_bounds_are_inclusive() -> None:
    assert resolve_thesis(investment_thesis_data=custom_data(threshold=0)).threshold == 0
    assert resolve_thesis(investment_thesis_data=custom_data(threshold=100)).threshold == 100


def test_single_criterion_of_100_and_ten_criteria_are_allowed() -> None:
    assert len(resolve_thesis(investment_thesis_data=custom_data(criteria=with_weights(100))).criteria) == 1
    assert (
        len(resolve_thesis(investment_thesis_data=custom_data(criteria=with_weights(*[10] * 10))).criteria)
        == 10
    )


def test_stock_criterion_id_is_its_own_basis() -> None:
    criteria = [
        {"id": "cloud-cost-optimization", "name": "Cloud cost", "weight": 60},
        {"id": "people", "name": "People", "weight": 40, "basis": "team-hiring"},
    ]
    resolved = resolve_thesis(investment_thesis_data=custom_data(criteria=criteria))
    assert resolved.criteria[0].basis == "cloud-cost-optimization"


def test_stock_slug_with_edited_criteria() -> None:
    criteria = [c.to_dict() for c in get_thesis("carve-out").criteria]
    criteria[0]["weight"], criteria[1]["weight"] = 30, 15
    resolved = resolve_thesis(investment_thesis_data={"thesisType": "carve-out", "criteria": criteria})
    assert resolved.slug == "carve-out"
    assert resolved.custom is True
    assert resolved.name == "Carve-Out from Corporate"
    assert resolved.threshold == 65  # the stock thesis's own threshold
    assert [c.weight for c in resolved.criteria] == [30, 15, 20, 20, 15]
    assert resolved.focus_areas == get_thesis("carve-out").focus_areas


def test_stock_slug_with_unchanged_criteria_is_not_custom() -> None:
    criteria = [
        {"id": c.id, "name": c.name, "weight": c.weight} for c in get_thesis("buy-and-build").criteria
    ]
    resolved = resolve_thesis(investment_thesis_data={"thesisType": "buy-and-build", "criteria": criteria})
    assert resolved.custom is False
    assert resolved.criteria == get_thesis("buy-and-build").criteria
    assert resolve_thesis(investment_thesis_data={"thesisType": "buy-and-build"}).custom is False
    raised = resolve_thesis(investment_thesis_data={"thesisType": "buy-and-build", "threshold": 80})
    assert (raised.custom, raised.threshold) == (True, 80)


# --- custom thesis: bad input ---


@pytest.mark.parametrize("weights", [(40, 30, 29), (40, 30, 31), (50, 51)])
def test_weights_must_sum_to_exactly_100(weights: tuple[int, ...]) -> None:
    errors = field_errors(investment_thesis_data=custom_data(criteria=with_weights(*weights)))
    assert list(errors) == ["investment_thesis_data.criteria"]
    assert f"sum to {sum(weights)}" in errors["investment_thesis_data.criteria"]


@pytest.mark.parametrize("weight", [33.4, 40.0, "40", True, None, 0, 101, -5])
def test_weight_must_be_an_integer_from_1_to_100(weight: object) -> None:
    errors = field_errors(investment_thesis_data=custom_data(criteria=with_weights(30, 30, weight)))
    assert list(errors) == ["investment_thesis_data.criteria[2].weight"]


def test_duplicate_and_malformed_ids() -> None:
    criteria = with_weights(25, 25, 25, 25)
    criteria[1]["id"] = "criterion-0"
    criteria[2]["id"] = "Criterion Two"
    criteria[3]["id"] = ""
    errors = field_errors(investment_thesis_data=custom_data(criteria=criteria))
    assert set(errors) == {
        "investment_thesis_data.criteria[1].id",
        "investment_thesis_data.criteria[2].id",
        "investment_thesis_data.criteria[3].id",
    }
    assert "duplicate" in errors["investment_thesis_data.criteria[1].id"]
    assert "kebab-case" in errors["investment_thesis_data.criteria[2].id"]


def test_basis_must_be_known() -> None:
    criteria = with_weights(50, 50)
    criteria[0]["basis"] = "vibes"
    del criteria[1]["basis"]
    errors = field_errors(investment_thesis_data=custom_data(criteria=criteria))
    assert set(errors) == {
        "investment_thesis_data.criteria[0].basis",
        "investment_thesis_data.criteria[1].basis",
    }
    assert "vibes" in errors["investment_thesis_data.criteria[0].basis"]
    assert "required" in errors["investment_thesis_data.criteria[1].basis"]


def test_unknown_focus_area() -> None:
    errors = field_errors(investment_thesis_data=custom_data(focusAreas=["cloud-native", "blockchain"]))
    assert list(errors) == ["investment_thesis_data.focusAreas[1]"]


@pytest.mark.parametrize("count", [0, 11])
def test_criteria_count_must_be_1_to_10(count: int) -> None:
    weights = [100 // count] * count if count else []
    errors = field_errors(investment_thesis_data=custom_data(criteria=with_weights(*weights)))
    assert list(errors) == ["investment_thesis_data.criteria"]
    assert str(count) in errors["investment_thesis_data.criteria"]


def test_custom_needs_a_name_and_criteria() -> None:
    errors = field_errors(investment_thesis_data={"thesisType": "custom", "customThesisName": "   "})
    assert set(errors) == {"investment_thesis_data.customThesisName", "investment_thesis_data.criteria"}


def test_strings_are_length_capped() -> None:
    data = custom_data(customThesisName="x" * 121, timeHorizon="y" * 41, notes="z" * 5001)
    data["criteria"][0]["name"] = "n" * 121
    errors = field_errors(investment_thesis_data=data)
    assert set(errors) == {
        "investment_thesis_data.customThesisName",
        "investment_thesis_data.timeHorizon",
        "investment_thesis_data.notes",
        "investment_thesis_data.criteria[0].name",
    }
    assert (
        resolve_thesis(investment_thesis_data=custom_data(customThesisName=" " + "x" * 120 + " ")).name
        == "x" * 120
    )


@pytest.mark.parametrize("thesis_type", ["growth", None, 3, ""])
def test_thesis_type_must_be_custom_or_a_stock_slug(thesis_type: object) -> None:
    errors = field_errors(investment_thesis_data=custom_data(thesisType=thesis_type))
    assert list(errors) == ["investment_thesis_data.thesisType"]


@pytest.mark.parametrize("threshold", [-1, 101, 65.5, "65", False])
def test_bad_threshold(threshold: object) -> None:
    errors = field_errors(investment_thesis_data=custom_data(threshold=threshold))
    assert list(errors) == ["investment_thesis_data.threshold"]


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"criteria": "tech-excellence"}, "investment_thesis_data.criteria"),
        ({"criteria": {"id": "a"}}, "investment_thesis_data.criteria"),
        ({"criteria": ["tech-excellence"]}, "investment_thesis_data.criteria[0]"),
        ({"focusAreas": "cloud-native"}, "investment_thesis_data.focusAreas"),
        ({"focusAreas": [None]}, "investment_thesis_data.focusAreas[0]"),
        ({"customThesisName": 42}, "investment_thesis_data.customThesisName"),
        ({"notes": ["a"]}, "investment_thesis_data.notes"),
        ({"targetMultiple": 5}, "investment_thesis_data.targetMultiple"),
    ],
)
def test_wrong_types_are_field_errors(overrides: dict[str, Any], path: str) -> None:
    assert list(field_errors(investment_thesis_data=custom_data(**overrides))) == [path]


@pytest.mark.parametrize("data", [["custom"], "custom", 42])
def test_custom_data_must_be_an_object(data: Any) -> None:
    assert list(field_errors(investment_thesis_data=data)) == ["investment_thesis_data"]


def test_criterion_field_types() -> None:
    criteria = with_weights(50, 50)
    criteria[0]["name"] = 3
    criteria[1]["basis"] = ["team-hiring"]
    criteria[1]["id"] = 9
    errors = field_errors(investment_thesis_data=custom_data(criteria=criteria))
    assert set(errors) == {
        "investment_thesis_data.criteria[0].name",
        "investment_thesis_data.criteria[1].basis",
        "investment_thesis_data.criteria[1].id",
    }


def test_all_field_errors_are_collected() -> None:
    criteria = with_weights(50, 50.5)
    criteria[0]["basis"] = "nope"
    data = custom_data(
        customThesisName="", criteria=criteria, focusAreas=["quantum"], threshold=200, timeHorizon=[1]
    )
    errors = field_errors(investment_thesis_data=data, thesis_tags=["bad-tag"])
    assert set(errors) == {
        "thesis_tags[0]",
        "investment_thesis_data.customThesisName",
        "investment_thesis_data.criteria[0].basis",
        "investment_thesis_data.criteria[1].weight",
        "investment_thesis_data.focusAreas[0]",
        "investment_thesis_data.threshold",
        "investment_thesis_data.timeHorizon",
    }
    with pytest.raises(ValidationError) as caught:
        resolve_thesis(investment_thesis_data=data)
    assert "customThesisName" in caught.value.message
    assert caught.value.to_dict()["error"]["fields"] == caught.value.fields


# --- bands, grades and confidence labels ---


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (100, "Excellent"),
        (80, "Excellent"),
        (79, "Good"),
        (60, "Good"),
        (59, "Fair"),
        (40, "Fair"),
        (39, "Poor"),
        (20, "Poor"),
        (19, "Critical"),
        (0, "Critical"),
    ],
)
def test_score_band(score: int, band: str) -> None:
    assert score_band(score) == band


@pytest.mark.parametrize(
    ("score", "letter"),
    [
        (100, "A"),
        (85, "A"),
        (84, "B"),
        (70, "B"),
        (69, "C"),
        (55, "C"),
        (54, "D"),
        (40, "D"),
        (39, "F"),
        (0, "F"),
    ],
)
def test_grade(score: int, letter: str) -> None:
    assert grade(score) == letter


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (100, "Very High"),
        (90, "Very High"),
        (89, "High"),
        (75, "High"),
        (74, "Moderate"),
        (60, "Moderate"),
        (59, "Low"),
        (40, "Low"),
        (39, "Very Low"),
        (0, "Very Low"),
    ],
)
def test_confidence_label(value: int, label: str) -> None:
    assert confidence_label(value) == label


@pytest.mark.parametrize("labeller", [score_band, grade, confidence_label])
def test_labels_reject_values_off_the_scale(labeller: Any) -> None:
    for bad in (-1, 101):
        with pytest.raises(ValueError):
            labeller(bad)
    for wrong in (0.7, "80", True):
        with pytest.raises(TypeError):
            labeller(wrong)


# --- the data file and the models ---


def test_the_registry_serves_the_data_file() -> None:
    import yaml

    from techscaniq.theses import STOCK_FILE

    entries = yaml.safe_load(STOCK_FILE.read_text(encoding="utf-8"))["theses"]
    assert [entry["slug"] for entry in entries] == [t.slug for t in list_theses()]
    for entry, thesis in zip(entries, list_theses(), strict=True):
        assert [(c["id"], c["weight"]) for c in entry["criteria"]] == [
            (c.id, c.weight) for c in thesis.criteria
        ]


def test_a_broken_data_file_is_refused_at_load(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    import techscaniq.theses as theses_module

    data = yaml.safe_load(theses_module.STOCK_FILE.read_text(encoding="utf-8"))
    data["theses"][0]["criteria"][0]["weight"] += 1
    data["theses"][1]["focus_areas"] = ["blockchain"]
    broken = tmp_path / "stock.yaml"
    broken.write_text(yaml.safe_dump(data), encoding="utf-8")
    monkeypatch.setattr(theses_module, "STOCK_FILE", broken)
    with pytest.raises(
        ValueError, match=r"stock\.yaml, thesis 'accelerate-organic-growth': criteria: weights sum to 101"
    ):
        theses_module._load_stock_theses()
    data["theses"][0]["criteria"][0]["weight"] -= 1
    broken.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ValueError, match="focus_areas: unknown focus areas"):
        theses_module._load_stock_theses()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("weight", 0, "must be from 1 to 100, not 0"),
        ("weight", 2.5, "must be a whole number from 1 to 100, not 2.5"),
        ("id", "Not_Kebab", "'Not_Kebab' is not kebab-case (lower-case letters, digits, hyphens)"),
        ("basis", "nope", "unknown basis 'nope'"),
    ],
)
def test_custom_and_stock_criteria_are_judged_by_one_model(field: str, value: Any, message: str) -> None:
    from pydantic import ValidationError as PydanticValidationError

    from techscaniq.theses import SCORING_BASES
    from techscaniq.theses.models import CriterionModel, error_lines

    criterion = {"id": "a-b", "name": "A B", "weight": 100, "basis": "team-hiring", field: value}
    with pytest.raises(ValidationError) as custom:
        resolve_thesis(
            investment_thesis_data={"thesisType": "custom", "customThesisName": "X", "criteria": [criterion]}
        )
    assert custom.value.fields[f"investment_thesis_data.criteria[0].{field}"].startswith(message)
    with pytest.raises(PydanticValidationError) as stock:
        CriterionModel.model_validate(criterion, context={"scoring_bases": SCORING_BASES, "categories": ()})
    assert error_lines(stock.value)[0].startswith(f"{field}: {message}")


@pytest.mark.parametrize(
    "asked",
    [
        *({"primary_criteria": slug} for slug in THESES),
        {"primary_criteria": "buy-and-build", "thesis_tags": ["api-driven"]},
        {"investment_thesis_data": {"thesisType": "buy-and-build", "threshold": 80, "notes": "board memo 4"}},
        {
            "investment_thesis_data": {
                "thesisType": "custom",
                "customThesisName": "Vertical SaaS roll-up",
                "customThesisDescription": "Bolt-ons every year",
                "criteria": [
                    {
                        "id": "edge",
                        "name": "Edge",
                        "weight": 60,
                        "basis": "security-posture",
                        "description": "d",
                    },
                    {"id": "reach", "name": "Reach", "weight": 40, "basis": "web-presence-performance"},
                ],
                "focusAreas": ["api-driven"],
                "timeHorizon": "3 years",
            }
        },
    ],
)
def test_a_stored_thesis_asked_for_again_resolves_to_the_same_thesis(asked: dict[str, Any]) -> None:
    resolved = resolve_thesis(
        asked.get("primary_criteria"), asked.get("investment_thesis_data"), asked.get("thesis_tags")
    )
    again = thesis_request(json.loads(json.dumps(resolved.to_dict())))
    assert (
        resolve_thesis(
            again.get("primary_criteria"), again.get("investment_thesis_data"), again.get("thesis_tags")
        )
        == resolved
    )
