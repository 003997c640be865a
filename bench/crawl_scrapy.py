"""The yardstick: Scrapy fetch-and-follow of a site (LinkExtractor, 16 concurrent, no delay, no robots)."""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule
from twisted.internet import defer
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer


@implementer(IResolverSimple)
class LoopbackResolver:
    """Every name of the fixture domain is 127.0.0.1 (the yardstick needs no DNS of its own)."""

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> LoopbackResolver:
        """Scrapy's factory hook for DNS_RESOLVER classes."""
        return cls(reactor)

    def install_on_reactor(self) -> None:
        """Make this the reactor's resolver."""
        self.reactor.installResolver(self)

    def getHostByName(self, name: str, timeout: Any = None) -> Any:  # Twisted's interface name
        return defer.succeed("127.0.0.1")


def main(start_url: str, domain: str, port: str) -> None:
    """Crawl every page reachable from start_url inside the domain and print pages and CPU time."""
    pages = 0

    class FetchAndFollow(CrawlSpider):
        name = "fetch_and_follow"
        allowed_domains = [domain]
        start_urls = [start_url]
        # allowed_domains keeps the crawl on the site (LinkExtractor's allow_domains would compare host:port).
        rules = (Rule(LinkExtractor(), callback="parse_item", follow=True),)

        def parse_start_url(self, response: Any, **kwargs: Any) -> Any:
            return self.parse_item(response)

        def parse_item(self, response: Any) -> Any:
            nonlocal pages
            pages += 1
            return None

    process = CrawlerProcess(
        settings={
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "ROBOTSTXT_OBEY": False,
            "LOG_LEVEL": "ERROR",
            "TELNETCONSOLE_ENABLED": False,
            "COOKIES_ENABLED": False,
            "DNS_RESOLVER": "bench.crawl_scrapy.LoopbackResolver",
        }
    )
    marks: dict[str, tuple[float, resource.struct_rusage]] = {}

    def mark(name: str) -> Callable[..., None]:
        def receiver(**_: Any) -> None:
            marks.setdefault(name, (time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)))

        return receiver

    # The crawl is timed from the spider opening to its closing: Scrapy's one-time loading of its middlewares
    # and extensions is left out, as our worker's warm-up is. (Scrapy's signals hold receivers weakly.)
    receivers = {
        signal: mark(name)
        for name, signal in (("opened", signals.spider_opened), ("closed", signals.spider_closed))
    }
    crawler = process.create_crawler(FetchAndFollow)
    for signal, receiver in receivers.items():
        crawler.signals.connect(receiver, signal=signal)
    process.crawl(crawler)
    process.start()
    (started, before), (ended, after) = marks["opened"], marks["closed"]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({"pages": pages, "seconds": ended - started, "cpu_seconds": cpu, "port": int(port)}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
