"""Bad input gets a clear JSON error and changes nothing: no scan row, no message on the queue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import pytest
import redis

from techscaniq.app import create_app
from techscaniq.celery_app import celery_app
from tests.support.api import ACME_SUBMISSION, ApiClient, make_api_client, queued, scan_count
from tests.support.databases import Database
from tests.support.processes import RedisServer

pytestmark = pytest.mark.integration


@pytest.fixture
def api(database: Database, redis_server: RedisServer) -> ApiClient:
    """The API against a fresh database and the session's Redis (no workers, so queued messages stay put)."""
    return make_api_client(database, redis_server)


BAD_BODIES = [
    ({"website_url": "https://acme-analytics.com/"}, "company_name", "validation_error"),
    (
        {"company_name": "  ", "website_url": "https://acme-analytics.com/"},
        "company_name",
        "validation_error",
    ),
    ({"company_name": 42, "website_url": "https://acme-analytics.com/"}, "company_name", "validation_error"),
    ({"company_name": "Acme"}, "website_url", "validation_error"),
    ({"company_name": "Acme", "website_url": ""}, "website_url", "validation_error"),
    ({"company_name": "Acme", "website_url": "ftp://acme-analytics.com/"}, "website_url", "ssrf_scheme"),
    ({"company_name": "Acme", "website_url": "javascript:alert(1)"}, "website_url", "ssrf_scheme"),
    ({"company_name": "Acme", "website_url": "http://"}, "website_url", "invalid_url"),
    ({"company_name": "Acme", "website_url": "not a url"}, "website_url", None),
    (
        {"company_name": "Acme", "website_url": "https://user:pw@acme-analytics.com/"},
        "website_url",
        "ssrf_userinfo",
    ),
    ({"company_name": "Acme", "website_url": "https://acme-analytics.com:8081/"}, "website_url", "ssrf_port"),
    ({"company_name": "Acme", "website_url": "http://localhost/"}, "website_url", "ssrf_blocked_host"),
    (
        {"company_name": "Acme", "website_url": "http://169.254.169.254/"},
        "website_url",
        "ssrf_blocked_address",
    ),
    ({"company_name": "Acme", "website_url": "http://2130706433/"}, "website_url", "ssrf_blocked_address"),
    (
        {"company_name": "Acme", "website_url": "http://127.0.0.1:8123/"},
        "website_url",
        "ssrf_blocked_address",
    ),
    (
        {"company_name": "Acme", "website_url": "http://[::ffff:127.0.0.1]/"},
        "website_url",
        "ssrf_blocked_address",
    ),
    ({**ACME_SUBMISSION, "primary_criteria": "get-rich-quick"}, "primary_criteria", "validation_error"),
    ({**ACME_SUBMISSION, "thesis_tags": ["blockchain"]}, "thesis_tags", "validation_error"),
    ({**ACME_SUBMISSION, "metadata": ["not", "an", "object"]}, "metadata", "validation_error"),
    ({**ACME_SUBMISSION, "company_name": "x" * 301}, "company_name", "validation_error"),
]


@pytest.mark.parametrize(("body", "field", "code"), BAD_BODIES)
def test_bad_fields_are_named_and_change_nothing(
    api: ApiClient, body: dict[str, Any], field: str, code: str | None
) -> None:
    response = api.post("/api/scans", json=body)
    payload = response.get_json()
    assert response.status_code == 400, payload
    assert payload["success"] is False
    assert any(name == field or name.startswith(f"{field}[") for name in payload["error"]["fields"]), payload
    if code:
        assert payload["error"]["code"] == code
    assert payload["error"]["message"]
    assert scan_count(api) == 0 and queued(api) == 0


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "invalid_json"),
        ("", "application/json", 400, "invalid_json"),
        ("[1, 2]", "application/json", 400, "invalid_json"),
        (
            json.dumps({**ACME_SUBMISSION, "company_description": "x" * 70_000}),
            "application/json",
            413,
            "payload_too_large",
        ),
    ],
)
def test_bodies_that_are_not_a_json_object(
    api: ApiClient, data: str, content_type: str, status: int, code: str
) -> None:
    response = api.post("/api/scans", data=data, content_type=content_type)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert scan_count(api) == 0 and queued(api) == 0


def test_missing_or_wrong_key_is_401(api: ApiClient) -> None:
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = api.post("/api/scans", json=ACME_SUBMISSION, headers=headers)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] in {"unauthorized", "invalid_api_key"}
        assert api.get("/api/scans", headers=headers).status_code == 401
    assert scan_count(api) == 0 and queued(api) == 0


def test_unknown_ids_are_404(api: ApiClient) -> None:
    for path in (
        "/api/scans/nope",
        "/api/scans/nope/status",
        "/api/scans/nope/evidence",
        "/api/reports/nope",
    ):
        response = api.get(path)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    assert api.post("/api/scans/nope/cancel").status_code == 404
    assert api.get("/api/no-such-route").get_json()["error"]["code"] == "not_found"


def test_pagination_limits(api: ApiClient) -> None:
    assert api.get("/api/scans?per_page=501").status_code == 400
    assert api.get("/api/scans?per_page=0").status_code == 400
    assert api.get("/api/scans?page=abc").get_json()["error"]["fields"] == {
        "page": "page must be a whole number"
    }
    listing = api.get("/api/scans?per_page=500").get_json()
    assert listing == {"items": [], "page": 1, "per_page": 500, "total": 0}


def test_a_good_submission_is_stored_and_queued(api: ApiClient) -> None:
    response = api.post(
        "/api/scans", json={**ACME_SUBMISSION, "thesis_tags": ["api-driven"], "metadata": {"deal": "Orion"}}
    )
    assert response.status_code == 201
    scan_id = response.get_json()["scanRequestId"]
    assert scan_count(api) == 1 and api.waiting("evidence") == 1
    detail = api.get(f"/api/scans/{scan_id}").get_json()
    assert detail["status"] == "pending" and detail["thesis"] == "digital-transformation"
    assert detail["thesis_tags"] == ["api-driven"] and detail["metadata"] == {"deal": "Orion"}
    state = api.get(f"/api/scans/{scan_id}/status").get_json()
    assert state["progress"]["evidenceCollection"] | {"taskId": None} == state["progress"][
        "evidenceCollection"
    ] | {
        "status": "waiting",
        "progress": 0,
        "itemsCollected": 0,
        "taskId": None,
    }


def test_broker_down_at_submit_is_503_and_leaves_nothing(api: ApiClient, redis_server: RedisServer) -> None:
    redis_server.stop()
    try:
        response = api.post("/api/scans", json=ACME_SUBMISSION)
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "broker_unavailable"
        assert scan_count(api) == 0
        ready = api.get("/api/ready")
        assert ready.status_code == 503 and ready.get_json()["checks"]["broker"] == "down"
    finally:
        redis_server.start()
    # Redis is back: the same API process submits again without a restart.
    response = api.post("/api/scans", json=ACME_SUBMISSION)
    assert response.status_code == 201
    assert scan_count(api) == 1
    assert api.get("/api/ready").status_code == 200
    # Nothing in the API waits on a result: sending subscribes to no result channel (with Redis down, dropping such
    # a subscription held the 503 answer for 20 s of reconnect retries).
    assert not celery_app.backend.result_consumer.subscribed_to


def test_the_app_sends_its_messages_to_the_broker_its_settings_name(
    api: ApiClient, redis_server: RedisServer, tmp_path: Path
) -> None:
    other = RedisServer(tmp_path / "other-redis").start()
    try:
        elsewhere = create_app(api.settings.with_overrides(redis_url=other.url)).test_client()
        elsewhere.environ_base["HTTP_AUTHORIZATION"] = api.environ_base["HTTP_AUTHORIZATION"]
        assert elsewhere.post("/api/scans", json=ACME_SUBMISSION).status_code == 201
        assert int(cast(int, redis.Redis.from_url(other.url).llen("evidence"))) == 1
        assert queued(api) == 0
    finally:
        create_app(api.settings)
        other.stop()
    # An app built for the session's broker sends there again.
    assert api.post("/api/scans", json=ACME_SUBMISSION).status_code == 201
    assert api.waiting("evidence") == 1


def test_health_needs_no_key(api: ApiClient) -> None:
    api.environ_base.pop("HTTP_AUTHORIZATION")
    assert api.get("/api/health").get_json() == {"status": "ok"}
