"""End to end: submit → report ready for the 300-page fixture company, and scans per hour with 1 and 2 workers."""

from __future__ import annotations

import statistics
import time

import requests

from bench.common import System, free_port, running_system, wait_for_scan, write_table
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import SiteServer
from techscaniq.demo.site import build_site

SMALL_SCANS = 8
SCALING_REPEATS = 3


def submit(system: System, url: str) -> str:
    """POST one scan and return its id."""
    response = requests.post(
        f"{system.base_url}/api/scans",
        json={"company_name": "Northwind Ledger", "website_url": url},
        headers={"Authorization": f"Bearer {system.admin_key}"},
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["scanRequestId"])


def scans_per_hour(url: str, dns_address: str, workers: int) -> float:
    """Run SMALL_SCANS scans of a small site with `workers` evidence workers (1 process each); scans per hour."""
    env = {"TECHSCANIQ_DNS_SERVERS": dns_address}
    with running_system(evidence_workers=workers, evidence_concurrency=1, extra_env=env) as system:
        started = time.monotonic()
        ids = [submit(system, url) for _ in range(SMALL_SCANS)]
        for scan_id in ids:
            wait_for_scan(system, scan_id)
        return SMALL_SCANS / (time.monotonic() - started) * 3600


def main() -> None:
    """Measure both figures and write the table."""
    big = build_site(domain="northwind-e2e.test", port=free_port(), pages=300)
    small = build_site(domain="northwind-small.test", port=free_port(), pages=30)
    zone = {**big.dns_zone(), **small.dns_zone()}
    with (
        SiteServer(big, port=big.port) as big_server,
        SiteServer(small, port=small.port) as small_server,
        LoopbackDNSServer(zone) as dns_server,
    ):
        big_server.start()
        small_server.start()
        env = {"TECHSCANIQ_DNS_SERVERS": dns_server.address, "TECHSCANIQ_CRAWL_LIFT_POLITENESS": "true"}
        with running_system(evidence_workers=1, evidence_concurrency=1, extra_env=env) as system:
            started = time.monotonic()
            scan_id = submit(system, big.url("www", "/"))
            state = wait_for_scan(system, scan_id)
            seconds = time.monotonic() - started
            items = state["progress"]["evidenceCollection"]["itemsCollected"]  # type: ignore[index]
            pages = state["progress"]["evidenceCollection"]["pagesFetched"]  # type: ignore[index]
        rates: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(SCALING_REPEATS):  # interleaved, so a noisy moment hits both alike
            for workers in rates:
                rates[workers].append(scans_per_hour(small.url("www", "/"), dns_server.address, workers))
        one, two = statistics.median(rates[1]), statistics.median(rates[2])
    write_table(
        "e2e",
        "End to end",
        ["measure", "value"],
        [
            ["300-page fixture company: submit → report ready (politeness lifted)", f"{seconds:.1f} s"],
            ["  pages fetched / evidence items", f"{pages} / {items}"],
            [f"small site ({SMALL_SCANS} scans, polite): scans/hour with 1 evidence worker", f"{one:.0f}"],
            [f"small site ({SMALL_SCANS} scans, polite): scans/hour with 2 evidence workers", f"{two:.0f}"],
            ["scaling ratio 2 workers / 1 worker", f"{two / one:.2f} (target >= 1.7 where the cores exist)"],
        ],
        notes="Gunicorn, Redis, SQLite, one report worker; both evidence workers share the machine's 2 cores with "
        "the API, the report worker, Redis and the site server. Scans per hour are the median of "
        f"{SCALING_REPEATS} interleaved runs each (1 worker: "
        + ", ".join(f"{rate:.0f}" for rate in rates[1])
        + "; 2 workers: "
        + ", ".join(f"{rate:.0f}" for rate in rates[2])
        + ").",
    )


if __name__ == "__main__":
    main()
