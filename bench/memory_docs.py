"""Worker memory on real documentation: peak RSS of one evidence collection of a Debian documentation package.

Debian's documentation packages are real sites with multi-megabyte pages. Each chosen package's HTML tree is
served read-only from /usr/share/doc by a threaded Python file server on loopback, under a `.test` domain the
fixture DNS server answers (the crawler resolves every name through it, as bench/memory.py does). A package
that is missing is installed with apt-get (root, or sudo -n); when that fails the package is skipped and said so.
python3.11-doc pins the system python3.11 packages to its own Debian version, so apt may upgrade them with it.
The yardstick is the 500-page synthetic company of bench/memory.py, crawled in the same run. Rendering is off
(TECHSCANIQ_BROWSER=off): bench/render.py measures the browser.

Run: `python -m bench.memory_docs` (BENCH_DOCS_PACKAGES narrows the package list, comma-separated names).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.common import free_port, write_table
from bench.crawl import DOMAIN as SYNTHETIC_DOMAIN
from bench.crawl import run_ours
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.demo.server import SiteServer
from techscaniq.demo.site import build_site

MIB = 1024 * 1024
BIG_PAGE_BYTES = 2 * MIB
BUDGET_MB = 300
YARDSTICK_PAGES = 500
DOCS_DOMAIN = "debian-docs-bench.test"
# (page cap, politeness lifted): a scan as a worker runs it on a real site (200 pages, 2 requests at a time
# per host), the same with politeness lifted (16 at a time, as bench/memory.py), and every reachable page.
CRAWLS = ((200, False), (200, True), (100_000, True))


@dataclass(frozen=True)
class DocPackage:
    """A Debian documentation package and the directory of its HTML site."""

    name: str
    root: Path


PACKAGES = (
    DocPackage("python3.11-doc", Path("/usr/share/doc/python3.11/html")),
    DocPackage("nodejs", Path("/usr/share/doc/nodejs/api")),
    DocPackage("libstdc++-12-doc", Path("/usr/share/doc/libstdc++-12-doc/html")),
)


def ensure_installed(package: DocPackage) -> bool:
    """Install the package with apt-get when its HTML directory is missing; True when it is there."""
    if (package.root / "index.html").exists():
        return True
    if shutil.which("apt-get") is None:
        return False
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*prefix, "apt-get", "install", "-y", "-qq", package.name], env=env, check=False)
    return (package.root / "index.html").exists()


def big_pages(root: Path) -> list[tuple[str, int]]:
    """The HTML pages over BIG_PAGE_BYTES under root, largest first, as (relative path, bytes)."""
    pages = [(str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*.html") if p.is_file()]
    return sorted(((path, size) for path, size in pages if size > BIG_PAGE_BYTES), key=lambda x: -x[1])


class _QuietHandler(SimpleHTTPRequestHandler):
    """Serves files; says nothing per request."""

    def log_message(self, format: str, *args: object) -> None:
        return


class _QuietServer(ThreadingHTTPServer):
    """A crawler that stops reading a page it refused (over the cap) resets the connection: not an error."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return


@contextmanager
def serve_directory(root: Path, port: int) -> Iterator[None]:
    """A threaded HTTP server on 127.0.0.1:port serving root read-only (every Host header alike)."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = _QuietServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, name="docs-server", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def docs_zone(domain: str) -> dict[str, dict[str, list[str]]]:
    """Loopback A records for the apex and www of the documentation domain."""
    return {name: {"A": ["127.0.0.1"]} for name in (domain, f"www.{domain}")}


def crawl_docs(package: DocPackage, max_pages: int, lifted: bool) -> dict[str, float]:
    """One evidence collection of the package's site in a fresh process; its figures."""
    port = free_port()
    directory = Path(tempfile.mkdtemp(prefix=f"techscaniq-docs-{package.name}-"))
    with serve_directory(package.root, port), LoopbackDNSServer(docs_zone(DOCS_DOMAIN)) as dns_server:
        url = f"http://www.{DOCS_DOMAIN}:{port}/"
        extra = {
            "TECHSCANIQ_CRAWL_MAX_PAGES": str(max_pages),
            "TECHSCANIQ_CRAWL_LIFT_POLITENESS": "true" if lifted else "false",
        }
        return run_ours(url, dns_server.address, 1, directory, extra)


def crawl_yardstick() -> dict[str, float]:
    """One evidence collection of the 500-page synthetic company (bench/memory.py's smaller site)."""
    directory = Path(tempfile.mkdtemp(prefix="techscaniq-docs-yardstick-"))
    site = build_site(domain=SYNTHETIC_DOMAIN, port=free_port(), pages=YARDSTICK_PAGES)
    with SiteServer(site, port=site.port) as server, LoopbackDNSServer(site.dns_zone()) as dns_server:
        server.start()
        return run_ours(site.url("www", "/"), dns_server.address, 1, directory)


def main() -> None:
    """Crawl the yardstick and each documentation package (each in a fresh process) and write the table."""
    wanted = {n.strip() for n in os.environ.get("BENCH_DOCS_PACKAGES", "").split(",") if n.strip()}
    yardstick = crawl_yardstick()
    rows: list[list[object]] = [
        [
            f"synthetic company ({YARDSTICK_PAGES} pages)",
            "-",
            "-",
            "100000, lifted",
            int(yardstick["pages"]),
            f"{yardstick['peak_rss_mb']:.0f}",
            "1.00",
        ]
    ]
    skipped = []
    for package in PACKAGES:
        if wanted and package.name not in wanted:
            continue
        if not ensure_installed(package):
            skipped.append(package.name)
            continue
        pages = list(package.root.rglob("*.html"))
        big = big_pages(package.root)
        for cap, lifted in CRAWLS:
            result = crawl_docs(package, cap, lifted)
            rows.append(
                [
                    f"{package.name} ({package.root})",
                    len(pages),
                    ", ".join(f"{path} {size / MIB:.1f} MiB" for path, size in big) or "none",
                    f"{cap}, {'lifted' if lifted else 'polite'}",
                    int(result["pages"]),
                    f"{result['peak_rss_mb']:.0f}",
                    f"{result['peak_rss_mb'] / yardstick['peak_rss_mb']:.2f}",
                ]
            )
    write_table(
        "memory_docs",
        "Peak RSS of an evidence collection of Debian documentation sites (no rendering)",
        [
            "site",
            "HTML files",
            "pages over 2 MiB",
            "page cap",
            "pages fetched",
            "peak RSS MB",
            "vs yardstick",
        ],
        rows,
        notes=f"Budget: {BUDGET_MB} MB per evidence worker process without rendering. Each crawl runs in a fresh "
        "process (warm-up included, as a worker's), TECHSCANIQ_BROWSER=off, TECHSCANIQ_MALLOC_ARENA_MAX="
        f"{os.environ.get('TECHSCANIQ_MALLOC_ARENA_MAX', '2 (default)')}; peak RSS is the process's ru_maxrss. "
        "Polite: 2 requests at a time per host, as a scan of a real site; lifted: 16 (bench/memory.py). Pages are served by a threaded Python file server (Content-Length "
        "set, no compression), so a page over the 5 MiB HTML cap is refused unread (body_too_large)."
        + (f" Not installed, skipped: {', '.join(skipped)}." if skipped else ""),
    )


if __name__ == "__main__":
    main()
