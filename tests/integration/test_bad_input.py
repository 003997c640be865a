"""Hostile bodies and ids get a clear 4xx on SQLite and PostgreSQL: deep nesting, non-finite numbers, odd ids."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.test_api_input import GOOD, _queued, _scan_count, api  # noqa: F401 - the fixture

pytestmark = pytest.mark.integration


def _nested(depth: int) -> str:
    """A JSON object `depth` levels deep, as text (the json module itself gives up near 1,000 levels)."""
    return '{"k": ' * depth + '"leaf"' + "}" * depth


def _assert_refused(api: Any, response: Any, field: str) -> None:  # noqa: F811
    payload = response.get_json()
    assert response.status_code == 400, (response.status_code, response.get_data()[:300])
    assert payload["error"]["code"] == "validation_error" and field in payload["error"]["fields"], payload
    assert _scan_count(api) == 0 and _queued(api) == 0


def test_a_body_nested_thirty_thousand_deep_is_a_400(api: Any) -> None:  # noqa: F811
    response = api.post("/api/scans", data="[" * 30_000, content_type="application/json")
    _assert_refused(api, response, "body")
    deep_field = '{"company_name": "Acme", "metadata": ' + "[" * 30_000 + "]" * 30_000 + "}"
    response = api.post("/api/scans", data=deep_field, content_type="application/json")
    _assert_refused(api, response, "metadata")


@pytest.mark.parametrize("depth", [9, 980])
def test_metadata_deeper_than_eight_levels_is_named(api: Any, depth: int) -> None:  # noqa: F811
    body = json.dumps({**GOOD, "metadata": "NESTED"}).replace('"NESTED"', _nested(depth))
    _assert_refused(api, api.post("/api/scans", data=body, content_type="application/json"), "metadata")


def test_metadata_eight_levels_deep_is_accepted(api: Any) -> None:  # noqa: F811
    body = json.dumps({**GOOD, "metadata": "NESTED"}).replace('"NESTED"', _nested(8))
    response = api.post("/api/scans", data=body, content_type="application/json")
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
@pytest.mark.parametrize("field", ["metadata", "investment_thesis_data"])
def test_non_finite_numbers_are_refused_by_name(api: Any, literal: str, field: str) -> None:  # noqa: F811
    body = json.dumps({**GOOD, field: {"x": "PLACEHOLDER"}}).replace('"PLACEHOLDER"', literal)
    response = api.post("/api/scans", data=body, content_type="application/json")
    _assert_refused(api, response, field)
    assert "finite" in response.get_json()["error"]["fields"][field]


@pytest.mark.parametrize("name", ["Acme\u202egnp.exe", "Ac\u200bme", "\u2066Acme\u2069", "Acme\ufeff"])
def test_names_with_bidi_overrides_or_zero_width_characters_are_refused(api: Any, name: str) -> None:  # noqa: F811
    _assert_refused(api, api.post("/api/scans", json={**GOOD, "company_name": name}), "company_name")
    body = {**GOOD, "organization_name": name}
    _assert_refused(api, api.post("/api/scans", json=body), "organization_name")


BAD_IDS = ["a%00b", "%E2%80%AE", "x" * 101, "a%20b", "%27%3B--"]
ID_ROUTES = [
    ("GET", "/api/scans/{}"),
    ("GET", "/api/scans/{}/status"),
    ("GET", "/api/scans/{}/evidence"),
    ("GET", "/api/scans/{}/events"),
    ("GET", "/api/scans/{}/report"),
    ("POST", "/api/scans/{}/cancel"),
    ("POST", "/api/scans/{}/retry"),
    ("DELETE", "/api/scans/{}"),
    ("GET", "/api/reports/{}"),
    ("GET", "/api/reports/{}.md"),
    ("GET", "/api/reports/{}.html"),
    ("GET", "/api/reports/{}.pdf"),
    ("GET", "/scans/{}"),
    ("GET", "/scans/{}/progress"),
    ("GET", "/reports/{}"),
]


@pytest.mark.parametrize(("method", "route"), ID_ROUTES)
def test_every_route_taking_an_id_answers_a_bad_id_with_404(api: Any, method: str, route: str) -> None:  # noqa: F811
    for bad in BAD_IDS:
        response = api.open(route.format(bad), method=method, json={"jobType": "both"})
        assert response.status_code == 404, (route, bad, response.status_code, response.get_data()[:200])
