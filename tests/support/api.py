"""The API's Flask test client without workers (queued messages stay put), and submitting and following scans
through it, as the input, security, flow, fault and operations tests do."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import redis
from flask.testing import FlaskClient
from sqlalchemy import func, select

from techscaniq.app import create_app
from techscaniq.config import Settings
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from techscaniq.storage.tables import scans
from tests.support.databases import Database, settings_for
from tests.support.processes import RedisServer
from tests.support.stack import Stack

SCAN_TIMEOUT_SECONDS = 90
ACME_SUBMISSION = {"company_name": "Acme", "website_url": "https://acme-analytics.com/"}
ORION_SUBMISSION = {"company_name": "Orion Ledger", "website_url": "https://orion-ledger.com/"}


def auth_headers(key: str) -> dict[str, str]:
    """The Authorization header of an API key."""
    return {"Authorization": f"Bearer {key}"}


def submit_scan(client: FlaskClient, key: str, website_url: str, company: str = "Acme Analytics") -> str:
    """POST /api/scans with a bearer key; asserts 201 and returns the new scan's id."""
    response = client.post(
        "/api/scans",
        json={"company_name": company, "website_url": website_url},
        headers=auth_headers(key),
    )
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["scanRequestId"])


def submit(stack: Stack, url: str, key: str | None = None, **fields: Any) -> str:
    """Submit a scan of the URL to the stack's API; asserts the 201 answer's shape and returns the scan id."""
    body = {"company_name": "Acme Analytics", "website_url": url, **fields}
    response = stack.client.post("/api/scans", json=body, headers=auth_headers(key or stack.admin_key))
    assert response.status_code == 201, response.get_json()
    payload = response.get_json()
    assert payload["success"] is True
    assert set(payload["jobs"]) == {"evidenceJobId", "reportJobId"}
    return str(payload["scanRequestId"])


def status(stack: Stack, scan_id: str, key: str | None = None) -> Any:
    """The scan's GET /api/scans/<id>/status answer (asserted 200)."""
    response = stack.client.get(f"/api/scans/{scan_id}/status", headers=auth_headers(key or stack.admin_key))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def wait_until(
    stack: Stack, scan_id: str, wanted: set[str], *, on_poll: Callable[[Any], object] | None = None
) -> Any:
    """Poll the status until the scan's status is one of `wanted`; fails with both workers' logs on timeout."""
    deadline = time.monotonic() + SCAN_TIMEOUT_SECONDS
    current: Any = None
    while time.monotonic() < deadline:
        current = status(stack, scan_id)
        if on_poll:
            on_poll(current)
        if current["scanRequest"]["status"] in wanted:
            return current
        time.sleep(0.1)
    raise AssertionError(
        f"scan {scan_id} not {wanted}: {current}\n--- evidence worker ---\n{stack.evidence_worker.log()[-4000:]}"
        f"\n--- report worker ---\n{stack.report_worker.log()[-2000:]}"
    )


class ApiClient(FlaskClient):
    """The API's test client, with the settings its app was built from and the session's Redis."""

    settings: Settings
    redis: redis.Redis

    def waiting(self, queue: str) -> int:
        """Messages waiting on one queue."""
        # redis-py's sync client answers an int; its annotation also covers the async client.
        return int(cast(int, self.redis.llen(queue)))


def make_api_client(database: Database, redis_server: RedisServer) -> ApiClient:
    """The API against the database and the flushed Redis with one organisation's key, refusing loopback sites."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    # Production defaults: no network is widened, so loopback and odd ports are refused.
    settings = settings_for(database, TECHSCANIQ_ALLOW_NETWORKS="")
    with session_scope(settings) as session:
        _, key = repo.create_api_key(session, "Firm", label=None, is_admin=False)
    app = create_app(settings)
    app.test_client_class = ApiClient
    test_client = app.test_client()
    assert isinstance(test_client, ApiClient)
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    test_client.settings = settings
    test_client.redis = client
    return test_client


def scan_count(api: ApiClient) -> int:
    """Scans stored, of every organisation."""
    with session_scope(api.settings, write=False) as session:
        return repo.list_scans(session, org_id=None, page=1, per_page=1)[1]


def queued(api: ApiClient) -> int:
    """Messages waiting on both queues."""
    return api.waiting("evidence") + api.waiting("reports")


@dataclass
class Api:
    """The API of one database and the session's Redis, without workers (queued messages stay put)."""

    settings: Settings
    client: Any
    redis: redis.Redis
    admin_key: str
    key_a: str
    key_b: str
    key_a_id: str

    def as_key(self, key: str) -> dict[str, str]:
        """The Authorization header of a key."""
        return {"Authorization": f"Bearer {key}"}

    def queued(self) -> int:
        """Messages waiting on both queues."""
        return int(cast(int, self.redis.llen("evidence"))) + int(cast(int, self.redis.llen("reports")))

    def scan_count(self) -> int:
        """Scans in the database, of every organisation."""
        with session_scope(self.settings, write=False) as session:
            return int(session.execute(select(func.count()).select_from(scans)).scalar_one())


def make_api(database: Database, redis_server: RedisServer, **overrides: str) -> Api:
    """A fresh app with an admin key and one key in each of two organisations."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    settings: Settings = settings_for(database, **overrides)
    with session_scope(settings) as session:
        _, admin = repo.create_api_key(session, "Operator", label="admin", is_admin=True)
        key_a_row, key_a = repo.create_api_key(session, "Firm A", label="analyst", is_admin=False)
        _, key_b = repo.create_api_key(session, "Firm B", label="analyst", is_admin=False)
    app = create_app(settings)
    return Api(settings, app.test_client(), client, admin, key_a, key_b, key_a_row.id)
