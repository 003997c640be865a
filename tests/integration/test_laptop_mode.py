"""Laptop mode (TECHSCANIQ_AUTH=off): other sites and other host names cannot drive the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from techscaniq.api.laptop_mode import is_loopback_host
from techscaniq.app import create_app
from tests.support.databases import Database, settings_for
from tests.support.processes import RedisServer

pytestmark = pytest.mark.integration

GOOD = {"company_name": "Acme", "website_url": "https://acme-analytics.com/"}


@pytest.fixture
def laptop(database: Database, redis_server: RedisServer) -> Iterator[Any]:
    redis.Redis.from_url(redis_server.url).flushall()
    app = create_app(settings_for(database, TECHSCANIQ_AUTH="off"))  # type: ignore[arg-type]
    yield app.test_client()


def test_loopback_hosts_are_recognised() -> None:
    for host in ("localhost", "localhost:3001", "127.0.0.1:3001", "127.9.9.9", "[::1]:3001", "app.localhost"):
        assert is_loopback_host(host), host
    for host in ("evil.example", "127.0.0.1.evil.example", "10.0.0.1", "[::2]", "localhost.evil.example", ""):
        assert not is_loopback_host(host), host


def test_a_page_on_another_site_cannot_submit_a_scan(laptop: Any) -> None:
    refused = [
        laptop.post("/api/scans", json=GOOD, headers={"Sec-Fetch-Site": "cross-site"}),
        laptop.post("/api/scans", json=GOOD, headers={"Origin": "https://evil.example"}),
        laptop.post("/api/scans", json=GOOD, headers={"Origin": "null"}),
        laptop.post("/api/scans", data=json.dumps(GOOD), content_type="text/plain"),
        laptop.post("/api/scans", data="company_name=Acme", content_type="application/x-www-form-urlencoded"),
        laptop.post("/api/scans", json=GOOD, headers={"Host": "rebound.evil.example:3001"}),
        laptop.get("/api/scans", headers={"Host": "rebound.evil.example"}),
        laptop.get("/api/scans", headers={"Sec-Fetch-Site": "cross-site"}),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403, 415, 415, 403, 403, 403]
    codes = [r.get_json()["error"]["code"] for r in refused]
    assert set(codes) == {"cross_site_refused", "unsupported_media_type", "host_not_allowed"}
    assert laptop.get("/api/scans").get_json()["total"] == 0


def test_the_machines_own_pages_still_work(laptop: Any) -> None:
    same_site = {"Origin": "http://localhost:3001", "Sec-Fetch-Site": "same-origin", "Host": "localhost:3001"}
    assert laptop.post("/api/scans", json=GOOD, headers=same_site).status_code == 201
    assert laptop.post("/api/scans", json=GOOD, headers={"Host": "127.0.0.1:3001"}).status_code == 201
    assert laptop.get("/api/scans").get_json()["total"] == 2
    # A link followed from another site opens the UI; only what changes state or reads the API is refused.
    assert laptop.get("/scans", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200


def test_named_laptop_hosts_are_accepted(database: Database, redis_server: RedisServer) -> None:
    settings: Any = settings_for(
        database, TECHSCANIQ_AUTH="off", TECHSCANIQ_LAPTOP_HOSTS="ui.techscaniq.test"
    )
    client = create_app(settings).test_client()
    assert client.get("/api/scans", headers={"Host": "ui.techscaniq.test:8443"}).status_code == 200
    assert client.get("/api/scans", headers={"Host": "other.techscaniq.test"}).status_code == 403
