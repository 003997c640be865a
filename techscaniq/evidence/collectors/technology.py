"""Technology stack and hosting evidence: the fingerprint matcher over every page, plus DNS, certificate and robots.

Pages are matched as they arrive and folded into bounded per-technology aggregates; finish() adds the site-wide
signals and attributes hosting/CDN from CNAME chains cross-checked with response headers (docs/evidence.md §6).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import escape as html_escape
from typing import Any
from urllib.parse import urlsplit

from techscaniq.domain import EvidenceCategory, EvidenceDraft, EvidenceType
from techscaniq.evidence.collectors.base import BaseCollector, CollectContext, CrawledPage, register
from techscaniq.evidence.collectors.dns_email import DnsClient
from techscaniq.evidence.collectors.pages import parsed
from techscaniq.evidence.collectors.tls import ca_bundle_of
from techscaniq.evidence.fingerprints import Detection, FingerprintMatcher, PageSignals, SiteSignals
from techscaniq.evidence.fingerprints.eol import evaluate as end_of_life
from techscaniq.evidence.fingerprints.loader import configured_dirs
from techscaniq.evidence.tls_probe import HANDSHAKE_TIMEOUT_SECONDS, probe_tls
from techscaniq.evidence.urls import url_host

NAME = "technology"
MAX_MATCHES_PER_TECHNOLOGY = 20
MAX_PAGES_PER_TECHNOLOGY = 50
MAX_HOSTS = 20
EXCERPT_CHARS = 200
MAX_REQUESTED_URLS = 300
SITE_DNS_TYPES = ("TXT", "MX", "NS", "SOA")
DNS_TIMEOUT_SECONDS = 3.0
HEAD_SCAN_CHARS = 200_000  # a generator meta tag sits in the head
MAX_GENERATORS = 10  # distinct unrecognised generator strings kept per scan
GENERATOR_CHARS = 200


@dataclass(frozen=True)
class HostingRule:
    """How a hosting, CDN or cloud provider shows itself: CNAME target patterns and response-header cues."""

    slug: str
    provider: str
    kind: str
    cname: tuple[str, ...]  # regexes over a CNAME target
    headers: tuple[tuple[str, str], ...]  # (header name, regex over its value; "" = present)


HOSTING_RULES = (
    HostingRule(
        "cloudflare",
        "Cloudflare",
        "CDN",
        (r"\.cdn\.cloudflare\.net$",),
        (("cf-ray", ""), ("cf-cache-status", ""), ("server", r"^cloudflare")),
    ),
    HostingRule(
        "amazon-cloudfront",
        "Amazon CloudFront",
        "CDN",
        (r"\.cloudfront\.net$",),
        (("x-amz-cf-id", ""), ("x-amz-cf-pop", ""), ("via", r"cloudfront")),
    ),
    HostingRule("amazon-elb", "AWS Elastic Load Balancing", "Cloud", (r"\.elb\.amazonaws\.com$",), ()),
    HostingRule(
        "amazon-s3",
        "Amazon S3",
        "Cloud",
        (r"\.s3-website[.-][a-z0-9.-]*amazonaws\.com$", r"\.s3\.amazonaws\.com$"),
        (("server", r"^amazons3"),),
    ),
    HostingRule(
        "fastly",
        "Fastly",
        "CDN",
        (r"\.fastly\.net$", r"\.fastlylb\.net$"),
        (("x-served-by", r"cache-"), ("x-timer", "")),
    ),
    HostingRule(
        "akamai",
        "Akamai",
        "CDN",
        (r"\.akamaiedge\.net$", r"\.edgekey\.net$", r"\.edgesuite\.net$"),
        (("server", r"akamaighost"), ("akamai-grn", "")),
    ),
    HostingRule(
        "microsoft-azure",
        "Microsoft Azure",
        "Cloud",
        (r"\.azureedge\.net$", r"\.azurefd\.net$", r"\.azurewebsites\.net$", r"\.trafficmanager\.net$"),
        (("x-azure-ref", ""), ("x-msedge-ref", "")),
    ),
    HostingRule(
        "google-cloud",
        "Google Cloud",
        "Cloud",
        (r"^ghs\.googlehosted\.com$", r"\.appspot\.com$"),
        (("via", r"1\.1 google"), ("server", r"^google frontend")),
    ),
    HostingRule("vercel", "Vercel", "PaaS", (r"\.vercel-dns\.com$",), (("x-vercel-id", ""),)),
    HostingRule("netlify", "Netlify", "PaaS", (r"\.netlify\.app$",), (("x-nf-request-id", ""),)),
    HostingRule("heroku", "Heroku", "PaaS", (r"\.herokudns\.com$",), (("via", r"vegur"),)),
    HostingRule("fly-io", "Fly.io", "PaaS", (r"\.fly\.dev$",), (("fly-request-id", ""),)),
    HostingRule("github-pages", "GitHub Pages", "PaaS", (r"\.github\.io$",), (("server", r"^github\.com"),)),
    HostingRule("atlassian-statuspage", "Atlassian Statuspage", "SaaS", (r"\.stspg-customer\.com$",), ()),
)


def hosting_cues(headers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Provider slug -> the response-header cues of HOSTING_RULES present in these headers."""
    found: dict[str, list[str]] = {}
    pairs = [(name.lower(), value) for name, value in headers]
    for rule in HOSTING_RULES:
        for header, pattern in rule.headers:
            for name, value in pairs:
                if name == header and (not pattern or re.search(pattern, value, re.IGNORECASE)):
                    cue = f"{header}: {value[:80]}" if pattern else header
                    found.setdefault(rule.slug, [])
                    if cue not in found[rule.slug]:
                        found[rule.slug].append(cue)
                    break
    return found


def cname_provider(chain: Sequence[str]) -> tuple[HostingRule, str] | None:
    """The first hosting rule a CNAME target of the chain matches, with that target."""
    for target in chain:
        name = target.lower().rstrip(".")
        for rule in HOSTING_RULES:
            if any(re.search(pattern, name) for pattern in rule.cname):
                return rule, name
    return None


def page_cookies(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Cookie name -> value from the Set-Cookie headers of a page."""
    cookies = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            cookie_name, _, cookie_value = value.split(";", 1)[0].partition("=")
            if cookie_name.strip():
                cookies[cookie_name.strip()] = cookie_value.strip()
    return cookies


def _version_key(version: str) -> tuple[tuple[int, ...], int]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:6]), len(version)


@register(NAME)
class TechnologyCollector(BaseCollector):
    """One `technology` item per detected technology and `hosting` items per host and provider."""

    name = NAME

    def __init__(self, matcher: FingerprintMatcher | None = None, now: date | datetime | None = None) -> None:
        self._matcher = matcher
        # End of life is judged on the day of collection (tests pin the day).
        self._today = now.date() if isinstance(now, datetime) else now
        self._technologies: dict[str, dict[str, Any]] = {}
        self._host_cues: dict[str, dict[str, list[str]]] = {}
        self._generators: dict[
            str, list[str]
        ] = {}  # raw generator string -> pages that no technology explains

    def matcher_for(self, context: CollectContext) -> FingerprintMatcher:
        """The fingerprint matcher: our data plus TECHSCANIQ_FINGERPRINTS_DIR (compiled once per process)."""
        if self._matcher is None:
            self._matcher = FingerprintMatcher.load(configured_dirs(context.settings.fingerprints_dir))
        return self._matcher

    def on_page(
        self, page: CrawledPage, context: CollectContext, allowed: frozenset[str] | None = None
    ) -> Iterable[EvidenceDraft]:
        """Match one page and fold its detections in (only `allowed` names when given); note hosting cues."""
        if page.status is None:
            return ()
        host = url_host(page.url)
        if host and (host in self._host_cues or len(self._host_cues) < MAX_HOSTS):
            cues = self._host_cues.setdefault(host, {})
            for slug, found in hosting_cues(page.headers).items():
                known = cues.setdefault(slug, [])
                known += [cue for cue in found if cue not in known][: 5 - len(known)]
        tree = parsed(page)
        signals = PageSignals(
            url=page.url,
            headers=page.headers,
            html=page.html,
            cookies=page_cookies(page.headers),
            tree=tree,
        )
        explained: set[str] = set()
        for detection in self.matcher_for(context).analyze([signals]):
            if allowed is not None and detection.name not in allowed:
                continue
            self._fold(detection, page.url, "raw")
            explained |= {m.value for m in detection.matches if m.signal == "meta" and m.key == "generator"}
        if allowed is None and tree is not None and "generator" in page.html[:HEAD_SCAN_CHARS].lower():
            self._note_generators(page.url, tree, explained)
        return ()

    def on_rendered_page(
        self,
        context: CollectContext,
        url: str,
        html: str,
        cookies: Mapping[str, str],
        requested: Sequence[str] = (),
        *,
        xhr: Sequence[str] = (),
        js: Mapping[str, str] | None = None,
    ) -> None:
        """Match a page's DOM as the browser left it (evidence/render/), with the cookies its scripts set, the
        URLs its scripts requested (scripts, XHR and fetch calls: what a visitor's browser talks to), the XHR and
        fetch URLs alone (`xhr` patterns) and the page globals the browser read (`js` patterns)."""
        signals = [
            PageSignals(
                url=url,
                headers=(),
                html=html,
                cookies=dict(cookies),
                js=dict(js or {}),
                xhr=tuple(xhr[:MAX_REQUESTED_URLS]),
            )
        ]
        if requested:
            # The requests as script sources, so scriptSrc patterns name the vendors behind them.
            tags = "".join(
                f'<script src="{html_escape(link)}"></script>' for link in requested[:MAX_REQUESTED_URLS]
            )
            signals.append(PageSignals(url=url, headers=(), html=tags))
        for page_signals in signals:
            for detection in self.matcher_for(context).analyze([page_signals]):
                self._fold(detection, url, "rendered")

    def on_challenge_page(self, page: CrawledPage, context: CollectContext) -> Iterable[EvidenceDraft]:
        """A bot-protection challenge page: only the protection vendor's own technologies are detected."""
        return self.on_page(page, context, allowed=page.bot_check.technologies)

    def _note_generators(self, url: str, tree: Any, explained: set[str]) -> None:
        """Keep the generator strings no technology claimed; they become `generator` items, never names."""
        for node in tree.css("meta[name]"):
            if (node.attributes.get("name") or "").strip().lower() != "generator":
                continue
            raw = " ".join((node.attributes.get("content") or "").split())[:GENERATOR_CHARS]
            if not raw or any(value and value in raw for value in explained):
                continue
            if raw in self._generators or len(self._generators) < MAX_GENERATORS:
                pages = self._generators.setdefault(raw, [])
                if url not in pages and len(pages) < MAX_PAGES_PER_TECHNOLOGY:
                    pages.append(url)

    def _fold(self, detection: Detection, page_url: str | None, source: str = "records") -> None:
        entry = self._technologies.setdefault(
            detection.name,
            {
                "name": detection.name,
                "slug": detection.slug,
                "version": None,
                "confidence": 0,
                "categories": list(detection.categories),
                "website": detection.website,
                "saas": detection.saas,
                "oss": detection.oss,
                "pricing": list(detection.pricing),
                "matches": [],
                "pages": [],
                "implied_by": [],
                "direct": False,
                "aliases": list(detection.aliases),
            },
        )
        entry["confidence"] = max(entry["confidence"], detection.confidence)
        seen_in = entry.setdefault("seen_in", [])
        if source not in seen_in:  # raw HTML, the rendered page, or site records (DNS, certificate, robots)
            seen_in.append(source)
        if detection.version and (
            entry["version"] is None or _version_key(detection.version) > _version_key(entry["version"])
        ):
            entry["version"] = detection.version
        if page_url and page_url not in entry["pages"] and len(entry["pages"]) < MAX_PAGES_PER_TECHNOLOGY:
            entry["pages"].append(page_url)
        for match in detection.matches:
            if match.signal == "implies":
                if match.key not in entry["implied_by"]:
                    entry["implied_by"].append(match.key)
                continue
            entry["direct"] = True
            signal = f"rendered {match.signal}" if source == "rendered" else str(match.signal)
            row = [match.page_url or page_url, signal, match.key, match.value[:EXCERPT_CHARS]]
            if row not in entry["matches"] and len(entry["matches"]) < MAX_MATCHES_PER_TECHNOLOGY:
                entry["matches"].append(row)

    def state(self) -> dict[str, Any]:
        """Per-technology aggregates (≤ 20 matches, ≤ 50 pages each) and hosting cues per host."""
        return {
            "technologies": self._technologies,
            "host_cues": self._host_cues,
            "generators": self._generators,
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Load the aggregates."""
        self._technologies = {str(k): dict(v) for k, v in dict(state.get("technologies", {})).items()}
        self._host_cues = {str(k): dict(v) for k, v in dict(state.get("host_cues", {})).items()}
        self._generators = {str(k): list(v) for k, v in dict(state.get("generators", {})).items()}

    def finish(self, context: CollectContext) -> Iterable[EvidenceDraft]:
        """Add the site-wide signals, resolve exclusions, and emit technology and hosting items."""
        dns_facts = self._dns_facts(context)
        site = SiteSignals(
            dns={rtype: list(dns_facts.get(rtype, [])) for rtype in (*SITE_DNS_TYPES, "CNAME")},
            cert_issuer=self._cert_issuer(context),
            robots=context.robots_txt,
        )
        for detection in self.matcher_for(context).analyze([], site):
            self._fold(detection, None)
        self._drop_excluded(context)
        items = [self._technology_item(context, entry) for entry in self._technologies.values()]
        items += [self._generator_item(context, raw, pages) for raw, pages in self._generators.items()]
        items += self._hosting_items(context, dns_facts)
        return items

    # -- site signals ------------------------------------------------------------------------------------------

    def _dns_facts(self, context: CollectContext) -> dict[str, Any]:
        """The dns_email collector's answers when it ran first, else our own few questions."""
        shared = context.extras.get("dns")
        if isinstance(shared, dict) and shared.get("apex"):
            return shared
        client = DnsClient(context.settings.dns_servers, DNS_TIMEOUT_SECONDS)
        apex = context.registrable_domain
        facts: dict[str, Any] = {"apex": apex, "cnames": {}}
        for rtype in SITE_DNS_TYPES:
            facts[rtype] = list(client.query(apex, rtype).values)
        hosts = list(self._host_cues) or [(urlsplit(context.root_url).hostname or apex).lower()]
        for host in hosts[:MAX_HOSTS]:
            chain = list(client.query(host, "A").cname_chain)
            if chain:
                facts["cnames"][host] = chain
        facts["CNAME"] = [target for chain in facts["cnames"].values() for target in chain]
        return facts

    def _cert_issuer(self, context: CollectContext) -> str | None:
        """The issuer organisation of the root host's certificate (the tls collector's, else one handshake)."""
        root = urlsplit(context.root_url)
        host = (root.hostname or "").lower()
        shared = context.extras.get("tls", {}).get(host)
        if isinstance(shared, dict) and "issuer_organization" in shared:
            return shared.get("issuer_organization") or shared.get("issuer")
        if root.scheme != "https" or not host:
            return None
        port = root.port or 443
        report = probe_tls(
            lambda: context.fetcher.open_checked_connection(host, port, HANDSHAKE_TIMEOUT_SECONDS),
            host,
            port,
            ca_bundle=ca_bundle_of(context),
            versions=(),
        )
        cert = report.certificate
        return (cert.issuer_organization or cert.issuer) if cert else None

    def _drop_excluded(self, context: CollectContext) -> None:
        technologies = self.matcher_for(context).technologies
        excluded = {
            name
            for present, entry in self._technologies.items()
            if entry["direct"] and present in technologies
            for name in technologies[present].excludes
        }
        for name in excluded:
            self._technologies.pop(name, None)

    # -- items -------------------------------------------------------------------------------------------------

    def _technology_item(self, context: CollectContext, entry: dict[str, Any]) -> EvidenceDraft:
        name, version = entry["name"], entry["version"]
        matches = [
            {"page": page, "signal": signal, "key": key, "excerpt": excerpt}
            for page, signal, key, excerpt in entry["matches"]
        ]
        seen = [_describe_match(match) for match in matches[:3]]
        if not seen and entry["implied_by"]:
            seen = [f"implied by {', '.join(entry['implied_by'])}"]
        label = f"{name} {version}" if version else name
        source = next((m["page"] for m in matches if m["page"]), None) or context.root_url
        confidence = min(entry["confidence"], 100) / 100
        categories = ", ".join(entry["categories"]) or "uncategorised"
        eol = end_of_life(entry["slug"], version, self._today or datetime.now(UTC).date())
        if eol is not None and eol.ended:
            seen.append(f"past end of life: {eol.note}")
        return context.draft(
            NAME,
            EvidenceType.TECHNOLOGY,
            EvidenceCategory.TECHNOLOGY,
            key=entry["slug"],
            title=f"{label} detected ({categories})"[:500],
            summary=(f"{label} is used: " + "; ".join(seen) + ".")[:1000],
            source_url=source,
            data={
                "name": name,
                "slug": entry["slug"],
                "version": version,
                "confidence": confidence,
                "categories": entry["categories"],
                "website": entry["website"],
                "saas": entry["saas"],
                "oss": entry["oss"],
                "pricing": entry["pricing"],
                "matches": matches,
                "pages": entry["pages"],
                "page_count": len(entry["pages"]),
                "implied_by": entry["implied_by"],
                "implied_only": not entry["direct"],
                "seen_in": sorted(entry.get("seen_in", [])),
                "aliases": entry.get("aliases", []),
                "status": "observed",
                "excerpt": matches[0]["excerpt"] if matches else None,
                "end_of_life": None if eol is None else eol.ended,
                "eol": None if eol is None else eol.to_data(),
            },
            confidence=confidence,
        )

    def _generator_item(self, context: CollectContext, raw: str, pages: list[str]) -> EvidenceDraft:
        # The raw string stays data: a product name read from free text would not be a stable, matchable name.
        return context.draft(
            NAME,
            EvidenceType.GENERATOR,
            EvidenceCategory.TECHNOLOGY,
            key=raw.lower(),
            title=f"Pages name their generator as {raw!r} (not a known technology)"[:500],
            summary=f"<meta name=generator content={raw!r}> on {len(pages)} page(s); no fingerprint explains it.",
            source_url=pages[0] if pages else context.root_url,
            data={
                "generator": raw,
                "pages": pages,
                "page_count": len(pages),
                "status": "observed",
                "excerpt": f'<meta name="generator" content="{raw}">'[:EXCERPT_CHARS],
            },
            confidence=0.9,
        )

    def _hosting_items(self, context: CollectContext, dns_facts: Mapping[str, Any]) -> list[EvidenceDraft]:
        items = []
        cnames: Mapping[str, Sequence[str]] = dns_facts.get("cnames", {}) or {}
        hosts = list(dict.fromkeys([*self._host_cues, *cnames]))
        for host in hosts:
            chain = list(cnames.get(host, []))
            cues = self._host_cues.get(host, {})
            by_cname = cname_provider(chain)
            providers = {rule.slug: rule for rule in HOSTING_RULES if rule.slug in cues}
            if by_cname:
                providers[by_cname[0].slug] = by_cname[0]
            for slug, rule in providers.items():
                via_cname = by_cname is not None and by_cname[0].slug == slug
                header_cues = cues.get(slug, [])
                if via_cname and header_cues:
                    confidence, how = 0.95, "CNAME and response headers agree"
                elif via_cname:
                    confidence, how = 0.9, "CNAME record"
                else:
                    confidence, how = 0.8, "response headers only"
                evidence = []
                if via_cname and by_cname:
                    evidence.append(f"CNAME {host} -> {by_cname[1]}")
                if header_cues:
                    evidence.append("headers " + ", ".join(header_cues[:3]))
                items.append(
                    context.draft(
                        NAME,
                        EvidenceType.HOSTING,
                        EvidenceCategory.TECHNOLOGY,
                        key=f"{host} {slug}",
                        title=f"{host} is served through {rule.provider} ({rule.kind})",
                        summary=f"{host} runs on {rule.provider}: {'; '.join(evidence)} ({how}).",
                        source_url=f"https://{host}/",
                        data={
                            "host": host,
                            "provider": rule.provider,
                            "slug": slug,
                            "kind": rule.kind,
                            "cname_chain": chain,
                            "cname_match": by_cname[1] if via_cname and by_cname else None,
                            "header_cues": header_cues,
                            "method": how,
                            "status": "observed",
                            "excerpt": "; ".join(evidence)[:500],
                        },
                        confidence=confidence,
                    )
                )
        return items


def _describe_match(match: Mapping[str, Any]) -> str:
    page = match["page"]
    where = f"on {urlsplit(page).path or '/'}" if page else "in site records"
    if str(match["signal"]).endswith(" js"):  # the global itself: `js Intercom`, `js React.version = 18.2.0`
        value = str(match["excerpt"])
        shown = "" if value in ("", "true") else f" = {value[:80]}"
        return f"seen {where} via {match['signal']} {match['key']}{shown}"
    key = f" {match['key']}" if match["key"] else ""
    return f"seen {where} via {match['signal']}{key} ({str(match['excerpt'])[:80]})"
