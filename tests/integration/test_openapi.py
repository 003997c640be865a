"""The OpenAPI document describes the whole API, and schemathesis finds no 5xx and no off-schema answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection, positive_data_acceptance

from techscaniq.app import create_app
from techscaniq.storage import repo
from techscaniq.storage.db import dispose_engines, migrate, session_scope
from tests.support.databases import drop_database, make_database, settings_for
from tests.support.processes import RedisServer

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 25


def _app_with_openapi(config: Any) -> Any:
    from techscaniq.api.openapi import openapi_api

    app = create_app(config)
    if "openapi_api" not in app.blueprints:  # until the lead registers it in create_app()
        app.register_blueprint(openapi_api)
    return app


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def served(
    request: pytest.FixtureRequest, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, str]]:
    """The app on one database (no workers: submissions stay queued) and an organisation's key."""
    redis.Redis.from_url(redis_server.url).flushall()
    database = make_database(request.param, Path(tmp_path_factory.mktemp(f"openapi-{request.param}")))
    config: Any = settings_for(database, TECHSCANIQ_SUBMIT_RATE="100000/minute")
    migrate(config)
    with session_scope(config) as session:
        _, key = repo.create_api_key(session, "Fuzz Firm", label="schemathesis", is_admin=False)
    yield _app_with_openapi(config), key
    dispose_engines()
    drop_database(database)


@pytest.fixture(scope="module")
def api_schema(served: tuple[Any, str]) -> Any:
    """The document as schemathesis loads it from the running app."""
    app, _ = served
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def test_the_document_is_valid_openapi(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 13


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """Every documented operation in positive mode, and in negative mode when it takes any input."""
    from techscaniq.api.openapi import PATHS

    cases = []
    for path, item in PATHS.items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            cases.append((path, method, GenerationMode.POSITIVE))
            if item.get("parameters") or operation.get("parameters") or operation.get("requestBody"):
                cases.append((path, method, GenerationMode.NEGATIVE))
    return cases


@pytest.mark.parametrize(("path", "method", "mode"), _cases())
def test_api_answers_follow_the_document(
    api_schema: Any, served: tuple[Any, str], path: str, method: str, mode: GenerationMode
) -> None:
    _, key = served
    operation = api_schema[path][method]
    # The address rules of a scanned URL (private ranges, ports, DNS-free IP forms) are stricter than any
    # schema can say, so a schema-valid URL may still be refused with 400: that check alone is left out.
    # Likewise /api/compare answers 400 for ids that are not completed scans of the caller's organisation.
    schema_blind = {("/api/scans", "post"), ("/api/compare", "get")}
    excluded: list[Any] = [positive_data_acceptance] if (path, method) in schema_blind else []
    if method == "get":
        # Reads ignore query parameters they do not know (cache busters and the like) by design.
        excluded.append(negative_data_rejection)

    # schemathesis's pytest plugin does not load under pytest 9, so hypothesis drives its strategies directly.
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )
    def check(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, excluded_checks=excluded)

    check()


def _nested_object(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"k": value}
    return value


def _nested_array(depth: int) -> Any:
    value: Any = [1.5]
    for _ in range(depth):
        value = [value]
    return value


NON_FINITE = st.sampled_from([float("nan"), float("inf"), float("-inf")])
# Values schemathesis does not generate by itself: deep nesting (the json module's own encoder stops near
# 1,000 levels, so 500 is the deepest a case can carry) and NaN/Infinity, bare and inside containers.
HOSTILE_VALUES = st.one_of(
    NON_FINITE,
    st.integers(9, 500).map(_nested_object),
    st.integers(9, 500).map(_nested_array),
    st.lists(st.one_of(NON_FINITE, st.integers()), min_size=1, max_size=3),
    st.dictionaries(st.text(max_size=5), NON_FINITE, min_size=1, max_size=2),
)


def _strict_json(data: bytes) -> Any:
    def refuse(literal: str) -> Any:
        raise ValueError(f"the answer holds {literal}, which is not JSON")

    return json.loads(data, parse_constant=refuse)


def _body_cases() -> list[tuple[str, str]]:
    from techscaniq.api.openapi import PATHS

    return [
        (path, method)
        for path, item in PATHS.items()
        for method, operation in item.items()
        if isinstance(operation, dict) and operation.get("requestBody")
    ]


@pytest.mark.parametrize(("path", "method"), _body_cases())
def test_deeply_nested_and_non_finite_bodies_get_no_5xx(
    api_schema: Any, served: tuple[Any, str], path: str, method: str
) -> None:
    app, key = served
    client = app.test_client()
    operation = api_schema[path][method]

    @st.composite
    def hostile(draw: Any) -> Any:
        case = draw(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        body = dict(case.body) if isinstance(case.body, dict) else {}
        fields = [*sorted(body), "metadata", "investment_thesis_data", "company_name", "jobType"]
        if path == "/api/scans":
            # A URL the static address rules accept, so the hostile value is what decides the answer.
            body["website_url"] = "https://acme-analytics.com/"
            body.pop("callback_url", None)
        body[draw(st.sampled_from(fields))] = draw(HOSTILE_VALUES)
        case.body = body
        # Deeper than any encoder writes: a field of brackets, thousands deep, sent as text.
        depth = draw(st.one_of(st.none(), st.integers(1_000, 30_000)))
        text = json.dumps(body)
        if depth is not None:
            text = text[:-1] + ', "metadata": ' + "[" * depth + "]" * depth + "}"
        return case, text

    @given(drawn=hostile())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )
    def check(drawn: tuple[Any, str]) -> None:
        case, text = drawn
        headers = {"Authorization": f"Bearer {key}"}
        # Sent as text: HTTP clients refuse to encode NaN, a hostile client does not.
        response = client.open(
            case.formatted_path,
            method=method.upper(),
            query_string=case.query,
            data=text,
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code < 500, response.data[:300]
        answer = _strict_json(response.data)
        if response.status_code == 400:
            assert (
                answer["error"]["code"] in {"validation_error", "invalid_json"} and answer["error"]["fields"]
            )
        if response.status_code == 201:
            # Whatever was accepted reads back as JSON.
            stored = client.get(f"/api/scans/{answer['scanRequestId']}", headers=headers)
            assert stored.status_code == 200 and _strict_json(stored.data)

    check()
