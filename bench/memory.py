"""Worker memory: peak RSS of one evidence collection of a 500-page and of a 5,000-page site (ratio near 1)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.common import free_port, write_table
from bench.crawl import DOMAIN, run_ours
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import SiteServer
from techscaniq.demo.site import build_site

SIZES = (500, 5000)


def main() -> None:
    """Crawl each size in a fresh process (politeness lifted, no page cap) and compare peak RSS."""
    rows = []
    peaks = {}
    for pages in SIZES:
        directory = Path(tempfile.mkdtemp(prefix=f"techscaniq-memory-{pages}-"))
        site = build_site(domain=DOMAIN, port=free_port(), pages=pages)
        with SiteServer(site, port=site.port) as server, LoopbackDNSServer(site.dns_zone()) as dns_server:
            server.start()
            result = run_ours(site.url("www", "/"), dns_server.address, 1, directory)
        peaks[pages] = result["peak_rss_mb"]
        rows.append([pages, int(result["pages"]), int(result["items"]), f"{result['peak_rss_mb']:.0f}"])
    ratio = peaks[SIZES[1]] / peaks[SIZES[0]]
    write_table(
        "memory",
        "Peak RSS of an evidence collection by site size",
        ["site pages", "pages fetched", "evidence items", "peak RSS MB"],
        rows,
        notes=f"Ratio {SIZES[1]} / {SIZES[0]} pages: {ratio:.2f} (target <= 1.2; budget 300 MB). The crawler "
        "samples the newest blog posts and caps off-site pages, so a bigger site is not fetched in full.",
    )


if __name__ == "__main__":
    main()
