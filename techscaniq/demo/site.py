"""The fictional company "Northwind Ledger": a deterministic multi-host web site and a manifest of every planted fact.

`build_site()` returns every response the site serves, keyed by (host, path), plus a JSON-serialisable manifest that
tests assert against, and `Site.dns_zone()` gives the DNS records of every host. Same arguments, same bytes.

Manifest conventions: URLs are absolute (scheme, host, and the port unless it is the scheme's default); a technology
signal's `where` is `label:path` for one page, `label:*` for every page of that host, or `dns` for the zone.

The company's facts are in `northwind/facts.py`, one builder module per host in `northwind/`, the manifest in
`northwind/manifest.py`; extra hosts plug in through `techscaniq.demo.hosts`.
"""

from __future__ import annotations

from datetime import date

from techscaniq.demo import challenge_host, render_host
from techscaniq.demo.hosts import registered_hosts
from techscaniq.demo.northwind.dns_zone import DnsZone
from techscaniq.demo.northwind.docs import DocsHost
from techscaniq.demo.northwind.facts import (
    COMPANY,
    CRAWL_DELAY_SECONDS,
    DEFAULT_DOMAIN,
    DISALLOWED_PAGE,
    DISALLOWED_PREFIX,
    DRIP_INTERVAL_SECONDS,
    FIXED_PAGES,
    GZIP_BOMB_INFLATED_BYTES,
    JOB_BOARD_HOST,
    JOB_BOARD_TOKEN,
    LEGAL_NAME,
    MIN_SCALED_PAGES,
    OVERSIZED_BYTES,
    PAGE_CLASSES,
    SITE_DATE,
    SUBDOMAIN_LABELS,
    THROTTLED_RESPONSES,
)
from techscaniq.demo.northwind.hostile import HostilePages
from techscaniq.demo.northwind.manifest import Manifest
from techscaniq.demo.northwind.other_hosts import OtherHosts
from techscaniq.demo.northwind.status import StatusHost
from techscaniq.demo.northwind.trust import TrustHost
from techscaniq.demo.northwind.www import WwwHost
from techscaniq.demo.site_model import Site, SiteResponse

__all__ = [
    "COMPANY",
    "CRAWL_DELAY_SECONDS",
    "DEFAULT_DOMAIN",
    "DISALLOWED_PAGE",
    "DISALLOWED_PREFIX",
    "DRIP_INTERVAL_SECONDS",
    "FIXED_PAGES",
    "GZIP_BOMB_INFLATED_BYTES",
    "JOB_BOARD_HOST",
    "JOB_BOARD_TOKEN",
    "LEGAL_NAME",
    "MIN_SCALED_PAGES",
    "OVERSIZED_BYTES",
    "PAGE_CLASSES",
    "SITE_DATE",
    "SUBDOMAIN_LABELS",
    "THROTTLED_RESPONSES",
    "Site",
    "SiteResponse",
    "build_site",
]


class NorthwindBuilder(WwwHost, DocsHost, StatusHost, TrustHost, OtherHosts, HostilePages, DnsZone, Manifest):
    """Every Northwind host's builder in one object (they share the state of `SiteBuilder`)."""


def build_site(
    *,
    domain: str = DEFAULT_DOMAIN,
    port: int,
    scheme: str = "http",
    pages: int = 320,
    include_hostile: bool = False,
    seed: int = 7,
    as_of: date = SITE_DATE,
) -> Site:
    """Build the Northwind Ledger site for `domain` served on `port`; the same arguments give the same bytes."""
    builder = NorthwindBuilder(domain.lower().rstrip("."), port, scheme, pages, include_hostile, seed, as_of)
    builder.build_www()
    builder.build_docs()
    builder.build_status()
    builder.build_trust()
    builder.build_jobs()
    builder.build_misc_hosts()
    if include_hostile:
        builder.build_hostile()
    for _, build_host in registered_hosts():
        build_host(builder)
    builder.build_zone()
    builder.zone.update(builder.extra_zone)
    manifest = builder.manifest()
    if builder.extra_manifest:
        manifest["extra_hosts"] = builder.extra_manifest
    manifest["bot_protection"] = challenge_host.install(builder)
    manifest["bot_protection_passable"] = challenge_host.install_passable(builder)
    manifest["rendering"] = render_host.install(builder)
    expected = FIXED_PAGES + sum(builder.counts.values())
    if manifest["page_count"] != expected:
        raise AssertionError(f"built {manifest['page_count']} pages, planned {expected}")
    return Site(
        domain=builder.domain,
        port=port,
        scheme=scheme,
        hosts=builder.hosts,
        responses=builder.responses,
        manifest=manifest,
        host_redirects={builder.domain: builder.hosts["www"]},
        not_found=builder.not_found,
        gates=builder.gates,
        zone_template=builder.zone,
    )
