"""One real evidence collection of the fixture company, in-process: the demo site on loopback, its zone on the
fixture DNS server, the pipeline's collect step against a fresh SQLite database (no broker, no workers)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techscaniq import pipeline
from techscaniq.config import Settings
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import SiteServer
from techscaniq.domain import Evidence, Scan, StepName
from techscaniq.storage import repo
from techscaniq.storage.db import dispose_engines, migrate, session_scope
from techscaniq.theses import resolve_thesis
from tests.support.collectors import load_site_zone
from tests.support.databases import make_database, settings_for

FIXTURE_COMPANY = "Northwind Ledger"


@dataclass(frozen=True)
class FixtureScan:
    """The stored scan, every evidence item it collected, and the site's manifest of planted facts."""

    scan: Scan
    evidence: list[Evidence]
    manifest: dict[str, Any]


def scan_fixture_company(
    fixture_dns: LoopbackDNSServer, directory: Path, *, domain: str, pages: int = 60
) -> FixtureScan:
    """Serve the fixture site under `domain`, collect its evidence through the pipeline, and stop the site."""
    database = make_database("sqlite", directory)
    base: Settings = settings_for(database, TECHSCANIQ_DATA_DIR=str(directory / "data"))
    settings = base.with_overrides(allow_networks=("127.0.0.0/24",), dns_servers=(fixture_dns.address,))
    migrate(settings)
    server = SiteServer.started(pages=pages, domain=domain)
    try:
        load_site_zone(fixture_dns, server.site)
        thesis = resolve_thesis(None, None, None)
        scan_id = str(uuid.uuid4())
        with session_scope(settings) as session:
            repo.create_scan(
                session,
                scan_id=scan_id,
                org_id=repo.get_or_create_org(session, "Fixture Capital"),
                created_by_key_id=None,
                company_name=FIXTURE_COMPANY,
                website_url=server.site.url("www", "/"),
                primary_criteria=thesis.slug,
                thesis=thesis.to_dict(),
                thesis_tags=list(thesis.focus_areas),
                requestor_name=None,
                organization_name=None,
                company_description=None,
                metadata={},
                task_ids={step: f"{scan_id}.{step}.1" for step in StepName},
            )
        outcome = pipeline.collect(settings, scan_id, owner=f"fixture-scan:{scan_id}")
        assert outcome == pipeline.StepOutcome.DONE, outcome
        with session_scope(settings, write=False) as session:
            scan = repo.get_scan(session, scan_id)
            evidence = repo.all_evidence(session, scan_id)
        return FixtureScan(scan, evidence, server.site.manifest)
    finally:
        server.stop()
        dispose_engines()
