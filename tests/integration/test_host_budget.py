"""The per-host politeness budget in Redis holds across scans: two crawls of one host share its slots."""

from __future__ import annotations

import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler

import pytest
import redis

from techscaniq.config import Settings
from techscaniq.demo.dns_server import LoopbackDNSServer
from techscaniq.evidence.crawler import Crawler, CrawlLimits
from techscaniq.evidence.fetch import GuardedFetcher
from techscaniq.evidence.host_budget import HostBudget, RedisHostBudget
from tests.support.http_servers import LoopbackHTTPServer, respond
from tests.support.processes import RedisServer

pytestmark = pytest.mark.integration
PAGES = 12
PAGE_SECONDS = 0.25


class Gauge:
    """Requests in flight at the server, and the most seen at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def slow_page(self, handler: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            time.sleep(PAGE_SECONDS)
            respond(200, b"<html><title>Page</title><body>text</body></html>")(handler)
        finally:
            with self.lock:
                self.now -= 1


def _two_scans_at_once(server: LoopbackHTTPServer, name: str, settings: Settings, budget: HostBudget) -> None:
    def crawl() -> None:
        with GuardedFetcher(settings) as fetcher:
            Crawler(fetcher, server.url("/", name), CrawlLimits(), host_budget=budget).run(
                lambda page, links: None, checkpoint=lambda: None, progress=lambda p: None
            )

    threads = [threading.Thread(target=crawl) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def test_two_scans_of_one_host_share_its_slots(
    fixture_dns: LoopbackDNSServer, redis_server: RedisServer
) -> None:
    name = f"www.budget-{uuid.uuid4().hex[:8]}.com"
    fixture_dns.set_records(name, "A", ["127.0.0.1"])
    settings = Settings().with_overrides(allow_networks=("127.0.0.0/24",), dns_servers=(fixture_dns.address,))
    links = "".join(f'<a href="/p{i}">page {i}</a>' for i in range(PAGES)).encode()
    redis.Redis.from_url(redis_server.url).flushall()
    for budget, limit in (
        (HostBudget(), None),
        (RedisHostBudget(redis_server.url), CrawlLimits().per_host_concurrency),
    ):
        gauge = Gauge()
        with LoopbackHTTPServer() as server:
            server.route(
                "/", respond(200, b"<html><title>Home</title><body>" + links + b"</body></html>"), name
            )
            server.route("/robots.txt", respond(404, b"", "text/plain"), name)
            for i in range(PAGES):
                server.route(f"/p{i}", gauge.slow_page, name)
            _two_scans_at_once(server, name, settings, budget)
        pages = {f"/p{i}" for i in range(PAGES)}
        assert len([r for r in server.seen() if r.path in pages]) == 2 * PAGES
        if limit is None:
            # Each scan alone keeps to two at a time: together, without the shared budget, they exceed it.
            assert gauge.peak > CrawlLimits().per_host_concurrency
        else:
            assert gauge.peak <= limit
    assert not redis.Redis.from_url(redis_server.url).zcard(f"techscaniq:host-budget:slots:{name}")
