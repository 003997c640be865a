"""Helpers for collector tests: a scan row to hang a context on, and the demo zone on a loopback DNS server."""

from __future__ import annotations

from datetime import UTC, datetime

from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.site import Site
from techscaniq.domain import Scan, ScanStatus


def make_scan(website_url: str, *, scan_id: str = "scan-1", company: str = "Northwind Ledger") -> Scan:
    """A processing scan of the demo company, as the pipeline hands it to collectors."""
    now = datetime(2025, 11, 3, tzinfo=UTC)
    return Scan(
        id=scan_id,
        org_id="org-1",
        company_name=company,
        website_url=website_url,
        primary_criteria="digital-transformation",
        thesis={},
        thesis_tags=[],
        requestor_name=None,
        organization_name=None,
        company_description=None,
        metadata={},
        status=ScanStatus.PROCESSING,
        error_code=None,
        error_message=None,
        cancel_requested_at=None,
        created_at=now,
        updated_at=now,
        finished_at=None,
        created_by_key_id=None,
    )


def load_site_zone(dns_server: LoopbackDNSServer, site: Site) -> None:
    """Serve the site's zone (zone-file text, TXT quoted) from a loopback DNS server."""
    for name, records in site.dns_zone().items():
        for rtype, values in records.items():
            dns_server.set_records(name, rtype, values)
