"""TECHSCANIQ_FINGERPRINTS_DIR end to end: a real worker loads the operator's files, or refuses to start."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import SiteServer
from techscaniq.storage import repo
from techscaniq.storage.db import dispose_engines, migrate, session_scope
from tests.conftest import Stack, _drop_database, _make_database, settings_for
from tests.integration.test_scan_flow import submit, wait_until
from tests.support.collectors import load_site_zone
from tests.support.processes import RedisServer, Worker

pytestmark = pytest.mark.integration

CUSTOM = {
    "Northwind Ledger UI": {
        "cats": [901],
        "website": "https://www.northwind-ledger.test",
        "meta": {"twitter:site": "^@northwindledger$"},
        "text": [r"payables and close, on one ledger\."],
        "aliases": ["Ledger UI"],
    }
}


@pytest.fixture(scope="module")
def site(fixture_dns: LoopbackDNSServer) -> Iterator[SiteServer]:
    """The fixture company, few pages, on a loopback name of its own."""
    server = SiteServer.started(pages=12, domain="northwind-custom.test")
    load_site_zone(fixture_dns, server.site)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def custom_stack(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Real evidence and report workers whose environment names a fingerprint directory."""
    import redis as redis_client

    from techscaniq.app import create_app

    directory = tmp_path_factory.mktemp("custom-fingerprints")
    data = directory / "fingerprints"
    (data / "technologies").mkdir(parents=True)
    (data / "categories.json").write_text(json.dumps({"901": {"name": "Internal design systems"}}))
    (data / "technologies" / "northwind.json").write_text(json.dumps(CUSTOM))
    redis_client.Redis.from_url(redis_server.url).flushall()
    db = _make_database("sqlite", directory)
    env = {**os.environ, **db.env(), "TECHSCANIQ_FINGERPRINTS_DIR": str(data)}
    settings = settings_for(db)
    migrate(settings)  # type: ignore[arg-type]
    with session_scope(settings) as session:  # type: ignore[arg-type]
        _, admin_key = repo.create_api_key(session, "Admin Org", label="tests", is_admin=True)
    evidence = Worker("evidence", env, directory / "evidence.log", name="evidence-custom@%h").start()
    report = Worker("reports", env, directory / "reports.log", name="reports-custom@%h").start()
    app = create_app(settings)  # type: ignore[arg-type]
    yield Stack(db, redis_server, evidence, report, env, settings, app.test_client(), admin_key)
    evidence.stop()
    report.stop()
    dispose_engines()
    _drop_database(db)


def test_a_custom_technology_is_reported_by_a_real_scan(custom_stack: Stack, site: SiteServer) -> None:
    scan_id = submit(custom_stack, site.site.url("www", "/"), company_name="Northwind Ledger")
    final = wait_until(custom_stack, scan_id, {"completed", "failed", "cancelled"})
    assert final["scanRequest"]["status"] == "completed", final
    with session_scope(custom_stack.settings, write=False) as session:  # type: ignore[arg-type]
        items = repo.all_evidence(session, scan_id)
    technologies = {item.dedup_key: item for item in items if item.type == "technology"}
    custom = technologies["northwind-ledger-ui"]
    assert custom.data["name"] == "Northwind Ledger UI"
    assert custom.data["categories"] == ["Internal design systems"]
    assert custom.data["aliases"] == ["Ledger UI"]
    assert {m["signal"] for m in custom.data["matches"]} == {"meta", "text"}
    assert (
        "wordpress" not in technologies
    )  # the shipped set is still there, and the fixture is no WordPress site
    assert "docusaurus" in technologies


def test_a_malformed_file_stops_the_worker_naming_the_file(tmp_path: Path, redis_server: RedisServer) -> None:
    data = tmp_path / "fingerprints"
    data.mkdir()
    bad = data / "broken.json"
    bad.write_text(json.dumps({"Acme Widget": {"cats": [1], "scriptSrc": ["acme-widget(min.js"]}}))
    env = {**os.environ, "TECHSCANIQ_FINGERPRINTS_DIR": str(data)}
    worker = Worker("evidence", env, tmp_path / "worker.log", name="evidence-broken@%h")
    with pytest.raises(RuntimeError, match="exited early") as caught:
        worker.start()
    assert worker.process is not None and worker.process.wait(timeout=30) == 3
    message = str(caught.value)
    assert (
        f"{bad}: technology 'Acme Widget', scriptSrc: pattern 'acme-widget(min.js' is not a valid regex"
        in message
    )
    assert "worker not started" in message
    assert " ready." not in worker.log()
