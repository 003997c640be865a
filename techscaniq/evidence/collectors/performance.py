"""Performance evidence (docs/evidence.md §11): per-page timings, sizes, compression and caching, and
site-level weight, asset counts, third-party hosts and error rates. LCP/CLS/INP need a browser: a data gap here;
the render phase measures lab LCP, CLS and TBT (`render_summary`, docs/evidence.md §14).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from typing import Any

from techscaniq.domain import EvidenceCategory, EvidenceDraft, EvidenceType
from techscaniq.evidence.collectors.base import BaseCollector, CollectContext, CrawledPage, register
from techscaniq.evidence.collectors.pages import absolute_url, attr, parsed
from techscaniq.evidence.urls import in_site, url_host, url_path

MAX_SAMPLES = 5000
COUNTERS = (
    "pages",
    "html_pages",
    "errors",
    "server_errors",
    "compressed",
    "redirected",
    "blocking_pages",
    "scripts",
    "styles",
    "images",
    "modern_images",
)
SAMPLES = ("page_bytes", "first_byte_ms", "total_ms")
MAX_THIRD_PARTY_HOSTS = 200
CACHE_HEADERS = (
    "cache-control",
    "etag",
    "last-modified",
    "age",
    "expires",
    "x-cache",
    "cf-cache-status",
    "vary",
)
MODERN_IMAGE_SUFFIXES = (".webp", ".avif", ".jxl")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".jxl", ".bmp", ".ico")
BROWSER_METRICS_GAP = (
    "LCP, CLS and INP need a browser; not measured by the crawl (lab LCP, CLS and TBT of rendered pages are in "
    "render_summary)"
)


def percentile(values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile of values (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def _ms(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


@register("performance")
class PerformanceCollector(BaseCollector):
    """A `page_performance` item per page and one `site_performance` item for the crawl."""

    name = "performance"

    def __init__(self) -> None:
        self._totals: dict[str, int] = dict.fromkeys(COUNTERS, 0)
        self._samples: dict[str, list[float]] = {name: [] for name in SAMPLES}
        self._http_versions: list[str] = []
        self._third_party: dict[str, int] = {}
        self._failures = 0
        self._source: str | None = None

    def on_page(self, page: CrawledPage, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Timings, sizes, compression, cache headers and HTTP version of one response."""
        fetch = page.fetch
        if page.status is None:
            self._failures += 1
            return []
        timings = fetch.timings
        cache = {name: fetch.header(name) for name in CACHE_HEADERS if fetch.header(name) is not None}
        encoding = fetch.header("content-encoding")
        assets = self._assets(page, context) if page.is_html else {}
        data = {
            "url": page.url,
            "status": page.status,
            "dns_ms": _ms(timings.get("dns_ms")),
            "connect_ms": _ms(timings.get("connect_ms")),
            "first_byte_ms": _ms(timings.get("first_byte_ms")),
            "total_ms": _ms(timings.get("total_ms")),
            "transferred_bytes": fetch.encoded_bytes,
            "decoded_bytes": fetch.decoded_bytes,
            "content_encoding": encoding,
            "cache": cache,
            "http_version": fetch.http_version,
            "redirects": len(fetch.redirects),
            **assets,
        }
        self._source = self._source or page.url
        self._count(page, data, assets)
        first_byte = data["first_byte_ms"]
        weight_kib = fetch.decoded_bytes / 1024
        summary = f"{page.url} answered {page.status} in {data['total_ms']} ms"
        summary += f" (first byte {first_byte} ms), {weight_kib:.0f} KiB decoded"
        summary += f", {encoding} compressed." if encoding else ", uncompressed."
        return [
            context.draft(
                self.name,
                EvidenceType.PAGE_PERFORMANCE,
                EvidenceCategory.PERFORMANCE,
                key=page.url,
                title=f"Response time of {url_path(page.url)}"[:300],
                summary=summary,
                source_url=page.url,
                data=data,
                confidence=0.95,
            )
        ]

    def _assets(self, page: CrawledPage, context: CollectContext) -> dict[str, Any]:
        tree = parsed(page)
        if tree is None:
            return {}
        scripts = tree.css("script[src]")
        styles = tree.css('link[rel~="stylesheet" i]')
        images = tree.css("img")
        head = tree.head
        blocking = 0
        if head is not None:
            for script in head.css("script[src]"):
                attrs = script.attributes
                module = attr(script, "type").lower() == "module"
                if "async" not in attrs and "defer" not in attrs and not module:
                    blocking += 1
        image_sources = [attr(img, "src").lower().split("?", 1)[0] for img in images]
        modern = sum(1 for src in image_sources if src.endswith(MODERN_IMAGE_SUFFIXES))
        modern += len(tree.css('picture source[type="image/webp"], picture source[type="image/avif"]'))
        hosts: set[str] = set()
        for node in [*scripts, *styles, *images, *tree.css("iframe[src]")]:
            url = absolute_url(page.url, attr(node, "src") or attr(node, "href"))
            host = url_host(url) if url else ""
            if host and not in_site(host, context.registrable_domain):
                hosts.add(host)
        for host in hosts:
            if host in self._third_party or len(self._third_party) < MAX_THIRD_PARTY_HOSTS:
                self._third_party[host] = self._third_party.get(host, 0) + 1
        return {
            "scripts": len(scripts),
            "inline_scripts": len(tree.css("script:not([src])")),
            "styles": len(styles),
            "images": len(images),
            "modern_images": modern,
            "render_blocking_head_scripts": blocking,
            "third_party_hosts": sorted(hosts),
        }

    def _count(self, page: CrawledPage, data: Mapping[str, Any], assets: Mapping[str, Any]) -> None:
        """Add one response to the running totals (state stays a few numbers per page)."""
        totals = self._totals
        totals["pages"] += 1
        status = page.status or 0
        totals["errors"] += status >= 400 or bool(page.fetch.error_code)
        totals["server_errors"] += status >= 500
        totals["compressed"] += bool(data["content_encoding"])
        totals["redirected"] += bool(data["redirects"])
        if assets:
            totals["html_pages"] += 1
            totals["blocking_pages"] += bool(assets["render_blocking_head_scripts"])
            for field in ("scripts", "styles", "images", "modern_images"):
                totals[field] += int(assets[field])
            self._sample("page_bytes", float(page.fetch.decoded_bytes))
        for field in ("first_byte_ms", "total_ms"):
            if data[field] is not None:
                self._sample(field, float(data[field]))
        version = page.fetch.http_version
        if version and version not in self._http_versions:
            self._http_versions.append(version)

    def _sample(self, name: str, value: float) -> None:
        if len(self._samples[name]) < MAX_SAMPLES:
            self._samples[name].append(value)

    def finish(self, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Site-level weight, asset counts, third-party hosts, redirects and error rates."""
        totals = self._totals
        if not totals["pages"] and not self._failures:
            return ()
        weights = self._samples["page_bytes"]
        first_bytes = self._samples["first_byte_ms"]
        times = self._samples["total_ms"]
        attempted = totals["pages"] + self._failures
        errors = totals["errors"] + self._failures
        html_pages = totals["html_pages"]

        def mean(field: str) -> float | None:
            return round(totals[field] / html_pages, 1) if html_pages else None

        median_weight = statistics.median(weights) if weights else None
        data = {
            "pages": totals["pages"],
            "failed_fetches": self._failures,
            "median_page_bytes": median_weight,
            "p90_page_bytes": percentile(weights, 0.9),
            "median_first_byte_ms": _ms(statistics.median(first_bytes)) if first_bytes else None,
            "p90_first_byte_ms": _ms(percentile(first_bytes, 0.9)),
            "median_total_ms": _ms(statistics.median(times)) if times else None,
            "p90_total_ms": _ms(percentile(times, 0.9)),
            "mean_scripts_per_page": mean("scripts"),
            "mean_styles_per_page": mean("styles"),
            "mean_images_per_page": mean("images"),
            "pages_with_render_blocking_scripts": totals["blocking_pages"],
            "modern_image_share": round(totals["modern_images"] / totals["images"], 3)
            if totals["images"]
            else None,
            "compressed_share": round(totals["compressed"] / totals["pages"], 3) if totals["pages"] else None,
            "redirected_pages": totals["redirected"],
            "error_rate": round(errors / attempted, 3) if attempted else 0.0,
            "server_error_rate": round(totals["server_errors"] / attempted, 3) if attempted else 0.0,
            "http_versions": sorted(self._http_versions),
            "third_party_hosts": dict(sorted(self._third_party.items(), key=lambda kv: (-kv[1], kv[0]))),
            "third_party_host_count": len(self._third_party),
            "lcp_ms": None,
            "cls": None,
            "inp_ms": None,
            "data_gaps": [BROWSER_METRICS_GAP],
        }
        weight_text = f"{median_weight / 1024:.0f} KiB" if median_weight is not None else "unknown"
        summary = (
            f"Across {totals['pages']} pages the median HTML weight is {weight_text}, pages load "
            f"{data['mean_scripts_per_page']} scripts on average from {len(self._third_party)} third-party hosts, "
            f"and {data['error_rate']:.0%} of fetches failed."
        )
        return [
            context.draft(
                self.name,
                EvidenceType.SITE_PERFORMANCE,
                EvidenceCategory.PERFORMANCE,
                key="site_performance",
                title="Site performance summary",
                summary=summary,
                source_url=self._source or context.root_url,
                data=data,
                confidence=0.9,
            )
        ]

    def state(self) -> dict[str, Any]:
        """Running totals, bounded samples for the percentiles, third-party host counts and failures."""
        return {
            "totals": self._totals,
            "samples": self._samples,
            "http_versions": self._http_versions,
            "third_party": self._third_party,
            "failures": self._failures,
            "source": self._source,
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Load the checkpointed measurements."""
        self._totals = {**dict.fromkeys(COUNTERS, 0), **(state.get("totals") or {})}
        self._samples = {name: list((state.get("samples") or {}).get(name) or []) for name in SAMPLES}
        self._http_versions = list(state.get("http_versions") or [])
        self._third_party = dict(state.get("third_party") or {})
        self._failures = int(state.get("failures") or 0)
        self._source = state.get("source")
