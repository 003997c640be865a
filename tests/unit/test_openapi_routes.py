"""The OpenAPI document and the registered /api routes name the same operations, parameters and fields."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from techscaniq.api.openapi import openapi_document
from techscaniq.app import create_app
from techscaniq.config import Settings
from techscaniq.domain import ScanStatus
from techscaniq.scans.service import RETRY_JOB_TYPES
from techscaniq.scans.submission import SCAN_REQUEST_FIELDS, TEXT_LIMITS

IGNORED_METHODS = {"HEAD", "OPTIONS"}
RULE_VARIABLE = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The real app factory (building it connects to nothing), with the session's broker settings."""
    return create_app(Settings.from_env().with_overrides(data_dir=tmp_path_factory.mktemp("openapi")))


def routed_operations(app: Flask) -> dict[tuple[str, str], set[str]]:
    """(OpenAPI-style path, METHOD) of every /api route, with the names of its path variables."""
    operations = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = RULE_VARIABLE.sub(lambda match: "{" + match.group(1) + "}", rule.rule)
        for method in (rule.methods or set()) - IGNORED_METHODS:
            operations[(path, method)] = set(rule.arguments)
    return operations


def documented_operations(document: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """(path, METHOD) of every documented operation, with the names of its declared path parameters."""
    operations = {}
    for path, item in document["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method == "parameters":
                continue
            parameters = [*shared, *operation.get("parameters", [])]
            operations[(path, method.upper())] = {p["name"] for p in parameters if p["in"] == "path"}
    return operations


def test_the_rule_conversion_keeps_converters_out_of_paths() -> None:
    assert (
        RULE_VARIABLE.sub(lambda m: "{" + m.group(1) + "}", "/api/x/<path:rest>/<int:n>.md")
        == "/api/x/{rest}/{n}.md"
    )


def test_every_registered_api_route_is_documented_and_every_documented_one_exists(app: Flask) -> None:
    routed = routed_operations(app)
    documented = documented_operations(openapi_document())
    assert len(routed) >= 15
    assert sorted(set(routed) - set(documented)) == [], "routes missing from techscaniq/api/openapi.py PATHS"
    assert sorted(set(documented) - set(routed)) == [], "documented operations no route serves"


def test_documented_path_parameters_are_the_route_variables(app: Flask) -> None:
    routed = routed_operations(app)
    for operation, parameters in documented_operations(openapi_document()).items():
        assert parameters == routed[operation], operation


def test_the_submission_schema_lists_the_fields_the_validator_takes() -> None:
    schema = openapi_document()["components"]["schemas"]["ScanSubmission"]
    assert set(schema["properties"]) == set(SCAN_REQUEST_FIELDS)
    assert schema["additionalProperties"] is False
    for name, limit in TEXT_LIMITS.items():
        text = schema["properties"][name]
        assert limit in {
            text.get("maxLength"),
            *(option.get("maxLength") for option in text.get("anyOf", [])),
        }


def test_the_retry_job_types_and_scan_statuses_are_the_services() -> None:
    paths = openapi_document()["paths"]
    retry = paths["/api/scans/{scan_id}/retry"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    assert set(retry["properties"]["jobType"]["enum"]) == set(RETRY_JOB_TYPES)
    listing = {p["name"]: p for p in paths["/api/scans"]["get"]["parameters"]}
    assert set(listing["status"]["schema"]["enum"]) == {str(status) for status in ScanStatus}


def test_a_route_added_without_a_document_entry_is_caught(app: Flask, tmp_path: Path) -> None:
    extra = create_app(Settings.from_env().with_overrides(data_dir=tmp_path))
    extra.add_url_rule("/api/scans/<scan_id>/pause", "pause", lambda scan_id: "", methods=["POST"])
    missing = set(routed_operations(extra)) - set(documented_operations(openapi_document()))
    assert missing == {("/api/scans/{scan_id}/pause", "POST")}
