"""Crawl and analysis: our evidence collection (politeness lifted) against Scrapy fetch-and-follow, same site, same run.

The 500-page fixture company is served by nginx (Debian's package) when it is installed, else by the project's
threaded Python server. Ours runs the full pipeline step (crawl + every collector + storage) in one process, then
in two processes at once (both cores). Scrapy runs a CrawlSpider with its LinkExtractor, CONCURRENT_REQUESTS 16,
no delay, AutoThrottle and robots off.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import ROOT, free_port, wait_for_port, write_table
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import SiteServer
from techscaniq.demo.site import Site, build_site

PAGES = int(os.environ.get("BENCH_CRAWL_PAGES", "500"))
REPEATS = int(os.environ.get("BENCH_CRAWL_REPEATS", "3"))
DOMAIN = "northwind-bench.test"
EVERY_MAIN_TEXT = {"TECHSCANIQ_MAIN_TEXT_PAGES_PER_CLASS": "1000000"}


def export_for_nginx(site: Site, directory: Path) -> None:
    """Write every response body under <directory>/<host>/…: a path without a dot becomes <path>/index.html."""
    for (host, path), response in site.responses.items():
        if response.status != 200 or response.behaviour:
            continue
        clean = path.split("?", 1)[0].lstrip("/")
        last = clean.rsplit("/", 1)[-1]
        target = directory / host / clean if "." in last else directory / host / clean / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(response.body)


def start_nginx(site: Site, directory: Path) -> subprocess.Popen[bytes] | None:
    """nginx serving the exported site by Host header on the site's port, or None when nginx is missing."""
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        return None
    export_for_nginx(site, directory / "www")
    # nginx's workers drop root privileges: they must be able to read the exported tree.
    for path in [directory, *directory.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    config = directory / "nginx.conf"
    config.write_text(
        f"""
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
  types {{ application/xml xml; application/json json; text/plain txt; application/gzip gz; }}
  default_type text/html;
  access_log off;
  keepalive_requests 100000;
  gzip on; gzip_types application/xml text/xml application/json text/plain;
  client_body_temp_path {directory}/tmp; proxy_temp_path {directory}/tmp; fastcgi_temp_path {directory}/tmp;
  uwsgi_temp_path {directory}/tmp; scgi_temp_path {directory}/tmp;
  server {{
    listen 127.0.0.1:{site.port};
    root {directory}/www/$host;
    location / {{ try_files $uri/index.html $uri =404; }}
  }}
}}
"""
    )
    (directory / "tmp").mkdir(exist_ok=True)
    process = subprocess.Popen([binary, "-c", str(config), "-p", str(directory)])
    wait_for_port(site.port)
    return process


def run_ours(
    url: str, dns_address: str, processes: int, directory: Path, extra_env: dict[str, str] | None = None
) -> dict[str, float]:
    """Run `processes` evidence collections of the site at once, each in its own process; sum their figures."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{directory / 'ours.db'}",
        "TECHSCANIQ_DATA_DIR": str(directory / "data"),
        "TECHSCANIQ_ALLOW_NETWORKS": "127.0.0.0/24",
        "TECHSCANIQ_DNS_SERVERS": dns_address,
        "TECHSCANIQ_CRAWL_MAX_PAGES": "100000",
        "TECHSCANIQ_CRAWL_LIFT_POLITENESS": "true",
        "LOG_LEVEL": "WARNING",
        "TECHSCANIQ_BROWSER": "off",  # the crawl alone; bench/render.py measures rendering
        **(extra_env or {}),
    }
    subprocess.run(
        [sys.executable, "-m", "techscaniq.cli", "migrate"], env=env, check=True, capture_output=True
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.crawl_ours", url], env=env, stdout=subprocess.PIPE, cwd=ROOT
        )
        for _ in range(processes)
    ]
    results = [json.loads(child.communicate()[0].decode().strip().splitlines()[-1]) for child in children]
    return {
        "pages": sum(r["pages"] for r in results),
        "items": sum(r["items"] for r in results),
        # The crawls run at once: the slower one's collection time (process start-up excluded, as for Scrapy).
        "seconds": max(r["seconds"] for r in results),
        "cpu_seconds": sum(r["cpu_seconds"] for r in results),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in results),
    }


def run_scrapy(url: str, port: int) -> dict[str, float]:
    """Scrapy fetch-and-follow of the same site in its own process (its crawl time, start-up excluded)."""
    output = subprocess.run(
        [sys.executable, "-m", "bench.crawl_scrapy", url, DOMAIN, str(port)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    return dict(json.loads(output.stdout.decode().strip().splitlines()[-1]))


def _median_run(results: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median pages/s."""
    ordered = sorted(results, key=lambda r: r["pages"] / r["seconds"])
    return ordered[len(ordered) // 2]


def main() -> None:
    """Serve the site, crawl it with Scrapy, with ours in one process and in two, and write the table."""
    directory = Path(tempfile.mkdtemp(prefix="techscaniq-crawl-bench-"))
    port = free_port()
    site = build_site(domain=DOMAIN, port=port, pages=PAGES)
    nginx = start_nginx(site, directory)
    server = None if nginx is not None else SiteServer(site, port=port).start()
    served_by = "nginx" if nginx is not None else "threaded Python server"
    try:
        with LoopbackDNSServer(site.dns_zone()) as dns_server:
            url = site.url("www", "/")
            runs: dict[str, list[dict[str, float]]] = {"scrapy": [], "one": [], "every": [], "two": []}
            for repeat in range(REPEATS):  # interleaved, so a noisy moment hits every crawler alike
                runs["scrapy"].append(run_scrapy(url, port))
                runs["one"].append(run_ours(url, dns_server.address, 1, directory / f"one-{repeat}"))
                runs["every"].append(
                    run_ours(url, dns_server.address, 1, directory / f"every-{repeat}", EVERY_MAIN_TEXT)
                )
                runs["two"].append(run_ours(url, dns_server.address, 2, directory / f"two-{repeat}"))
            scrapy, ours_one, ours_every, ours_two = (
                _median_run(runs[name]) for name in ("scrapy", "one", "every", "two")
            )
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        if server is not None:
            server.stop()
    rows = []
    scrapy_rate = scrapy["pages"] / scrapy["seconds"]
    for name, result in (
        ("Scrapy (fetch and follow)", scrapy),
        ("techscaniq, 1 process (full analysis)", ours_one),
        ("techscaniq, 1 process, main text of every evidence-bearing page", ours_every),
        ("techscaniq, 2 processes (full analysis)", ours_two),
    ):
        rate = result["pages"] / result["seconds"]
        rows.append(
            [
                name,
                int(result["pages"]),
                f"{result['seconds']:.1f}",
                f"{rate:.1f}",
                f"{1000 * result['cpu_seconds'] / max(1, result['pages']):.1f}",
                f"{rate / scrapy_rate:.2f}",
                int(result.get("items", 0)) or "-",
                f"{result.get('peak_rss_mb', 0):.0f}" if result.get("peak_rss_mb") else "-",
            ]
        )
    write_table(
        "crawl",
        f"Crawl and analysis of the {PAGES}-page fixture company ({served_by}, loopback)",
        [
            "crawler",
            "pages fetched",
            "seconds",
            "pages/s",
            "CPU ms/page",
            "ratio vs Scrapy",
            "evidence items",
            "peak RSS MB",
        ],
        rows,
        notes="Ours: the evidence step as a worker runs it (crawl, every collector, SQLite storage of every item), "
        "politeness lifted for loopback (16 in flight, no Crawl-delay). Seconds and CPU are each crawler's own "
        "crawl in its process: ours after the warm-up an evidence worker does once when it starts, Scrapy's from "
        "its spider opening to its closing (its loading of middlewares and extensions left out); the run with the "
        "median pages/s of "
        f"{REPEATS} interleaved runs is shown. Ours stops where Scrapy does not: it samples the newest blog posts "
        "instead of fetching every one. Full analysis extracts the main text (trafilatura) of the first "
        "20 pages of each evidence-bearing class, as a scan does by default "
        "(TECHSCANIQ_MAIN_TEXT_PAGES_PER_CLASS); the row below it extracts every such page's. Two processes crawl the site twice at once (one scan per process, as a "
        "worker with concurrency 2 runs them); their pages add up over the slower one's time. "
        "Target: ours (full analysis) >= Scrapy's pages/s (fetch and follow only).",
    )


if __name__ == "__main__":
    main()
