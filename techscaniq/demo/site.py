"""The fictional company "Northwind Ledger": a deterministic multi-host web site and a manifest of every planted fact.

`build_site()` returns every response the site serves, keyed by (host, path), plus a JSON-serialisable manifest that
tests assert against, and `Site.dns_zone()` gives the DNS records of every host. Same arguments, same bytes.

Manifest conventions: URLs are absolute (scheme, host, and the port unless it is the scheme's default); a technology
signal's `where` is `label:path` for one page, `label:*` for every page of that host, or `dns` for the zone.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import random
import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from techscaniq.demo import challenge_host, render_host

COMPANY = "Northwind Ledger"
LEGAL_NAME = "Northwind Ledger, Inc."
DEFAULT_DOMAIN = "northwind-ledger.test"
JOB_BOARD_HOST = "jobs.hireboard.test"
JOB_BOARD_TOKEN = "northwind-ledger"
SITE_DATE = date(2025, 11, 3)
CRAWL_DELAY_SECONDS = 0.05
DISALLOWED_PREFIX = "/internal/"
DISALLOWED_PAGE = "/internal/partner-portal"
OVERSIZED_BYTES = 8 * 1024 * 1024
GZIP_BOMB_INFLATED_BYTES = 128 * 1024 * 1024
DRIP_INTERVAL_SECONDS = 0.5
THROTTLED_RESPONSES = 2
MIN_SCALED_PAGES = 10
SUBDOMAIN_LABELS = ("www", "docs", "status", "trust", "api", "mta-sts")
PAGE_CLASSES = (
    "pricing",
    "careers",
    "security",
    "privacy",
    "terms",
    "docs",
    "blog",
    "customers",
    "integrations",
    "about",
    "status",
    "contact",
    "other",
)

# DKIM public keys (SubjectPublicKeyInfo, base64), generated once with cryptography for this fixture.
DKIM_GOOGLE_2048 = (
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvMmlO1CK9ZggrrzQWT7iAX25xdANffCrK1MtHvR+2MN8K66ZApwu0XArbaqpQrGs"
    "eFbzKdKNzCwD1a3A08ZVci8njZhfDP2/AZqg9CNZBMALA3DSrYrurokxzX9q8kk2vyeA0yoCwsgy0kTpleIGk+zN9l8Nm4nHL1KbCdnlhqF+"
    "FFg8Ca5X32YRAIsXRvR7X8Y+wBC4+ks/44repnWANKwHxQ7/iq6/FPJYnfBdPwYiuIdm3Pi5W22/fhO2X7X8Z9/ZlQwUnkVOl9dFPmsFa0wH"
    "XfmHUr/vCDWeGzNpzzcxsNZLlqiQ30YQdYKmWcQhyEwP7VSS+JBv+Nzpq/v8QQIDAQAB"
)
DKIM_S1_1024 = (
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDiDD8cy0gckKfWyi+PNKdwZprH5lcxShK3Ejx1+uZ7EFW0EJMZZCgFW2wt0c8oQkd9QPqx"
    "hJYK57/IkFrKV3/Z/SFGyvDjOlrHxb26eAI4fXT/pN3gSkE+89LfdnwgZyv0EuVpV56z4dH4JuNofhIPu4OseIsx7a15ROOIUXUdSQIDAQAB"
)


@dataclass(frozen=True)
class SiteResponse:
    """One canned HTTP response; `behaviour` names special serving (drip, gzip-bomb, throttle) or is None."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    behaviour: str | None = None

    def header(self, name: str) -> str | None:
        """The first value of a header, case-insensitively, or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


@dataclass
class Site:
    """A built site: responses by (host, path), the manifest of planted facts, and the DNS zone."""

    domain: str
    port: int
    scheme: str
    hosts: dict[str, str]
    responses: dict[tuple[str, str], SiteResponse]
    manifest: dict[str, Any]
    host_redirects: dict[str, str] = field(default_factory=dict)
    not_found: dict[str, SiteResponse] = field(default_factory=dict)
    zone_template: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def url(self, host_label: str = "www", path: str = "/") -> str:
        """Absolute URL of `path` on the host with this label (apex, www, docs, status, trust, api, mta-sts, jobs)."""
        return _origin(self.scheme, self.hosts[host_label], self.port) + path

    def lookup(self, host: str, target: str) -> SiteResponse | None:
        """The response for a Host header value and request target; None when the host is not part of the site."""
        host = host.split(":", 1)[0].strip().lower().rstrip(".")
        path = target.split("?", 1)[0].split("#", 1)[0] or "/"
        if host in self.host_redirects:
            location = _origin(self.scheme, self.host_redirects[host], self.port) + target
            return SiteResponse(
                301, (("Location", location), ("Content-Type", "text/html; charset=utf-8")), b""
            )
        response = self.responses.get((host, path))
        if response is not None:
            return response
        return self.not_found.get(host)

    def dns_zone(self, ip: str = "127.0.0.1") -> dict[str, dict[str, list[str]]]:
        """Records by name (no trailing dot) and type, values in zone-file presentation format; A records get `ip`."""
        return {
            name: {
                rtype: [ip if value == "{ip}" else value for value in values]
                for rtype, values in rrsets.items()
            }
            for name, rrsets in self.zone_template.items()
        }


def _origin(scheme: str, host: str, port: int) -> str:
    default = (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    return f"{scheme}://{host}" if default else f"{scheme}://{host}:{port}"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _token(seed: int, name: str, length: int = 24) -> str:
    return hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()[:length]


def _slug(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in text.lower())
    return "-".join(part for part in out.split("-") if part)


def _txt(value: str) -> str:
    """TXT rdata in presentation format: quoted 255-character strings."""
    chunks = [value[i : i + 255] for i in range(0, len(value), 255)] or [""]
    return " ".join('"' + chunk.replace("\\", "\\\\").replace('"', '\\"') + '"' for chunk in chunks)


# ---------------------------------------------------------------------------------------------------------------
# The company's fixed facts.

FOUNDING_DATE = "2017-03-14"
ADDRESS = {
    "streetAddress": "410 Halyard Street, Suite 1200",
    "addressLocality": "Portland",
    "addressRegion": "OR",
    "postalCode": "97209",
    "addressCountry": "US",
}
OFFICES = ["Portland, OR (headquarters)", "London, UK", "Toronto, Canada"]
EMPLOYEES = 240
PHONE = "+1-503-555-0148"
SOCIAL_PROFILES = [
    "https://www.linkedin.com/company/northwind-ledger",
    "https://x.com/northwindledger",
    "https://github.com/northwind-ledger",
    "https://www.youtube.com/@northwindledger",
    "https://www.crunchbase.com/organization/northwind-ledger",
]

LEADERS = [
    ("Maren Castellanos", "Co-founder & Chief Executive Officer"),
    ("Tobias Lindqvist", "Co-founder & Chief Technology Officer"),
    ("Priya Raghunathan", "Chief Financial Officer"),
    ("Desmond Achterberg", "VP Engineering"),
    ("Ines Oyelaran", "Chief Information Security Officer"),
    ("Callum Whitford", "VP Sales"),
    ("Yuki Hanazawa", "Chief Customer Officer"),
]

# (title, function, department, location, stack named in the post)
ROLES = [
    (
        "Senior Backend Engineer, Ledger Core",
        "engineering",
        "Engineering",
        "Remote (US)",
        ["Python", "PostgreSQL", "Kafka"],
    ),
    (
        "Staff Platform Engineer",
        "engineering",
        "Engineering",
        "London, UK",
        ["Kubernetes", "Terraform", "AWS"],
    ),
    (
        "Site Reliability Engineer",
        "engineering",
        "Engineering",
        "Toronto, Canada",
        ["Kubernetes", "Prometheus"],
    ),
    (
        "Frontend Engineer, Close Workspace",
        "engineering",
        "Engineering",
        "Remote (EU)",
        ["TypeScript", "React", "Next.js"],
    ),
    ("Data Engineer", "data & ML", "Data", "Portland, OR", ["Python", "dbt", "Snowflake"]),
    ("Security Engineer, Detection & Response", "security", "Security", "Remote (US)", ["AWS", "Go"]),
    ("Senior Product Manager, Payments", "product", "Product", "Portland, OR", []),
    ("Product Designer", "design", "Design", "London, UK", []),
    ("Account Executive, Mid-Market", "sales", "Sales", "New York, NY", []),
    ("Sales Development Representative", "sales", "Sales", "Toronto, Canada", []),
    ("Product Marketing Manager", "marketing", "Marketing", "Remote (US)", []),
    ("Customer Success Manager, EMEA", "customer success & support", "Customer Success", "London, UK", []),
    ("Revenue Accountant", "G&A", "Finance", "Portland, OR", []),
]

# (name, USD per seat per month billed annually, billed monthly; None = contact sales, summary)
PLANS: list[tuple[str, int | None, int | None, str]] = [
    ("Starter", 0, 0, "Free for up to 3 seats. Bill capture, approvals and one bank feed."),
    ("Team", 29, 35, "Per seat per month. Unlimited bank feeds, vendor portal, two-way sync with your ERP."),
    ("Business", 59, 69, "Per seat per month. Multi-entity close, audit trail exports, SAML single sign-on."),
    (
        "Enterprise",
        None,
        None,
        "Custom pricing. Dedicated success manager, 99.9% uptime SLA, HIPAA BAA, data residency.",
    ),
]
TRIAL_DAYS = 14
UPTIME_SLA = "99.9%"

SUBPROCESSORS = [
    ("Amazon Web Services", "Cloud hosting and storage", "United States, Ireland"),
    ("Cloudflare", "Content delivery for documentation", "Global"),
    ("Google Workspace", "Corporate e-mail and documents", "United States"),
    ("Twilio SendGrid", "Transactional e-mail", "United States"),
    ("Intercom", "In-app support conversations", "United States"),
    ("Segment", "Product analytics pipeline", "United States"),
    ("Functional Software (Sentry)", "Error monitoring", "United States"),
    ("Stripe", "Subscription billing", "United States"),
    ("HubSpot", "Marketing automation and CRM", "United States, Germany"),
    ("Snowflake", "Analytics warehouse", "United States"),
]

STATUS_COMPONENTS = [
    "Web application",
    "Public API",
    "Bank feeds",
    "Payments and payouts",
    "Webhooks",
    "E-mail delivery",
]
# (days before as_of, title, impact, minutes to resolve)
INCIDENTS = [
    (12, "Delayed bank feed imports for two European banks", "minor", 95),
    (47, "Elevated API error rates in us-east-1", "major", 38),
    (96, "Webhook deliveries queued behind a slow consumer", "minor", 140),
    (161, "Intermittent sign-in failures for SAML users", "major", 52),
]
UPTIME_CLAIM = "99.98%"

LOCALES = {
    "de": (
        "Northwind Ledger – Kreditorenbuchhaltung ohne Tabellen",
        "Rechnungen erfassen, freigeben und bezahlen: "
        "Northwind Ledger verbindet Ihre Bankkonten mit Ihrem Hauptbuch und schliesst den Monat schneller ab.",
    ),
    "fr": (
        "Northwind Ledger – la comptabilité fournisseurs sans tableurs",
        "Saisissez, validez et payez vos factures : "
        "Northwind Ledger relie vos comptes bancaires à votre grand livre et accélère la clôture mensuelle.",
    ),
    "ja": (
        "Northwind Ledger – 表計算に頼らない買掛金管理",
        "請求書の取り込みから承認、支払いまでを一つの流れに。"
        "Northwind Ledger は銀行口座と総勘定元帳をつなぎ、月次決算を早めます。",
    ),
}

TECH_IDS = {
    "gtm": "GTM-NWL7Q2K",
    "ga4": "G-NWL4X8P2QZ",
    "hubspot_portal": "24681357",
    "intercom_app": "nwl4k2p9",
    "sentry_version": "7.119.0",
    "next_version": "14.2.5",
    "nginx_version": "1.24.0",
    "docusaurus_version": "3.4.0",
    "jquery_version": "3.7.1",
    "angularjs_version": "1.8.2",
    "redoc_version": "2.1.5",
}


# ---------------------------------------------------------------------------------------------------------------
# Generated content: word banks written for this fixture.

BLOG_FORMS = [
    "A field guide to {t}",
    "What we learned automating {t}",
    "{T} without the spreadsheet",
    "Five questions to ask before changing {t}",
    "The hidden cost of manual {t}",
    "Inside the new {t} engine",
    "{T}: a checklist for controllers",
    "Why {t} breaks at fifty employees",
    "Measuring {t} with numbers your auditor trusts",
    "A quiet redesign of {t}",
    "Notes from the close: {t}",
    "How finance teams rethink {t}",
]
AUDIENCES = [
    "",
    " for growing teams",
    " in multi-entity companies",
    " for healthcare groups",
    " for marketplaces",
    " for nonprofits",
    " at scale",
    " in the first year",
]
TOPICS = [
    "month-end close",
    "accounts payable",
    "vendor onboarding",
    "three-way matching",
    "revenue recognition",
    "cash forecasting",
    "expense policy",
    "multi-entity consolidation",
    "audit readiness",
    "approval workflows",
    "bank reconciliation",
    "intercompany transfers",
    "purchase orders",
    "currency revaluation",
    "payment runs",
    "sales tax",
    "accruals",
    "spend controls",
    "ledger hygiene",
    "board reporting",
    "working capital",
    "deferred revenue",
    "procurement",
    "contractor payments",
    "invoice coding",
    "duplicate payment detection",
    "budget variance",
    "fixed asset schedules",
    "prepaid expenses",
    "year-end audit",
]
GUIDE_FORMS = [
    "Configure {t}",
    "Sync {t} with your ERP",
    "Troubleshoot {t}",
    "Automate {t} with rules",
    "Report on {t}",
    "Set permissions for {t}",
    "Import historical data for {t}",
    "Use the API for {t}",
]
SENTENCES = [
    "Most teams we talk to still handle {t} with a shared spreadsheet and a lot of goodwill.",
    "The first step is to write down who approves what, because software cannot guess a policy nobody agreed on.",
    "In {company}, work on {t} happens on the same ledger as everything else, so a change shows up everywhere.",
    "Controllers told us the slowest part of {t} was chasing context, not doing arithmetic.",
    "We measured the median time spent on {t} across {n} customers before and after they switched.",
    "A good rule is boring: it fires every time, it leaves a trail, and a reviewer can read it in one sentence.",
    "Auditors ask the same three things about {t}: who did it, when, and what evidence they looked at.",
    "Finance teams that close in five days usually start {t} on day one instead of waiting for the last invoice.",
    "The audit trail records every edit with the person, the time and the previous value.",
    "Exceptions deserve a human; everything else should move without one.",
    "When two entities share a vendor, {t} needs one source of truth for bank details.",
    "We rebuilt the screen around the questions people actually ask during {t}.",
    "A shorter queue is not the goal; fewer surprises at quarter end is.",
    "Roughly {p} percent of the mismatches we saw came from a missing purchase order number.",
    "Start small: pick one entity, one approval chain and one bank account, and widen from there.",
    "Everything described here is available through the public API as well as in the app.",
    "If your ERP is the system of record, {company} writes back to it instead of keeping a second ledger.",
    "We publish the changes that affect {t} in the changelog, with the date each one shipped.",
]
CUSTOMER_PREFIXES = [
    "Harbor",
    "Juniper",
    "Copperline",
    "Bluefield",
    "Stonebridge",
    "Larkspur",
    "Meridian",
    "Tidewater",
    "Alderglen",
    "Brightwell",
    "Cedarfall",
    "Driftwood",
    "Emberly",
    "Foxhollow",
    "Granite Peak",
    "Hollis",
    "Ironvale",
    "Kestrel",
    "Lumenfield",
    "Marrow & Finch",
    "Northgate",
    "Oakhurst",
    "Pinecrest",
    "Quarry Lane",
    "Redfern",
    "Saltmarsh",
    "Thornbury",
    "Upland",
    "Verity",
    "Westmere",
]
CUSTOMER_KINDS = [
    ("Logistics", "Logistics"),
    ("Health", "Healthcare"),
    ("Foods", "Food & beverage"),
    ("Robotics", "Manufacturing"),
    ("Outfitters", "Retail"),
    ("Clinics", "Healthcare"),
    ("Freight", "Logistics"),
    ("Analytics", "Software"),
    ("Studios", "Media"),
    ("Energy", "Energy"),
    ("Labs", "Life sciences"),
    ("Hospitality", "Hospitality"),
    ("Builders", "Construction"),
    ("Learning", "Education"),
]
INTEGRATION_PREFIXES = [
    "Tallyworks",
    "Quillbooks",
    "Fernpoint",
    "Ledgerly",
    "Corvid",
    "Brightsheet",
    "Paystream",
    "Bankwise",
    "Tessellate",
    "Orbital",
    "Clearwater",
    "Mosaic",
    "Keystone",
    "Halcyon",
    "Nimbus",
    "Sable",
    "Trellis",
    "Wayfare",
    "Zephyr",
    "Yarrow",
    "Lattice",
    "Pilotfish",
    "Gantry",
    "Ravel",
    "Sundial",
]
INTEGRATION_KINDS = [
    ("ERP", "ERP"),
    ("Banking", "Banking"),
    ("Payroll", "Payroll"),
    ("Procure", "Procurement"),
    ("CRM", "CRM"),
    ("Expenses", "Expense management"),
    ("Tax", "Tax"),
    ("Insights", "Business intelligence"),
    ("People", "HRIS"),
    ("Chat", "Communication"),
]
CHANGELOG_FEATURES = [
    "Batch approvals for recurring bills",
    "Vendor portal in French and German",
    "Faster bank feed refresh",
    "Bulk edit for invoice coding",
    "Approval chains by department",
    "Audit trail export to CSV",
    "Duplicate invoice warning",
    "Multi-currency payment runs",
    "Custom fields on purchase orders",
    "Two-way sync for tracking categories",
    "Webhook retries with backoff",
    "SAML just-in-time provisioning",
    "Keyboard shortcuts in the close checklist",
    "Accrual reversal scheduling",
    "Cash forecast by entity",
    "Receipt matching from e-mail",
    "Role-based dashboard templates",
    "Idempotency keys on payment creation",
    "Per-entity approval limits",
    "Spend alerts in chat",
]
CHANGELOG_AREAS = ["Payables", "Close", "API", "Admin", "Payments", "Reporting", "Vendor portal", "Security"]

# The technologies planted on the site: (name, slug, category, version or None).
TECHNOLOGIES = [
    ("Nginx", "nginx", "Web servers", TECH_IDS["nginx_version"]),
    ("Next.js", "next-js", "JavaScript frameworks", TECH_IDS["next_version"]),
    ("React", "react", "JavaScript frameworks", None),
    ("Amazon CloudFront", "amazon-cloudfront", "CDN", None),
    ("Cloudflare", "cloudflare", "CDN", None),
    ("Google Tag Manager", "google-tag-manager", "Tag managers", None),
    ("Google Analytics", "google-analytics", "Analytics", "GA4"),
    ("Segment", "segment", "Customer data platform", None),
    ("HubSpot", "hubspot", "Marketing automation", None),
    ("Intercom", "intercom", "Live chat", None),
    ("Stripe", "stripe", "Payment processors", None),
    ("Sentry", "sentry", "Issue trackers", TECH_IDS["sentry_version"]),
    ("OneTrust", "onetrust", "Cookie compliance", None),
    ("Vanta", "vanta", "Security", None),
    ("reCAPTCHA", "recaptcha", "Security", None),
    ("Docusaurus", "docusaurus", "Documentation", TECH_IDS["docusaurus_version"]),
    ("Redoc", "redoc", "Documentation", TECH_IDS["redoc_version"]),
    ("Atlassian Statuspage", "atlassian-statuspage", "Status pages", None),
    ("jQuery", "jquery", "JavaScript libraries", TECH_IDS["jquery_version"]),
    ("AngularJS", "angularjs", "JavaScript frameworks", TECH_IDS["angularjs_version"]),
    ("HireBoard", "hireboard", "Recruitment & staffing", None),
    ("Google Workspace", "google-workspace", "Email", None),
    ("Amazon Route 53", "amazon-route-53", "DNS", None),
    ("Amazon Web Services", "amazon-web-services", "PaaS", None),
    ("SendGrid", "sendgrid", "Email", None),
]
# Planted versions past their upstream end of life by SITE_DATE (endoflife.date): slug -> the day support ended.
END_OF_LIFE = {"angularjs": "2021-12-31", "nginx": "2024-04-23"}


# ---------------------------------------------------------------------------------------------------------------
# The builder.

FIXED_PAGES = 33 + len(ROLES)
SCALED_WEIGHTS = {"blog": 35, "guides": 25, "changelog": 15, "integrations": 15, "case_studies": 10}


def _scaled_counts(pages: int) -> dict[str, int]:
    total = max(pages - FIXED_PAGES, MIN_SCALED_PAGES)
    counts = dict.fromkeys(SCALED_WEIGHTS, 2)
    extra = total - 2 * len(SCALED_WEIGHTS)
    for name, weight in SCALED_WEIGHTS.items():
        counts[name] += extra * weight // 100
    counts["blog"] += total - sum(counts.values())
    return counts


def _combinations(rng: random.Random, n: int, *banks: Sequence[str]) -> list[tuple[str, ...]]:
    """n distinct picks from the product of banks (a numeric suffix on the last part once exhausted)."""
    size = 1
    for bank in banks:
        size *= len(bank)
    picks: list[tuple[str, ...]] = []
    for round_no in range((n + size - 1) // size):
        for index in rng.sample(range(size), min(size, n - len(picks))):
            parts = []
            for bank in reversed(banks):
                index, digit = divmod(index, len(bank))
                parts.append(bank[digit])
            combo = tuple(reversed(parts))
            if round_no:
                combo = (*combo[:-1], f"{combo[-1]} {round_no + 1}")
            picks.append(combo)
    return picks


def _title(form: str, topic: str) -> str:
    return form.format(t=topic, T=topic[:1].upper() + topic[1:])


def _tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 2, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x1f\x3a\x5c\x2e\x8b\x57")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@lru_cache(maxsize=1)
def _gzip_bomb() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [compressor.compress(b"<!DOCTYPE html><html><head><title>Archive</title></head><body>")]
    block = b" " * (1 << 20)
    parts.extend(compressor.compress(block) for _ in range(GZIP_BOMB_INFLATED_BYTES >> 20))
    parts.append(compressor.flush())
    return b"".join(parts)


class _Builder:
    def __init__(
        self, domain: str, port: int, scheme: str, pages: int, include_hostile: bool, seed: int, as_of: date
    ) -> None:
        self.domain, self.port, self.scheme, self.seed, self.as_of = domain, port, scheme, seed, as_of
        self.include_hostile = include_hostile
        self.rng = random.Random(seed)
        self.hosts = {"apex": domain, **{label: f"{label}.{domain}" for label in SUBDOMAIN_LABELS}}
        self.hosts["jobs"] = JOB_BOARD_HOST
        self.responses: dict[tuple[str, str], SiteResponse] = {}
        self.pages: dict[str, list[str]] = {name: [] for name in PAGE_CLASSES}
        self.lastmod: dict[str, str] = {}
        self.documents: dict[str, str] = {}
        self.signals: dict[str, list[dict[str, str]]] = {slug: [] for _, slug, _, _ in TECHNOLOGIES}
        self.claims: list[dict[str, str]] = []
        self.nonce = _token(seed, "nonce", 22)
        self.not_found: dict[str, SiteResponse] = {}
        self.hostile: dict[str, Any] = {}
        self.counts = _scaled_counts(pages)
        self._content()

    # -- plumbing ------------------------------------------------------------------------------------------------

    def url(self, label: str, path: str = "/") -> str:
        return _origin(self.scheme, self.hosts[label], self.port) + path

    def add(
        self,
        label: str,
        path: str,
        body: bytes,
        content_type: str,
        *,
        status: int = 200,
        extra: Iterable[tuple[str, str]] = (),
        behaviour: str | None = None,
        html_page: bool = False,
    ) -> SiteResponse:
        headers = [*self.host_headers(label, html_page), ("Content-Type", content_type), *extra]
        if status == 200 and behaviour is None:
            headers.append(("ETag", '"' + hashlib.sha1(body).hexdigest()[:20] + '"'))
        response = SiteResponse(status, tuple(headers), body, behaviour)
        self.responses[(self.hosts[label], path)] = response
        return response

    def page(
        self, label: str, path: str, cls: str | None, document: str, lastmod: date | None = None
    ) -> None:
        self.add(label, path, document.encode(), "text/html; charset=utf-8", html_page=True)
        if cls is not None:
            url = self.url(label, path)
            self.pages[cls].append(url)
            self.lastmod[url] = (lastmod or self.as_of - timedelta(days=30)).isoformat()

    def document(self, kind: str, label: str, path: str, body: bytes, content_type: str) -> None:
        self.add(label, path, body, content_type)
        self.documents[kind] = self.url(label, path)

    def signal(self, slug: str, kind: str, value: str, where: str) -> None:
        entry = {"type": kind, "value": value, "where": where}
        if entry not in self.signals[slug]:
            self.signals[slug].append(entry)

    def claim(self, framework: str, sentence: str, label: str, path: str, source: str) -> str:
        self.claims.append(
            {"framework": framework, "sentence": sentence, "url": self.url(label, path), "source": source}
        )
        return sentence

    # -- headers -------------------------------------------------------------------------------------------------

    def cookies(self) -> list[dict[str, Any]]:
        """Set-Cookie values per host label with their flags."""
        session, csrf = _token(self.seed, "session", 32), _token(self.seed, "csrf", 32)
        return [
            {
                "host": "www",
                "name": "nwl_session",
                "value": f"nwl_session={session}; Path=/; Secure; HttpOnly; SameSite=Lax",
                "secure": True,
                "httponly": True,
                "samesite": "Lax",
            },
            {
                "host": "www",
                "name": "nwl_csrf",
                "value": f"nwl_csrf={csrf}; Path=/; Secure; SameSite=Strict",
                "secure": True,
                "httponly": False,
                "samesite": "Strict",
            },
            {
                "host": "docs",
                "name": "__cf_bm",
                "value": f"__cf_bm={_token(self.seed, 'cfbm', 40)}; path=/; expires=Fri, 01-Jan-2038 00:00:00 GMT; "
                f"domain=.{self.domain}; HttpOnly; Secure; SameSite=None",
                "secure": True,
                "httponly": True,
                "samesite": "None",
            },
            {
                "host": "docs",
                "name": "docs_visitor",
                "value": f"docs_visitor={_token(self.seed, 'visitor', 16)}; Path=/",
                "secure": False,
                "httponly": False,
                "samesite": None,
            },
            {
                "host": "jobs",
                "name": "_hireboard_session",
                "value": f"_hireboard_session={_token(self.seed, 'hb', 32)}; path=/; HttpOnly",
                "secure": False,
                "httponly": True,
                "samesite": None,
            },
        ]

    def base_headers(self) -> dict[str, list[tuple[str, str]]]:
        csp = "; ".join(
            [
                "default-src 'self'",
                f"script-src 'self' 'nonce-{self.nonce}' https://www.googletagmanager.com https://cdn.segment.com "
                "https://js.hs-scripts.com https://widget.intercom.io https://js.stripe.com "
                "https://browser.sentry-cdn.com https://cdn.cookielaw.org https://www.google.com https://www.gstatic.com",
                "style-src 'self' 'unsafe-inline'",
                "img-src 'self' data: https:",
                "connect-src 'self' https://*.segment.io https://*.intercom.io https://*.ingest.sentry.io",
                "frame-src https://js.stripe.com https://www.google.com https://www.googletagmanager.com",
                "object-src 'none'",
                "base-uri 'self'",
                "frame-ancestors 'none'",
            ]
        )
        nginx = f"nginx/{TECH_IDS['nginx_version']}"
        return {
            "www": [
                ("Server", nginx),
                ("X-Powered-By", "Next.js"),
                ("Cache-Control", "public, max-age=0, must-revalidate"),
                ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
                ("Content-Security-Policy", csp),
                ("X-Frame-Options", "DENY"),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "strict-origin-when-cross-origin"),
                (
                    "Permissions-Policy",
                    'camera=(), microphone=(), geolocation=(), payment=(self "https://js.stripe.com")',
                ),
                ("Cross-Origin-Opener-Policy", "same-origin"),
                ("Via", "1.1 7f3c9a2e5b41d08c.cloudfront.net (CloudFront)"),
                ("X-Cache", "Hit from cloudfront"),
                ("X-Amz-Cf-Pop", "SEA19-C1"),
                ("X-Amz-Cf-Id", _token(self.seed, "cfid", 40)),
            ],
            "docs": [
                ("Server", "cloudflare"),
                ("CF-RAY", _token(self.seed, "ray", 16) + "-SEA"),
                ("CF-Cache-Status", "HIT"),
                ("Cache-Control", "public, max-age=600"),
                ("X-Frame-Options", "SAMEORIGIN"),
                ("Referrer-Policy", "no-referrer-when-downgrade"),
                ("X-XSS-Protection", "1; mode=block"),
            ],
            "status": [
                ("Server", "nginx"),
                ("Cache-Control", "max-age=0, private, must-revalidate"),
                ("Strict-Transport-Security", "max-age=259200"),
                ("X-Frame-Options", "SAMEORIGIN"),
                ("X-Content-Type-Options", "nosniff"),
            ],
            "trust": [
                ("Server", "nginx"),
                ("Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload"),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "same-origin"),
                ("Content-Security-Policy", "frame-ancestors 'self'"),
            ],
            "api": [
                ("Server", nginx),
                ("Strict-Transport-Security", "max-age=31536000"),
                ("X-Content-Type-Options", "nosniff"),
                ("Access-Control-Allow-Origin", "*"),
            ],
            "mta-sts": [("Server", nginx), ("Strict-Transport-Security", "max-age=31536000")],
            "jobs": [
                ("Server", "nginx"),
                ("X-Frame-Options", "SAMEORIGIN"),
                ("X-Content-Type-Options", "nosniff"),
            ],
            "apex": [("Server", nginx)],
        }

    def host_headers(self, label: str, html_page: bool) -> list[tuple[str, str]]:
        headers = list(self._base[label])
        if html_page:
            headers += [("Set-Cookie", c["value"]) for c in self._cookies if c["host"] == label]
        return headers

    # -- content plans -------------------------------------------------------------------------------------------

    def _content(self) -> None:
        rng = self.rng
        self._base = self.base_headers()
        self._cookies = self.cookies()
        self.blog: list[dict[str, Any]] = []
        for i, (form, topic, audience) in enumerate(
            _combinations(rng, self.counts["blog"], BLOG_FORMS, TOPICS, AUDIENCES)
        ):
            title = _title(form, topic) + audience
            day = self.as_of - timedelta(days=2 + i * 6 + rng.randrange(3))
            self.blog.append(
                {
                    "title": title,
                    "topic": topic,
                    "slug": _slug(title),
                    "date": day,
                    "author": LEADERS[rng.randrange(len(LEADERS))][0],
                }
            )
        self.guides: list[dict[str, Any]] = []
        for form, topic in _combinations(rng, self.counts["guides"], GUIDE_FORMS, TOPICS):
            title = _title(form, topic)
            self.guides.append({"title": title, "topic": topic, "slug": _slug(title)})
        self.changelog: list[dict[str, Any]] = []
        day = self.as_of - timedelta(days=3)
        for feature, area in _combinations(
            rng, self.counts["changelog"], CHANGELOG_FEATURES, CHANGELOG_AREAS
        ):
            title = f"{area}: {feature[:1].lower()}{feature[1:]}"
            self.changelog.append(
                {"title": title, "area": area, "date": day, "slug": f"{day.isoformat()}-{_slug(title)}"}
            )
            day -= timedelta(days=4 + rng.randrange(10))
        self._plan_integrations_and_customers()

    def _plan_integrations_and_customers(self) -> None:
        rng = self.rng
        self.integrations: list[dict[str, Any]] = []
        kinds = [f"{noun}|{category}" for noun, category in INTEGRATION_KINDS]
        for prefix, kind in _combinations(rng, self.counts["integrations"], INTEGRATION_PREFIXES, kinds):
            noun, category = kind.split("|")
            name = f"{prefix} {noun}"
            self.integrations.append({"name": name, "category": category, "slug": _slug(name)})
        self.customers: list[dict[str, Any]] = []
        kinds = [f"{suffix}|{industry}" for suffix, industry in CUSTOMER_KINDS]
        logo_only = 8
        picks = _combinations(rng, self.counts["case_studies"] + logo_only, CUSTOMER_PREFIXES, kinds)
        for i, (prefix, kind) in enumerate(picks):
            suffix, industry = kind.split("|")
            name = f"{prefix} {suffix}"
            self.customers.append(
                {"name": name, "industry": industry, "slug": _slug(name), "case_study": i >= logo_only}
            )

    # -- layouts -------------------------------------------------------------------------------------------------

    def prose(self, key: str, topic: str, paragraphs: int = 4) -> str:
        rng = random.Random(f"{self.seed}:{key}")
        out = []
        for _ in range(paragraphs):
            picked = rng.sample(SENTENCES, 4)
            text = " ".join(
                s.format(t=topic, company=COMPANY, n=rng.randrange(12, 480), p=rng.randrange(8, 61))
                for s in picked
            )
            out.append(f"<p>{_esc(text)}</p>")
        return "\n".join(out)

    def organization_jsonld(self) -> str:
        data = {
            "@context": "https://schema.org",
            "@type": "Organization",
            "name": COMPANY,
            "legalName": LEGAL_NAME,
            "url": self.url("www"),
            "logo": self.url("www", "/brand/logo.svg"),
            "foundingDate": FOUNDING_DATE,
            "founders": [{"@type": "Person", "name": name} for name, _ in LEADERS[:2]],
            "numberOfEmployees": {"@type": "QuantitativeValue", "value": EMPLOYEES},
            "address": {"@type": "PostalAddress", **ADDRESS},
            "contactPoint": {
                "@type": "ContactPoint",
                "contactType": "sales",
                "telephone": PHONE,
                "email": f"sales@{self.domain}",
            },
            "sameAs": SOCIAL_PROFILES,
        }
        return json.dumps(data, indent=1).replace("</", "<\\/")

    def www_scripts_head(self, where: str) -> str:
        n = self.nonce
        gtm, ga4 = TECH_IDS["gtm"], TECH_IDS["ga4"]
        segment_key = _token(self.seed, "segment", 32)
        sentry = TECH_IDS["sentry_version"]
        onetrust = "0190a6e2-4c1d-7b3e-9f58-" + _token(self.seed, "onetrust", 12)
        sri = "sha384-" + base64.b64encode(hashlib.sha384(f"sentry-{sentry}".encode()).digest()).decode()
        self.signal("onetrust", "scriptSrc", "https://cdn.cookielaw.org/scripttemplates/otSDKStub.js", where)
        self.signal(
            "google-tag-manager", "scriptSrc", f"https://www.googletagmanager.com/gtm.js?id={gtm}", where
        )
        self.signal(
            "google-analytics", "scriptSrc", f"https://www.googletagmanager.com/gtag/js?id={ga4}", where
        )
        self.signal(
            "segment",
            "scriptSrc",
            f"https://cdn.segment.com/analytics.js/v1/{segment_key}/analytics.min.js",
            where,
        )
        self.signal(
            "sentry", "scriptSrc", f"https://browser.sentry-cdn.com/{sentry}/bundle.tracing.min.js", where
        )
        return f"""<script src="https://cdn.cookielaw.org/scripttemplates/otSDKStub.js" data-domain-script="{onetrust}" charset="UTF-8" nonce="{n}"></script>
<script nonce="{n}">function OptanonWrapper() {{ window.dataLayer.push({{event: "OneTrustGroupsUpdated"}}); }}</script>
<script nonce="{n}">window.dataLayer = window.dataLayer || []; window.dataLayer.push({{"gtm.start": new Date().getTime(), event: "gtm.js"}});</script>
<script async src="https://www.googletagmanager.com/gtm.js?id={gtm}" nonce="{n}"></script>
<script async src="https://www.googletagmanager.com/gtag/js?id={ga4}" nonce="{n}"></script>
<script nonce="{n}">function gtag(){{dataLayer.push(arguments);}} gtag("js", new Date()); gtag("config", "{ga4}");</script>
<script async src="https://cdn.segment.com/analytics.js/v1/{segment_key}/analytics.min.js" nonce="{n}"></script>
<script src="https://browser.sentry-cdn.com/{sentry}/bundle.tracing.min.js" integrity="{sri}" crossorigin="anonymous" nonce="{n}"></script>
<script nonce="{n}">Sentry.init({{dsn: "https://{_token(self.seed, "dsn", 32)}@o450517.ingest.sentry.io/4505117", tracesSampleRate: 0.1}});</script>"""

    def www_scripts_body(self, where: str, page_id: str) -> str:
        n = self.nonce
        build = "nwl-" + _token(self.seed, "build", 12)
        chunks = self.next_chunks()
        portal, app = TECH_IDS["hubspot_portal"], TECH_IDS["intercom_app"]
        self.signal("next-js", "html", '<script id="__NEXT_DATA__"', where)
        self.signal("next-js", "scriptSrc", "/_next/static/chunks/", where)
        self.signal("react", "html", '<div id="__next">', where)
        self.signal("intercom", "scriptSrc", f"https://widget.intercom.io/widget/{app}", where)
        self.signal("hubspot", "scriptSrc", f"https://js.hs-scripts.com/{portal}.js", where)
        next_data = json.dumps(
            {
                "props": {"pageProps": {}},
                "page": page_id,
                "query": {},
                "buildId": build,
                "nextExport": False,
                "isFallback": False,
                "gssp": False,
            }
        )
        scripts = "\n".join(f'<script src="{path}" defer nonce="{n}"></script>' for path in chunks)
        return f"""<script id="__NEXT_DATA__" type="application/json">{next_data}</script>
{scripts}
<script nonce="{n}">window.intercomSettings = {{api_base: "https://api-iam.intercom.io", app_id: "{app}"}};</script>
<script async src="https://widget.intercom.io/widget/{app}" nonce="{n}"></script>
<script type="text/javascript" id="hs-script-loader" async defer src="https://js.hs-scripts.com/{portal}.js" nonce="{n}"></script>
<noscript><iframe src="https://www.googletagmanager.com/ns.html?id={TECH_IDS["gtm"]}" height="0" width="0" style="display:none;visibility:hidden"></iframe></noscript>"""

    def next_chunks(self) -> list[str]:
        build = "nwl-" + _token(self.seed, "build", 12)
        names = ["webpack", "framework", "main", "pages/_app"]
        paths = [f"/_next/static/chunks/{name}-{_token(self.seed, name, 16)}.js" for name in names]
        return [*paths, f"/_next/static/{build}/_buildManifest.js"]

    def www_nav(self) -> str:
        items = [
            ("/", "Product"),
            ("/pricing", "Pricing"),
            ("/customers", "Customers"),
            ("/integrations", "Integrations"),
            (self.url("docs"), "Docs"),
            ("/blog", "Blog"),
            ("/careers", "Careers"),
            ("/about", "About"),
        ]
        links = "".join(f'<li><a href="{href}">{_esc(text)}</a></li>' for href, text in items)
        return (
            '<header class="site-header"><a class="brand" href="/"><img src="/brand/logo.svg" alt="Northwind Ledger" '
            f'width="148" height="32"></a><nav aria-label="Main"><ul>{links}</ul></nav>'
            '<a class="button secondary" href="/contact">Talk to sales</a> <a class="button" href="/signup">Start free</a>'
            "</header>"
        )

    def footer(self) -> str:
        columns = {
            "Company": [
                ("/about", "About"),
                ("/careers", "Careers"),
                ("/customers", "Customers"),
                ("/blog", "Blog"),
                ("/contact", "Contact"),
                (DISALLOWED_PAGE, "Partner portal"),
            ],
            "Product": [
                ("/pricing", "Pricing"),
                ("/integrations", "Integrations"),
                ("/changelog", "Changelog"),
                ("/developers", "Developers"),
                (self.url("docs", "/api-reference"), "API reference"),
                (self.url("status"), "System status"),
            ],
            "Trust": [
                ("/security", "Security"),
                (self.url("trust"), "Trust Center"),
                ("/security/disclosure", "Responsible disclosure"),
                ("/privacy", "Privacy policy"),
                ("/terms", "Terms of service"),
                ("/legal", "Legal"),
                ("/legal/dpa", "DPA"),
                ("/legal/subprocessors", "Subprocessors"),
                ("/cookie-policy", "Cookie policy"),
            ],
        }
        parts = []
        for heading, links in columns.items():
            items = "".join(
                f'<li><a href="{self.url("www", href) if href.startswith("/") else href}">{_esc(text)}</a></li>'
                for href, text in links
            )
            parts.append(f'<div class="footer-column"><h4>{heading}</h4><ul>{items}</ul></div>')
        social = "".join(
            f'<a href="{url}" rel="me noopener">{_esc(url.split("/")[2].removeprefix("www."))}</a> '
            for url in SOCIAL_PROFILES
        )
        return (
            f'<footer class="site-footer">{"".join(parts)}<div class="social">{social}</div>'
            f"<p>&copy; {self.as_of.year} {_esc(LEGAL_NAME)} All rights reserved. "
            f"{_esc(ADDRESS['streetAddress'])}, {ADDRESS['addressLocality']}, {ADDRESS['addressRegion']} "
            f"{ADDRESS['postalCode']}.</p></footer>"
        )

    def www_page(
        self,
        path: str,
        title: str,
        description: str,
        main: str,
        *,
        cls: str | None,
        head: str = "",
        lang: str = "en",
        hreflang: bool = False,
        lastmod: date | None = None,
        robots: str | None = None,
    ) -> None:
        url = self.url("www", path)
        where = "www:*"  # layout signals: on every marketing page
        alternates = ""
        if hreflang:
            links = [("en", "/"), *((code, f"/{code}/") for code in LOCALES), ("x-default", "/")]
            alternates = "\n".join(
                f'<link rel="alternate" hreflang="{code}" href="{self.url("www", href)}">'
                for code, href in links
            )
        meta_robots = f'<meta name="robots" content="{robots}">\n' if robots else ""
        document = f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(title)}</title>
<meta name="description" content="{_esc(description)}">
{meta_robots}<link rel="canonical" href="{url}">
<meta property="og:site_name" content="{COMPANY}">
<meta property="og:type" content="website">
<meta property="og:title" content="{_esc(title)}">
<meta property="og:description" content="{_esc(description)}">
<meta property="og:url" content="{url}">
<meta property="og:image" content="{self.url("www", "/brand/og-card.png")}">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:site" content="@northwindledger">
{alternates}
<link rel="icon" href="/brand/logo.svg" type="image/svg+xml">
<link rel="stylesheet" href="/_next/static/css/{_token(self.seed, "css", 16)}.css">
{self.www_scripts_head(where)}
{head}
<script type="application/ld+json">{self.organization_jsonld()}</script>
</head>
<body>
<div id="__next">
{self.www_nav()}
<main id="content">
{main}
</main>
{self.footer()}
</div>
{self.www_scripts_body(where, path)}
</body>
</html>
"""
        self.page("www", path, cls, document, lastmod)

    def simple_page(
        self,
        label: str,
        path: str,
        title: str,
        main: str,
        *,
        cls: str | None,
        head: str = "",
        nav: str = "",
        lastmod: date | None = None,
    ) -> None:
        """A page on a non-marketing host: its own header, a footer linking back to the main site."""
        www = self.url("www")
        document = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_esc(title)}</title>
<link rel="canonical" href="{self.url(label, path)}">
<meta property="og:site_name" content="{COMPANY}">
<meta property="og:title" content="{_esc(title)}">
{head}
</head>
<body>
<header class="host-header"><a href="{www}">{COMPANY}</a>{nav}</header>
<main>
{main}
</main>
<footer class="host-footer"><a href="{www}privacy">Privacy</a> <a href="{www}terms">Terms</a>
<a href="{www}security">Security</a> <a href="{self.url("status")}">Status</a>
<p>&copy; {self.as_of.year} {_esc(LEGAL_NAME)}</p></footer>
</body>
</html>
"""
        self.page(label, path, cls, document, lastmod)

    # -- the marketing site ----------------------------------------------------------------------------------------

    def build_www(self) -> None:
        self.home()
        self.pricing()
        self.security_pages()
        self.company_pages()
        self.legal_pages()
        self.directory_pages()
        self.locale_pages()
        self.www_documents()
        self.www_page(
            DISALLOWED_PAGE,
            "Partner portal | Northwind Ledger",
            "Sign-in for reseller and referral partners.",
            "<h1>Partner portal</h1><p>Partners sign in here to register deals and download co-marketing kits. "
            "Access is limited to approved partner accounts.</p>",
            cls=None,
            robots="noindex, nofollow",
        )

    def home(self) -> None:
        logos = "".join(
            f'<li><img src="/logos/customers/{c["slug"]}.svg" alt="{_esc(c["name"])} logo" width="120" height="40"></li>'
            for c in self.customers[:8]
        )
        featured = next(c for c in self.customers if c["case_study"])
        quote = (
            "We used to spend the first week of every month reconciling vendor statements. Now the close starts "
            "on day one and our auditors get the trail without asking."
        )
        claim = self.claim(
            "SOC 2 Type II",
            "SOC 2 Type II audited and ISO 27001 certified, with customer data hosted in the United States or the "
            "European Union.",
            "www",
            "/",
            "marketing",
        )
        self.claims.append({**self.claims[-1], "framework": "ISO/IEC 27001"})
        labs = ""
        if self.include_hostile:
            labs = '<section class="labs"><p>Curious what we are testing? <a href="/labs">Visit Northwind Labs</a>.</p></section>'
        main = f"""<section class="hero">
<h1>Payables and close, on one ledger.</h1>
<p>{COMPANY} captures every bill, routes it for approval, pays vendors in 40 currencies and posts the result to
your general ledger, so finance teams close the month in days instead of weeks.</p>
<p><a class="button" href="/signup">Start free</a> <a class="button secondary" href="/contact">Book a demo</a></p>
</section>
<section class="customer-logos" aria-label="Trusted by">
<h2>Trusted by finance teams at more than 1,900 companies</h2>
<ul>{logos}</ul>
<p><a href="/customers">Read customer stories</a></p>
</section>
<section class="features">
<div><h3>Capture</h3><p>Forward invoices by e-mail or let vendors upload them; line items are read and coded for you.</p></div>
<div><h3>Approve</h3><p>Approval chains follow your policy by amount, department and entity, with a full audit trail.</p></div>
<div><h3>Pay</h3><p>Batch payment runs by ACH, wire or card, with vendor bank details verified before money moves.</p></div>
<div><h3>Close</h3><p>A shared checklist, automatic accruals and reconciliations that sync back to your ERP.</p></div>
</section>
<section class="testimonial"><blockquote><p>{_esc(quote)}</p>
<footer>Controller, <a href="/customers/{featured["slug"]}">{_esc(featured["name"])}</a></footer></blockquote></section>
<section class="security-callout"><p>{_esc(claim)}</p><p><a href="/security">How we protect your data</a></p></section>
<section class="developers"><p>Build on the same platform: <a href="/developers">a REST API, webhooks and SDKs</a>.</p></section>
{labs}"""
        self.www_page(
            "/",
            f"{COMPANY} | Accounts payable and close automation",
            f"{COMPANY} automates accounts payable, vendor payments and the month-end close for growing finance teams.",
            main,
            cls="other",
            hreflang=True,
            lastmod=self.as_of - timedelta(days=1),
        )

    def pricing(self) -> None:
        rows = []
        for name, annual, monthly, summary in PLANS:
            if annual is None:
                price, cta = (
                    '<p class="price">Custom</p>',
                    '<a class="button" href="/contact">Contact sales</a>',
                )
            elif annual == 0:
                price, cta = '<p class="price">$0</p>', '<a class="button" href="/signup">Start free</a>'
            else:
                price = (
                    f'<p class="price">${annual} <span>per seat / month, billed annually</span></p>'
                    f'<p class="price-monthly">${monthly} per seat / month, billed monthly</p>'
                )
                cta = '<a class="button" href="/signup">Start free trial</a>'
            rows.append(
                f'<div class="plan" data-plan="{name.lower()}"><h2>{name}</h2>{price}<p>{_esc(summary)}</p>{cta}</div>'
            )
        self.signal("stripe", "scriptSrc", "https://js.stripe.com/v3/", "www:/pricing")
        self.signal("stripe", "scriptSrc", "https://js.stripe.com/v3/", "www:/signup")
        main = f"""<h1>Pricing that grows with your finance team</h1>
<p>Start free, pay per seat as you grow, and talk to us when you need enterprise controls.
Save up to 17% with annual billing.</p>
<div class="plans">{"".join(rows)}</div>
<section class="faq">
<h2>Questions</h2>
<h3>Is there a free trial?</h3><p>Yes. Every paid plan starts with a {TRIAL_DAYS}-day free trial of Business, no card required.</p>
<h3>Which currencies do you bill in?</h3><p>All prices are in US dollars (USD) and exclude applicable taxes.</p>
<h3>Do you offer an SLA?</h3><p>Enterprise plans include a {UPTIME_SLA} uptime SLA with service credits; see our
<a href="{self.url("status")}">status page</a> for live availability.</p>
<h3>Who counts as a seat?</h3><p>Anyone who approves, codes or pays bills. Vendors and auditors are free.</p>
</section>"""
        head = f'<script src="https://js.stripe.com/v3/" nonce="{self.nonce}"></script>'
        self.www_page(
            "/pricing",
            f"Pricing | {COMPANY}",
            "Plans and prices for Northwind Ledger: Starter, Team, Business and Enterprise.",
            main,
            cls="pricing",
            head=head,
            lastmod=self.as_of - timedelta(days=9),
        )
        # The sign-up form is still the old AngularJS app, vendored on the marketing site (an end-of-life plant).
        angular = f"/vendor/angularjs/{TECH_IDS['angularjs_version']}/angular.min.js"
        self.add("www", angular, b"/* AngularJS (vendored) */\n", "application/javascript")
        self.signal("angularjs", "scriptSrc", angular, "www:/signup")
        self.signal("angularjs", "html", '<form ng-app="signup"', "www:/signup")
        self.www_page(
            "/signup",
            f"Create your account | {COMPANY}",
            "Start with the free Starter plan.",
            '<h1>Create your account</h1><form ng-app="signup" method="post" action="/signup"><label>Work e-mail '
            '<input type="email" name="email" required></label><label>Company <input name="company"></label>'
            "<button>Start free</button></form><p>Already have an account? Sign in from the app.</p>",
            cls="other",
            head=f'<script src="https://js.stripe.com/v3/" nonce="{self.nonce}"></script>\n'
            f'<script src="{angular}" nonce="{self.nonce}"></script>',
        )

    def vanta_badge(self, where: str) -> str:
        self.signal("vanta", "html", "https://app.vanta.com/northwind-ledger/trust", where)
        return (
            '<a class="vanta-trust-badge" href="https://app.vanta.com/northwind-ledger/trust/6q2k9d1x0v" '
            'rel="noopener"><img src="https://static.vanta.com/badges/soc2-type2.svg" '
            'alt="SOC 2 Type II compliance verified by Vanta" width="96" height="96"></a>'
        )

    def security_pages(self) -> None:
        soc2 = self.claim(
            "SOC 2 Type II",
            "An independent auditor examines our controls every year for SOC 2 Type II, "
            "and the most recent examination closed without exceptions.",
            "www",
            "/security",
            "security page",
        )
        hipaa = self.claim(
            "HIPAA",
            "For healthcare customers on the Business and Enterprise plans we sign a Business "
            "Associate Agreement and operate the HIPAA safeguards described in it.",
            "www",
            "/security",
            "security page",
        )
        main = f"""<h1>Security at {COMPANY}</h1>
<p>Money moves through our product, so security is part of how we build it, not a layer added later.</p>
<h2>Compliance</h2>
<p>{_esc(soc2)}</p>
<p>{_esc(hipaa)}</p>
<p>Reports and policies are available in our <a href="{self.url("trust")}">Trust Center</a>. {self.vanta_badge("www:/security")}</p>
<h2>Data protection</h2>
<p>Customer data is encrypted at rest with AES-256 and in transit with TLS 1.2 or later. Production data lives in
AWS regions in the United States and the European Union; customers choose the region when they sign up.</p>
<h2>Access</h2>
<p>Employees reach production through single sign-on with hardware security keys, and every session is logged.
Customers on the Business plan and above can enforce SAML single sign-on and SCIM provisioning.</p>
<h2>Testing and disclosure</h2>
<p>An outside firm runs a penetration test every year, and we run a private bug bounty programme. Researchers can
reach us through our <a href="/security/disclosure">responsible disclosure policy</a> or
<a href="/.well-known/security.txt">security.txt</a>.</p>"""
        self.www_page(
            "/security",
            f"Security | {COMPANY}",
            "How Northwind Ledger protects customer data.",
            main,
            cls="security",
            lastmod=self.as_of - timedelta(days=21),
        )
        thanks = "".join(
            f"<li>{_esc(name)}</li>" for name in ("Ana Ferreira", "Rohan Mehta", "Lise Vermeulen")
        )
        main = f"""<h1>Responsible disclosure</h1>
<p>If you believe you have found a vulnerability in {COMPANY}, e-mail
<a href="mailto:security@{self.domain}">security@{self.domain}</a> with the steps to reproduce it.
We answer within two business days and keep you informed until the issue is fixed.</p>
<h2>Safe harbour</h2>
<p>We will not pursue legal action against research that follows this policy: test only accounts you own, do not
access other customers' data, and give us reasonable time to fix the issue before you publish.</p>
<h2>Out of scope</h2>
<p>Denial of service, social engineering of our staff, and reports produced only by automated scanners.</p>
<h2 id="thanks">Thanks</h2><ul>{thanks}</ul>"""
        self.www_page(
            "/security/disclosure",
            f"Responsible disclosure | {COMPANY}",
            "How to report a security issue to Northwind Ledger.",
            main,
            cls="security",
        )

    def company_pages(self) -> None:
        leaders = "".join(
            f'<div class="leader"><h3>{_esc(name)}</h3><p class="role">{_esc(title)}</p></div>'
            for name, title in LEADERS
        )
        offices = "".join(f"<li>{_esc(office)}</li>" for office in OFFICES)
        main = f"""<h1>About {COMPANY}</h1>
<p>{COMPANY} was founded in 2017 in Portland, Oregon, by {LEADERS[0][0]} and {LEADERS[1][0]}, who met while
untangling the books of a fast-growing logistics company. Today about {EMPLOYEES} people build the product from three
offices and a dozen countries.</p>
<h2>Leadership</h2>
<div class="leadership">{leaders}</div>
<h2>Offices</h2><ul>{offices}</ul>
<p>We are hiring: see <a href="/careers">open roles</a>.</p>"""
        self.www_page(
            "/about", f"About us | {COMPANY}", "The team behind Northwind Ledger.", main, cls="about"
        )
        head = f'<script src="https://www.google.com/recaptcha/api.js" async defer nonce="{self.nonce}"></script>'
        self.signal("recaptcha", "scriptSrc", "https://www.google.com/recaptcha/api.js", "www:/contact")
        main = f"""<h1>Talk to sales</h1>
<p>Tell us about your finance team and we will set up a demo within one business day.</p>
<form method="post" action="/contact"><label>Name <input name="name" required></label>
<label>Work e-mail <input type="email" name="email" required></label>
<label>Company size <select name="size"><option>1-50</option><option>51-250</option><option>251+</option></select></label>
<div class="g-recaptcha" data-sitekey="6Lc{_token(self.seed, "recaptcha", 36)}"></div><button>Request a demo</button></form>
<h2>Other ways to reach us</h2>
<ul><li>Sales: <a href="mailto:sales@{self.domain}">sales@{self.domain}</a></li>
<li>Support: <a href="mailto:support@{self.domain}">support@{self.domain}</a></li>
<li>Press: <a href="mailto:press@{self.domain}">press@{self.domain}</a></li>
<li>Phone: <a href="tel:{PHONE}">{PHONE}</a></li></ul>
<address>{_esc(LEGAL_NAME)}<br>{_esc(ADDRESS["streetAddress"])}<br>{ADDRESS["addressLocality"]},
{ADDRESS["addressRegion"]} {ADDRESS["postalCode"]}<br>United States</address>"""
        self.www_page(
            "/contact",
            f"Contact sales | {COMPANY}",
            "Book a demo or reach our team.",
            main,
            cls="contact",
            head=head,
        )
        board = self.url("jobs", f"/{JOB_BOARD_TOKEN}")
        by_department: dict[str, list[str]] = {}
        for i, (title, _, department, location, _) in enumerate(ROLES):
            link = self.url("jobs", f"/{JOB_BOARD_TOKEN}/jobs/{self.job_id(i)}")
            by_department.setdefault(department, []).append(
                f'<li><a href="{link}">{_esc(title)}</a> <span class="location">{_esc(location)}</span></li>'
            )
        listing = "".join(
            f"<h3>{_esc(d)}</h3><ul>{''.join(items)}</ul>" for d, items in by_department.items()
        )
        embed = self.url("jobs", f"/embed/job_board.js?for={JOB_BOARD_TOKEN}")
        self.signal("hireboard", "scriptSrc", embed.split("?")[0], "www:/careers")
        main = f"""<h1>Careers</h1>
<p>We build software that finance teams trust with real money. We hire people who like careful work and plain
language, in our offices and remotely across North America and Europe.</p>
<h2>Open roles</h2>
{listing}
<p><a href="{board}">See every opening on our job board</a>.</p>
<div id="hireboard-jobs" data-board="{JOB_BOARD_TOKEN}"></div>"""
        head = f'<script src="{embed}" async nonce="{self.nonce}"></script>'
        self.www_page(
            "/careers",
            f"Careers | {COMPANY}",
            "Open roles at Northwind Ledger.",
            main,
            cls="careers",
            head=head,
        )

    def legal_pages(self) -> None:
        updated = self.as_of - timedelta(days=120)
        gdpr = self.claim(
            "GDPR",
            "We process personal data of people in the European Economic Area and the United "
            "Kingdom in line with the GDPR, relying on the Standard Contractual Clauses for transfers.",
            "www",
            "/privacy",
            "privacy policy",
        )
        ccpa = self.claim(
            "CCPA",
            "California residents have the rights granted by the CCPA as amended by the CPRA, "
            "and we do not sell or share personal information.",
            "www",
            "/privacy",
            "privacy policy",
        )
        main = f"""<h1>Privacy policy</h1>
<p class="updated">Last updated: <time datetime="{updated.isoformat()}">{updated:%B} {updated.day}, {updated.year}</time></p>
<p>This policy explains what personal data {LEGAL_NAME} collects when you visit our web sites or use our product,
why we collect it and what choices you have.</p>
<h2>Data we collect</h2><p>Account details you give us, invoices and payment data your company uploads, and usage
data from our web sites and apps.</p>
<h2 id="gdpr">Your rights under the GDPR</h2><p>{_esc(gdpr)}</p>
<h2 id="ccpa">California privacy rights</h2><p>{_esc(ccpa)}</p>
<p id="do-not-sell">Do Not Sell or Share My Personal Information: we do not sell personal information, so there is
nothing to opt out of; you can still ask us what we hold by writing to
<a href="mailto:privacy@{self.domain}">privacy@{self.domain}</a>.</p>
<h2>Retention</h2><p>We keep customer data for the term of the contract and delete it within 90 days after it ends.</p>
<p>See also our <a href="/cookie-policy">cookie policy</a> and <a href="/legal/subprocessors">subprocessors</a>.</p>"""
        self.www_page(
            "/privacy",
            f"Privacy policy | {COMPANY}",
            "How Northwind Ledger handles personal data.",
            main,
            cls="privacy",
            lastmod=updated,
        )
        cookie_rows = "".join(
            f"<tr><td>{name}</td><td>{purpose}</td></tr>"
            for name, purpose in [
                ("nwl_session", "Keeps you signed in (strictly necessary)"),
                ("nwl_csrf", "Protects forms against cross-site requests (strictly necessary)"),
                ("OptanonConsent", "Remembers your consent choices (strictly necessary)"),
                ("_ga", "Measures visits (analytics)"),
                ("ajs_anonymous_id", "Links page views to product analytics (analytics)"),
                ("hubspotutk", "Recognises returning visitors (marketing)"),
            ]
        )
        main = f"""<h1>Cookie policy</h1>
<p>We use OneTrust to record your consent choices; you can change them at any time from the cookie settings link.</p>
<table><thead><tr><th>Cookie</th><th>Purpose</th></tr></thead><tbody>{cookie_rows}</tbody></table>"""
        self.www_page(
            "/cookie-policy", f"Cookie policy | {COMPANY}", "Cookies used on our sites.", main, cls="privacy"
        )
        entity = (
            f"These Terms of Service form an agreement between you and {LEGAL_NAME}, a Delaware corporation "
            f"with its principal office at {ADDRESS['streetAddress']}, Portland, Oregon 97209."
        )
        main = f"""<h1>Terms of service</h1>
<p class="updated">Effective: <time datetime="{updated.isoformat()}">{updated.isoformat()}</time></p>
<p>{_esc(entity)}</p>
<h2>Use of the service</h2><p>You may use the service for your company's internal finance operations. You are
responsible for the accounts you create and for keeping credentials safe.</p>
<h2>Fees</h2><p>Paid plans are billed in advance per seat. Fees are non-refundable except where the law requires.</p>
<h2>Governing law</h2><p>These terms are governed by the laws of the State of Delaware.</p>
<p>Our <a href="/legal/dpa">Data Processing Addendum</a> forms part of these terms for customer personal data.</p>"""
        self.www_page(
            "/terms",
            f"Terms of service | {COMPANY}",
            "The terms for using Northwind Ledger.",
            main,
            cls="terms",
            lastmod=updated,
        )
        self.contracting_entity = entity
        docs = [
            ("/terms", "Terms of service"),
            ("/privacy", "Privacy policy"),
            ("/legal/dpa", "Data Processing Addendum"),
            ("/legal/subprocessors", "Subprocessors"),
            ("/cookie-policy", "Cookie policy"),
        ]
        items = "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in docs)
        self.www_page(
            "/legal", f"Legal | {COMPANY}", "Legal documents.", f"<h1>Legal</h1><ul>{items}</ul>", cls="terms"
        )
        dpa = self.claim(
            "GDPR",
            f"This Data Processing Addendum sets out how {COMPANY} acts as a processor under the "
            "GDPR for Customer Personal Data.",
            "www",
            "/legal/dpa",
            "DPA",
        )
        main = f"""<h1>Data Processing Addendum</h1>
<p>{_esc(dpa)}</p>
<h2>Transfers</h2><p>Where Customer Personal Data leaves the European Economic Area, the parties rely on the Standard
Contractual Clauses adopted by the European Commission, module two.</p>
<h2>Subprocessors</h2><p>The current list is published on our <a href="/legal/subprocessors">subprocessors page</a>;
we announce changes 30 days in advance.</p>
<h2>Security</h2><p>The technical and organisational measures are described on our <a href="/security">security page</a>.</p>"""
        self.www_page(
            "/legal/dpa", f"Data Processing Addendum | {COMPANY}", "Our DPA for customers.", main, cls="terms"
        )
        rows = "".join(
            f"<tr><td>{_esc(n)}</td><td>{_esc(p)}</td><td>{_esc(r)}</td></tr>" for n, p, r in SUBPROCESSORS
        )
        main = f"""<h1>Subprocessors</h1>
<p>{COMPANY} uses the following {len(SUBPROCESSORS)} subprocessors to provide the service.</p>
<table><thead><tr><th>Subprocessor</th><th>Purpose</th><th>Location</th></tr></thead><tbody>{rows}</tbody></table>"""
        self.www_page(
            "/legal/subprocessors",
            f"Subprocessors | {COMPANY}",
            "Third parties that process customer data.",
            main,
            cls="terms",
        )

    def directory_pages(self) -> None:
        by_category: dict[str, list[dict[str, str]]] = {}
        for item in self.integrations:
            by_category.setdefault(item["category"], []).append(item)
        sections = "".join(
            f"<h2>{_esc(category)}</h2><ul>"
            + "".join(f'<li><a href="/integrations/{i["slug"]}">{_esc(i["name"])}</a></li>' for i in items)
            + "</ul>"
            for category, items in sorted(by_category.items())
        )
        main = (
            f"<h1>Integrations</h1><p>{len(self.integrations)} integrations across {len(by_category)} categories "
            f"connect {COMPANY} to the rest of your finance stack.</p>{sections}"
        )
        self.www_page(
            "/integrations",
            f"Integrations | {COMPANY}",
            "Connect Northwind Ledger to your tools.",
            main,
            cls="integrations",
        )
        for item in self.integrations:
            main = f"""<h1>{_esc(item["name"])} integration</h1>
<p class="category">Category: {_esc(item["category"])}</p>
<p>Connect {_esc(item["name"])} to {COMPANY} in a few minutes. Records sync both ways every fifteen minutes, and
every change lands in the audit trail with its source.</p>
{self.prose("integration:" + item["slug"], item["category"].lower() + " data", 2)}
<p><a href="/integrations">All integrations</a></p>"""
            self.www_page(
                f"/integrations/{item['slug']}",
                f"{item['name']} | {COMPANY} integrations",
                f"Sync {item['name']} with Northwind Ledger.",
                main,
                cls="integrations",
            )
        logos = "".join(
            f'<li><img src="/logos/customers/{c["slug"]}.svg" alt="{_esc(c["name"])} logo" width="120" height="40">'
            + (f' <a href="/customers/{c["slug"]}">Read the story</a>' if c["case_study"] else "")
            + "</li>"
            for c in self.customers
        )
        studies = [c for c in self.customers if c["case_study"]]
        main = (
            f"<h1>Customers</h1><p>Finance teams in {len({c['industry'] for c in self.customers})} industries run "
            f'their payables on {COMPANY}.</p><ul class="customer-logos">{logos}</ul>'
            f"<p>{len(studies)} customer stories.</p>"
        )
        self.www_page("/customers", f"Customers | {COMPANY}", "Customer stories.", main, cls="customers")
        for c in studies:
            main = f"""<article class="case-study"><h1>How {_esc(c["name"])} closes the books in four days</h1>
<p class="industry">Industry: {_esc(c["industry"])}</p>
<img src="/logos/customers/{c["slug"]}.svg" alt="{_esc(c["name"])} logo" width="160" height="54">
{self.prose("customer:" + c["slug"], "month-end close", 3)}
<blockquote><p>Approvals that took a week now take an afternoon, and nobody asks where an invoice is any more.</p>
<footer>Head of Finance, {_esc(c["name"])}</footer></blockquote></article>
<p><a href="/customers">More customer stories</a></p>"""
            self.www_page(
                f"/customers/{c['slug']}",
                f"{c['name']} | Customer story | {COMPANY}",
                f"How {c['name']} uses Northwind Ledger.",
                main,
                cls="customers",
            )
        posts = "".join(
            f'<li><a href="/blog/{p["slug"]}">{_esc(p["title"])}</a> <time datetime="{p["date"].isoformat()}">'
            f"{p['date'].isoformat()}</time></li>"
            for p in self.blog
        )
        self.www_page(
            "/blog",
            f"Blog | {COMPANY}",
            "Notes on finance operations.",
            f'<h1>Blog</h1><ul class="posts">{posts}</ul>',
            cls="blog",
            lastmod=self.blog[0]["date"],
        )
        for p in self.blog:
            main = f"""<article><h1>{_esc(p["title"])}</h1>
<p class="byline">By {_esc(p["author"])} · <time datetime="{p["date"].isoformat()}">{p["date"].isoformat()}</time></p>
{self.prose("blog:" + p["slug"], p["topic"], 5)}
</article><p><a href="/blog">All posts</a></p>"""
            self.www_page(
                f"/blog/{p['slug']}",
                f"{p['title']} | {COMPANY} blog",
                f"{p['title']}.",
                main,
                cls="blog",
                lastmod=p["date"],
            )
        entries = "".join(
            f'<li><time datetime="{e["date"].isoformat()}">{e["date"].isoformat()}</time> '
            f'<a href="/changelog/{e["slug"]}">{_esc(e["title"])}</a></li>'
            for e in self.changelog
        )
        main = (
            f"<h1>Changelog</h1><p>Every change that reaches customers, newest first. Subscribe with the "
            f'<a href="/changelog/feed.xml">Atom feed</a>.</p><ul class="changelog">{entries}</ul>'
        )
        self.www_page(
            "/changelog",
            f"Changelog | {COMPANY}",
            "What shipped and when.",
            main,
            cls="blog",
            lastmod=self.changelog[0]["date"],
        )
        for e in self.changelog:
            main = f"""<article class="changelog-entry"><h1>{_esc(e["title"])}</h1>
<p><time datetime="{e["date"].isoformat()}">{e["date"].isoformat()}</time> · {_esc(e["area"])}</p>
{self.prose("changelog:" + e["slug"], e["area"].lower(), 1)}
</article><p><a href="/changelog">Full changelog</a></p>"""
            self.www_page(
                f"/changelog/{e['slug']}",
                f"{e['title']} | Changelog",
                e["title"],
                main,
                cls="blog",
                lastmod=e["date"],
            )
        docs = self.url("docs")
        main = f"""<h1>Developers</h1>
<p>Everything in {COMPANY} is available through a REST API described by an OpenAPI 3.1 document.</p>
<ul><li><a href="{docs}">Documentation</a></li>
<li><a href="{self.url("docs", "/api-reference")}">API reference</a></li>
<li><a href="{self.url("docs", "/openapi.json")}">OpenAPI document (JSON)</a></li>
<li><a href="{self.url("docs", "/webhooks")}">Webhooks</a></li>
<li><a href="{self.url("docs", "/sdks")}">SDKs</a></li>
<li><a href="https://github.com/northwind-ledger">Open source on GitHub</a></li></ul>
<p>Recent API changes are listed in the <a href="/changelog">changelog</a>.</p>"""
        self.www_page(
            "/developers", f"Developers | {COMPANY}", "Build on Northwind Ledger.", main, cls="docs"
        )

    def locale_pages(self) -> None:
        for code, (title, text) in LOCALES.items():
            main = f'<h1>{_esc(title)}</h1><p>{_esc(text)}</p><p><a href="/" hreflang="en">English</a></p>'
            self.www_page(f"/{code}/", title, text, main, cls="other", lang=code, hreflang=True)

    def job_id(self, index: int) -> int:
        return 4100000 + index * 137 + self.seed

    def www_documents(self) -> None:
        www_urls = [u for urls in self.pages.values() for u in urls if u.startswith(self.url("www"))]
        dated = {self.url("www", f"/blog/{p['slug']}") for p in self.blog}
        dated |= {self.url("www", f"/changelog/{e['slug']}") for e in self.changelog}
        pages_xml = self.sitemap([u for u in www_urls if u not in dated])
        blog_xml = self.sitemap([u for u in www_urls if u in dated])
        blog_gz = gzip.compress(blog_xml, mtime=0)
        children = [self.url("www", "/sitemap-pages.xml"), self.url("www", "/sitemap-blog.xml.gz")]
        index = '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        index += "".join(
            f"<sitemap><loc>{u}</loc><lastmod>{self.as_of.isoformat()}</lastmod></sitemap>\n"
            for u in children
        )
        index += "</sitemapindex>\n"
        self.document("sitemap_index", "www", "/sitemap.xml", index.encode(), "application/xml")
        self.document("sitemap_pages", "www", "/sitemap-pages.xml", pages_xml, "application/xml")
        self.document("sitemap_blog_gz", "www", "/sitemap-blog.xml.gz", blog_gz, "application/gzip")
        self.sitemap_facts = {
            "index": self.url("www", "/sitemap.xml"),
            "children": [
                {"url": children[0], "gzipped": False, "url_count": len(www_urls) - len(dated)},
                {"url": children[1], "gzipped": True, "url_count": len(dated)},
            ],
        }
        robots = (
            f"# {COMPANY}\nUser-agent: *\nDisallow: {DISALLOWED_PREFIX}\nCrawl-delay: {CRAWL_DELAY_SECONDS}\n\n"
            f"Sitemap: {self.url('www', '/sitemap.xml')}\n"
        )
        self.document("robots_www", "www", "/robots.txt", robots.encode(), "text/plain; charset=utf-8")
        expires = self.as_of + timedelta(days=300)
        security_txt = "\n".join(
            [
                f"Contact: mailto:security@{self.domain}",
                f"Contact: {self.url('www', '/security/disclosure')}",
                f"Expires: {expires.isoformat()}T00:00:00Z",
                f"Acknowledgments: {self.url('www', '/security/disclosure#thanks')}",
                f"Policy: {self.url('www', '/security/disclosure')}",
                "Preferred-Languages: en, de",
                f"Canonical: {self.url('www', '/.well-known/security.txt')}",
                f"Hiring: {self.url('jobs', '/' + JOB_BOARD_TOKEN)}",
                "",
            ]
        )
        self.document(
            "security_txt",
            "www",
            "/.well-known/security.txt",
            security_txt.encode(),
            "text/plain; charset=utf-8",
        )
        self.security_txt = {
            "url": self.url("www", "/.well-known/security.txt"),
            "contact": f"security@{self.domain}",
            "expires": f"{expires.isoformat()}T00:00:00Z",
            "preferred_languages": ["en", "de"],
        }
        feed = [
            '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">',
            f"<title>{COMPANY} changelog</title><id>{self.url('www', '/changelog')}</id>",
            f"<updated>{self.changelog[0]['date'].isoformat()}T00:00:00Z</updated>",
        ]
        for e in self.changelog:
            link = self.url("www", f"/changelog/{e['slug']}")
            feed.append(
                f'<entry><title>{_esc(e["title"])}</title><id>{link}</id><link href="{link}"/>'
                f"<updated>{e['date'].isoformat()}T00:00:00Z</updated></entry>"
            )
        feed.append("</feed>\n")
        self.document(
            "changelog_feed", "www", "/changelog/feed.xml", "\n".join(feed).encode(), "application/atom+xml"
        )
        logo = (
            '<svg xmlns="http://www.w3.org/2000/svg" width="148" height="32" viewBox="0 0 148 32">'
            '<rect width="32" height="32" rx="6" fill="#1f3a5c"/><path d="M8 24V8l16 16V8" stroke="#fff" '
            'stroke-width="3" fill="none"/><text x="40" y="22" font-family="sans-serif" font-size="14">'
            "Northwind Ledger</text></svg>"
        )
        self.add("www", "/brand/logo.svg", logo.encode(), "image/svg+xml")
        self.add("www", "/brand/og-card.png", _tiny_png(), "image/png")
        self.add(
            "www",
            f"/_next/static/css/{_token(self.seed, 'css', 16)}.css",
            b"body{font-family:system-ui,sans-serif;margin:0}main{max-width:60rem;margin:auto}\n",
            "text/css",
        )
        for path in self.next_chunks():
            body = f"/* {path.rsplit('/', 1)[1]} */\n(self.__NW_CHUNKS=self.__NW_CHUNKS||[]).push({json.dumps(path)});\n"
            self.add("www", path, body.encode(), "application/javascript")
        for c in self.customers:
            svg = (
                f'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40"><text x="4" y="26" '
                f'font-family="serif" font-size="15">{_esc(c["name"])}</text></svg>'
            )
            self.add("www", f"/logos/customers/{c['slug']}.svg", svg.encode(), "image/svg+xml")

    def sitemap(self, urls: list[str]) -> bytes:
        body = '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        body += "".join(f"<url><loc>{u}</loc><lastmod>{self.lastmod[u]}</lastmod></url>\n" for u in urls)
        return (body + "</urlset>\n").encode()

    # -- docs, status, trust, job board, API and MTA-STS hosts -------------------------------------------------------

    def docs_page(self, path: str, title: str, main: str, *, head: str = "") -> None:
        nav_items = [
            ("/", "Overview"),
            ("/guides", "Guides"),
            ("/api-reference", "API reference"),
            ("/authentication", "Authentication"),
            ("/webhooks", "Webhooks"),
            ("/sdks", "SDKs"),
        ]
        nav = '<nav class="docs-nav">' + "".join(f'<a href="{h}">{t}</a> ' for h, t in nav_items) + "</nav>"
        version = TECH_IDS["docusaurus_version"]
        self.signal("docusaurus", "meta", f"generator: Docusaurus v{version}", "docs:*")
        head = (
            f'<meta name="generator" content="Docusaurus v{version}">\n'
            f'<script src="/assets/js/main.{_token(self.seed, "docsjs", 8)}.js" defer></script>\n{head}'
        )
        self.simple_page(
            "docs",
            path,
            f"{title} | {COMPANY} Docs",
            f'<div id="__docusaurus">{main}</div>',
            cls="docs",
            head=head,
            nav=nav,
        )

    def build_docs(self) -> None:
        self.openapi_document()
        self.docs_page(
            "/",
            "Overview",
            f"""<h1>{COMPANY} documentation</h1>
<p>Guides for finance admins and a reference for developers building on the {COMPANY} API.</p>
<ul><li><a href="/guides">Guides</a> ({len(self.guides)} articles)</li><li><a href="/api-reference">API reference</a></li>
<li><a href="/webhooks">Webhooks</a></li><li><a href="/sdks">SDKs</a></li></ul>""",
        )
        redoc = f"https://cdn.redoc.ly/redoc/v{TECH_IDS['redoc_version']}/bundles/redoc.standalone.js"
        self.signal("redoc", "scriptSrc", redoc, "docs:/api-reference")
        self.signal("redoc", "html", '<redoc spec-url="/openapi.json">', "docs:/api-reference")
        facts = self.openapi_facts
        self.docs_page(
            "/api-reference",
            "API reference",
            f"""<h1>API reference</h1>
<p>The API has {facts["paths"]} paths and {facts["operations"]} operations. Download the
<a href="/openapi.json">OpenAPI document</a> to generate a client.</p>
<redoc spec-url="/openapi.json"></redoc>""",
            head=f'<script src="{redoc}" defer></script>',
        )
        self.docs_page(
            "/authentication",
            "Authentication",
            """<h1>Authentication</h1>
<p>Send an API key as a bearer token in the Authorization header, or use the OAuth 2.0 client credentials flow for
server-to-server integrations. Keys are scoped to one entity and can be rotated without downtime.</p>
<h2>Rate limits</h2><p>Each key may make 600 requests per minute; responses carry the remaining budget in the
RateLimit-Remaining header, and a 429 answer carries Retry-After.</p>""",
        )
        events = "".join(f"<li><code>{e}</code></li>" for e in self.webhook_events)
        self.docs_page(
            "/webhooks",
            "Webhooks",
            f"""<h1>Webhooks</h1>
<p>{COMPANY} sends {len(self.webhook_events)} event types to the HTTPS endpoints you register.</p><ul>{events}</ul>
<h2>Signatures</h2><p>Every delivery carries a <code>Northwind-Signature</code> header: an HMAC-SHA256 of the body
with your endpoint secret. Reject deliveries whose signature does not match.</p>
<h2>Retries</h2><p>Failed deliveries are retried up to 8 times over 24 hours with exponential backoff.</p>""",
        )
        sdks = "".join(
            f"<li>{lang}: <code>{package}</code> on {registry}</li>" for lang, registry, package in SDKS
        )
        self.docs_page(
            "/sdks",
            "SDKs",
            f"""<h1>SDKs</h1><ul>{sdks}</ul>
<p>Source code and issue trackers live in our <a href="https://github.com/northwind-ledger">GitHub organisation</a>.</p>""",
        )
        items = "".join(f'<li><a href="/guides/{g["slug"]}">{_esc(g["title"])}</a></li>' for g in self.guides)
        self.docs_page("/guides", "Guides", f"<h1>Guides</h1><ul>{items}</ul>")
        for g in self.guides:
            self.docs_page(
                f"/guides/{g['slug']}",
                g["title"],
                f"""<article><h1>{_esc(g["title"])}</h1>
{self.prose("guide:" + g["slug"], g["topic"], 3)}
<p>Related: <a href="/api-reference">API reference</a> · <a href="/guides">all guides</a></p></article>""",
            )
        docs_urls = self.pages["docs"]
        docs_sitemap = self.sitemap([u for u in docs_urls if u.startswith(self.url("docs"))])
        self.document("sitemap_docs", "docs", "/sitemap.xml", docs_sitemap, "application/xml")
        robots = f"User-agent: *\nAllow: /\n\nSitemap: {self.url('docs', '/sitemap.xml')}\n"
        self.document("robots_docs", "docs", "/robots.txt", robots.encode(), "text/plain; charset=utf-8")
        self.add(
            "docs",
            f"/assets/js/main.{_token(self.seed, 'docsjs', 8)}.js",
            b"/* docs bundle */\n",
            "application/javascript",
        )

    def openapi_document(self) -> None:
        resources = [
            ("invoices", "Invoices", True),
            ("bills", "Bills", True),
            ("vendors", "Vendors", True),
            ("customers", "Customers", True),
            ("payments", "Payments", False),
            ("journal-entries", "Journal entries", False),
            ("accounts", "Accounts", False),
            ("approvals", "Approvals", True),
            ("webhook-endpoints", "Webhook endpoints", True),
        ]
        ok = {
            "200": {
                "description": "OK",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Object"}}},
            }
        }
        paths: dict[str, dict[str, Any]] = {}
        for slug, tag, deletable in resources:
            noun = tag.lower()
            paths[f"/v1/{slug}"] = {
                "get": {
                    "operationId": f"list_{slug.replace('-', '_')}",
                    "summary": f"List {noun}",
                    "tags": [tag],
                    "responses": ok,
                },
                "post": {
                    "operationId": f"create_{slug.replace('-', '_')}",
                    "summary": f"Create one of the {noun}",
                    "tags": [tag],
                    "responses": ok,
                },
            }
            item: dict[str, Any] = {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "get": {
                    "operationId": f"get_{slug.replace('-', '_')}",
                    "summary": f"Retrieve one of the {noun}",
                    "tags": [tag],
                    "responses": ok,
                },
                "patch": {
                    "operationId": f"update_{slug.replace('-', '_')}",
                    "summary": f"Update one of the {noun}",
                    "tags": [tag],
                    "responses": ok,
                },
            }
            if deletable:
                item["delete"] = {
                    "operationId": f"delete_{slug.replace('-', '_')}",
                    "summary": f"Delete one of the {noun}",
                    "tags": [tag],
                    "responses": {"204": {"description": "Deleted"}},
                }
            paths[f"/v1/{slug}/{{id}}"] = item
        paths["/v1/invoices/{id}/send"] = {
            "post": {"operationId": "send_invoice", "tags": ["Invoices"], "responses": ok}
        }
        paths["/v1/payments/{id}/cancel"] = {
            "post": {"operationId": "cancel_payment", "tags": ["Payments"], "responses": ok}
        }
        paths["/v1/reports/trial-balance"] = {
            "get": {"operationId": "trial_balance", "tags": ["Reports"], "responses": ok}
        }
        paths["/v1/reports/aging"] = {
            "get": {"operationId": "aging_report", "tags": ["Reports"], "responses": ok}
        }
        paths["/v1/bank-feeds"] = {
            "get": {
                "operationId": "list_bank_feeds",
                "tags": ["Bank feeds"],
                "deprecated": True,
                "description": "Use /v1/accounts instead.",
                "responses": ok,
            }
        }
        paths["/v1/me"] = {"get": {"operationId": "get_me", "tags": ["Identity"], "responses": ok}}
        paths["/v1/vendors/{id}"]["delete"]["deprecated"] = True
        self.webhook_events = [
            "invoice.created",
            "invoice.paid",
            "invoice.voided",
            "bill.received",
            "bill.approved",
            "bill.rejected",
            "payment.sent",
            "payment.failed",
            "vendor.created",
            "vendor.bank_details_changed",
            "approval.requested",
            "close.completed",
        ]
        webhook_names = ["invoice.paid", "bill.approved", "payment.failed"]
        tags = sorted(
            {
                t
                for ops in paths.values()
                for op in ops.values()
                if isinstance(op, dict)
                for t in op.get("tags", [])
            }
        )
        doc: dict[str, Any] = {
            "openapi": "3.1.0",
            "info": {
                "title": f"{COMPANY} API",
                "version": "2025-09-01",
                "description": "Accounts payable, payments and close automation.",
            },
            "servers": [{"url": self.url("api", "/")[:-1]}],
            "tags": [{"name": t} for t in tags],
            "paths": paths,
            "webhooks": {
                name: {
                    "post": {
                        "operationId": f"on_{name.replace('.', '_')}",
                        "responses": {"200": {"description": "Acknowledged"}},
                    }
                }
                for name in webhook_names
            },
            "components": {
                "schemas": {"Object": {"type": "object", "properties": {"id": {"type": "string"}}}},
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                    "oauth2": {
                        "type": "oauth2",
                        "flows": {
                            "clientCredentials": {
                                "tokenUrl": self.url("api", "/oauth/token"),
                                "scopes": {"read": "Read", "write": "Write"},
                            }
                        },
                    },
                },
            },
            "security": [{"bearerAuth": []}, {"oauth2": ["read"]}],
        }
        methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
        operations = [op for ops in paths.values() for m, op in ops.items() if m in methods]
        self.openapi_facts = {
            "url": self.url("docs", "/openapi.json"),
            "version": "3.1.0",
            "title": doc["info"]["title"],
            "paths": len(paths),
            "operations": len(operations),
            "deprecated_operations": sum(1 for op in operations if op.get("deprecated")),
            "tags": tags,
            "security_schemes": ["bearerAuth", "oauth2"],
            "webhooks": len(webhook_names),
        }
        self.document(
            "openapi", "docs", "/openapi.json", json.dumps(doc, indent=2).encode(), "application/json"
        )

    def build_status(self) -> None:
        self.signal("atlassian-statuspage", "html", "Powered by Atlassian Statuspage", "status:/")
        jquery = f"https://code.jquery.com/jquery-{TECH_IDS['jquery_version']}.min.js"
        self.signal("jquery", "scriptSrc", jquery, "status:/")
        components = "".join(
            f'<div class="component" data-component-status="operational"><span>{c}</span> Operational</div>'
            for c in STATUS_COMPONENTS
        )
        incidents = self.incidents()
        recent = "".join(
            f'<li><a href="/history#{i["id"]}">{_esc(i["name"])}</a> <time datetime="{i["started"]}">'
            f"{i['started'][:10]}</time> ({i['impact']})</li>"
            for i in incidents[:2]
        )
        foot = (
            '<p class="powered-by">Powered by Atlassian Statuspage '
            '<a href="https://www.atlassian.com/software/statuspage">Learn more</a></p>'
        )
        head = f'<script src="{jquery}"></script>'
        main = f"""<h1>{COMPANY} status</h1>
<div class="page-status status-none"><h2>All Systems Operational</h2></div>
<p>Uptime over the last 90 days: {UPTIME_CLAIM}.</p>
<div class="components">{components}</div>
<h2>Recent incidents</h2><ul>{recent}</ul><p><a href="/history">Incident history</a></p>{foot}"""
        self.simple_page("status", "/", f"{COMPANY} Status", main, cls="status", head=head)
        items = "".join(
            f'<li id="{i["id"]}"><h3>{_esc(i["name"])}</h3><p>Impact: {i["impact"]}. Started '
            f'<time datetime="{i["started"]}">{i["started"]}</time>, resolved <time datetime="{i["resolved"]}">'
            f"{i['resolved']}</time>.</p></li>"
            for i in incidents
        )
        self.simple_page(
            "status",
            "/history",
            f"Incident history | {COMPANY} Status",
            f'<h1>Incident history</h1><ul>{items}</ul><p><a href="/">Current status</a></p>{foot}',
            cls="status",
            head=head,
        )
        page = {
            "id": _token(self.seed, "statuspage", 12),
            "name": COMPANY,
            "url": self.url("status"),
            "updated_at": f"{self.as_of.isoformat()}T00:00:00Z",
        }
        summary = {
            "page": page,
            "status": {"indicator": "none", "description": "All Systems Operational"},
            "components": [
                {"id": _token(self.seed, c, 12), "name": c, "status": "operational"}
                for c in STATUS_COMPONENTS
            ],
            "incidents": [],
        }
        self.document(
            "status_summary",
            "status",
            "/api/v2/summary.json",
            json.dumps(summary, indent=1).encode(),
            "application/json",
        )
        self.document(
            "status_incidents",
            "status",
            "/api/v2/incidents.json",
            json.dumps({"page": page, "incidents": incidents}, indent=1).encode(),
            "application/json",
        )

    def incidents(self) -> list[dict[str, Any]]:
        out = []
        for days, name, impact, minutes in INCIDENTS:
            start = self.as_of - timedelta(days=days)
            out.append(
                {
                    "id": _token(self.seed, name, 12),
                    "name": name,
                    "impact": impact,
                    "status": "resolved",
                    "started": f"{start.isoformat()}T14:05:00Z",
                    "resolved": f"{start.isoformat()}T{14 + (5 + minutes) // 60:02d}:{(5 + minutes) % 60:02d}:00Z",
                }
            )
        return out

    def build_trust(self) -> None:
        soc2 = self.claim(
            "SOC 2 Type II",
            f"{COMPANY} maintains a SOC 2 Type II report covering the Security, "
            "Availability and Confidentiality trust services criteria, and current customers can request "
            "it under NDA.",
            "trust",
            "/",
            "trust centre",
        )
        iso = self.claim(
            "ISO/IEC 27001",
            "Our information security management system is certified to ISO/IEC "
            "27001:2022 by an accredited certification body.",
            "trust",
            "/",
            "trust centre",
        )
        hipaa = self.claim(
            "HIPAA",
            "HIPAA: we sign Business Associate Agreements with covered entities and maintain "
            "the administrative, physical and technical safeguards the Security Rule requires.",
            "trust",
            "/",
            "trust centre",
        )
        gdpr = self.claim(
            "GDPR",
            "GDPR: customers in Europe can sign our Data Processing Addendum, and EU customer "
            "data can be kept in the Frankfurt region.",
            "trust",
            "/",
            "trust centre",
        )
        self.disclaimed = [
            {
                "framework": "FedRAMP",
                "url": self.url("trust"),
                "sentence": f"{COMPANY} does not hold a FedRAMP authorization and does not offer a government cloud.",
            }
        ]
        claims = "".join(f"<li>{_esc(s)}</li>" for s in (soc2, iso, hipaa, gdpr))
        main = f"""<h1>{COMPANY} Trust Center</h1>
<p>Our security and compliance programme, in one place.</p>
<h2>Compliance</h2><ul class="compliance">{claims}</ul>
<p>{_esc(self.disclaimed[0]["sentence"])}</p>
<p>{self.vanta_badge("trust:/")}</p>
<h2>Documents</h2><p>Request the SOC 2 Type II report and the ISO/IEC 27001 certificate by e-mailing
<a href="mailto:trust@{self.domain}">trust@{self.domain}</a>; the penetration test summary is available the same way.</p>
<p>See the <a href="/controls">controls we monitor</a>, our <a href="{self.url("www", "/legal/subprocessors")}">subprocessors</a>
and the <a href="{self.url("www", "/security")}">security overview</a>.</p>"""
        self.simple_page("trust", "/", f"Trust Center | {COMPANY}", main, cls="security")
        areas = {
            "Infrastructure security": [
                "Encryption at rest",
                "Production access through SSO with hardware keys",
                "Network segmentation between environments",
            ],
            "Organisational security": [
                "Security awareness training at hire and yearly",
                "Background checks",
            ],
            "Product security": ["Annual third-party penetration test", "Dependency vulnerability scanning"],
            "Data and privacy": [
                "Data retention policy",
                "Customer data deletion within 90 days of termination",
            ],
        }
        sections = "".join(
            f"<h2>{a}</h2><ul>" + "".join(f"<li>{c}</li>" for c in cs) + "</ul>" for a, cs in areas.items()
        )
        self.simple_page(
            "trust",
            "/controls",
            f"Controls | Trust Center | {COMPANY}",
            f'<h1>Controls</h1>{sections}<p><a href="/">Trust Center home</a></p>',
            cls="security",
        )

    def build_jobs(self) -> None:
        board = f"/{JOB_BOARD_TOKEN}"
        jobs_json = []
        rows = []
        for i, (title, _, department, location, stack) in enumerate(ROLES):
            job_path = f"{board}/jobs/{self.job_id(i)}"
            url = self.url("jobs", job_path)
            updated = (self.as_of - timedelta(days=3 + 5 * i)).isoformat()
            jobs_json.append(
                {
                    "id": self.job_id(i),
                    "title": title,
                    "absolute_url": url,
                    "location": {"name": location},
                    "departments": [{"name": department}],
                    "updated_at": f"{updated}T09:00:00Z",
                }
            )
            rows.append(
                f'<tr><td><a href="{job_path}">{_esc(title)}</a></td><td>{department}</td>'
                f"<td>{_esc(location)}</td></tr>"
            )
            stack_text = ""
            if stack:
                stack_text = f"<p>Our stack for this team: {', '.join(stack)}.</p>"
            main = f"""<article class="job"><h1>{_esc(title)}</h1>
<p class="meta"><span class="department">{department}</span> · <span class="location">{_esc(location)}</span> ·
Full-time</p>
<p>{COMPANY} is looking for a colleague to join the {department} team as {_esc(title)}.</p>
{stack_text}
<h2>What you will do</h2><p>Own meaningful work from the first month, write things down, and help customers close
their books with less stress.</p>
<a class="apply" href="#apply">Apply for this job</a><form id="apply" method="post" action="{job_path}/apply">
<input type="email" name="email"><button>Submit application</button></form></article>
<p><a href="{board}">All jobs at {COMPANY}</a></p>"""
            self.jobs_page(job_path, f"{title} at {COMPANY}", main)
        main = (
            f'<h1>Jobs at {COMPANY}</h1><p>{len(ROLES)} open positions.</p><table class="jobs"><thead><tr><th>Role'
            f"</th><th>Department</th><th>Location</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f'<p><a href="{self.url("www", "/careers")}">About working at {COMPANY}</a></p>'
        )
        self.jobs_page(board, f"Jobs at {COMPANY}", main)
        api = f"/api/v1/boards/{JOB_BOARD_TOKEN}/jobs"
        body = json.dumps({"jobs": jobs_json, "meta": {"total": len(jobs_json)}}, indent=1).encode()
        self.document("jobs_json", "jobs", api, body, "application/json")
        self.add(
            "jobs",
            "/embed/job_board.js",
            f"/* HireBoard embed for {JOB_BOARD_TOKEN} */\n".encode(),
            "application/javascript",
        )
        self.signal("hireboard", "html", '<meta name="generator" content="HireBoard">', f"jobs:{board}")

    def jobs_page(self, path: str, title: str, main: str) -> None:
        head = '<meta name="generator" content="HireBoard">\n<link rel="stylesheet" href="/assets/board.css">'
        self.simple_page("jobs", path, f"{title} | HireBoard", main, cls="careers", head=head)

    def build_misc_hosts(self) -> None:
        api_index = {
            "name": f"{COMPANY} API",
            "documentation": self.url("docs", "/api-reference"),
            "openapi": self.url("docs", "/openapi.json"),
        }
        self.document("api_index", "api", "/", json.dumps(api_index, indent=1).encode(), "application/json")
        self.add("jobs", "/assets/board.css", b"table.jobs{width:100%}\n", "text/css")
        policy = "version: STSv1\nmode: enforce\nmx: aspmx.l.google.com\nmx: *.aspmx.l.google.com\nmax_age: 604800\n"
        self.document("mta_sts_policy", "mta-sts", "/.well-known/mta-sts.txt", policy.encode(), "text/plain")
        for label in ("www", "docs", "status", "trust", "jobs", "api", "mta-sts"):
            body = (
                f"<!DOCTYPE html><html><head><title>Page not found</title></head><body><h1>Page not found</h1>"
                f'<p>Try the <a href="{self.url(label, "/")}">home page</a>.</p></body></html>'
            )
            headers = (*self.host_headers(label, False), ("Content-Type", "text/html; charset=utf-8"))
            self.not_found[self.hosts[label]] = SiteResponse(404, headers, body.encode())

    # -- hostile pages -----------------------------------------------------------------------------------------------

    def build_hostile(self) -> None:
        html_type = "text/html; charset=utf-8"
        entries = [
            ("redirect_loop", "/labs/loop-a", "Saved views", None, "redirect loop: too many redirects"),
            (
                "oversized",
                "/labs/annual-report",
                "Annual ledger export",
                None,
                "8 MiB body: over the size cap",
            ),
            (
                "slow_drip",
                "/labs/live-feed",
                "Live payment feed",
                "drip",
                "one byte per 0.5 s: total deadline exceeded",
            ),
            (
                "gzip_bomb",
                "/labs/archive",
                "Archive",
                "gzip-bomb",
                "gzip body inflating to 128 MiB: decoded size cap exceeded",
            ),
            (
                "binary_as_html",
                "/labs/export",
                "Raw export",
                None,
                "binary bytes labelled text/html: not parseable text",
            ),
            ("server_error", "/labs/flaky", "Reconciliation preview", None, "HTTP 500 on every attempt"),
            (
                "rate_limited",
                "/labs/busy",
                "Forecast sandbox",
                "throttle",
                f"429 with Retry-After: 1 for the first {THROTTLED_RESPONSES} requests, then 200",
            ),
            ("broken_html", "/labs/broken", "Legacy report viewer", None, "malformed HTML: parsed leniently"),
        ]
        www = self.url("www")
        self.add("www", "/labs/loop-a", b"", html_type, status=302, extra=[("Location", www + "labs/loop-b")])
        self.add("www", "/labs/loop-b", b"", html_type, status=302, extra=[("Location", www + "labs/loop-a")])
        head = b"<!DOCTYPE html><html><head><title>Annual ledger export</title></head><body><table>\n"
        row = b"<tr><td>2024-12-31</td><td>Accrued liabilities</td><td>1,204,331.18</td><td>USD</td></tr>\n"
        tail = b"</table></body></html>\n"
        rows = (OVERSIZED_BYTES - len(head) - len(tail)) // len(row)
        filler = b" " * (OVERSIZED_BYTES - len(head) - len(tail) - rows * len(row))
        self.add("www", "/labs/annual-report", head + row * rows + filler + tail, html_type)
        drip = (
            b"<!DOCTYPE html><html><head><title>Live payment feed</title></head><body><p>Waiting for payments"
            + b"." * 80
        )
        self.add("www", "/labs/live-feed", drip + b"</p></body></html>\n", html_type, behaviour="drip")
        self.add(
            "www",
            "/labs/archive",
            _gzip_bomb(),
            html_type,
            extra=[("Content-Encoding", "gzip")],
            behaviour="gzip-bomb",
        )
        self.add("www", "/labs/export", random.Random(f"{self.seed}:binary").randbytes(64 * 1024), html_type)
        self.add(
            "www",
            "/labs/flaky",
            b"<!DOCTYPE html><html><body><h1>Internal Server Error</h1></body></html>",
            html_type,
            status=500,
        )
        self.add(
            "www",
            "/labs/busy",
            b"<!DOCTYPE html><html><head><title>Forecast sandbox</title></head><body>"
            b"<h1>Forecast sandbox</h1><p>The sandbox is ready.</p></body></html>\n",
            html_type,
            behaviour="throttle",
        )
        broken = (
            '<html><head><title>Legacy report viewer</head><body><div class="report"><table><tr><td>Q1<td>Q2'
            '<p>Totals <b><i>for the year</b></i> <a href="/labs/broken?x=1&y=<2">next</a> &notanentity; '
            "<div><span>unclosed<p>paragraph <!-- an unterminated comment <script>var x = '</div>"
            '<img src="x.png" alt="unterminated attribute><ul><li>one<li>two</table></body>'
        )
        self.add("www", "/labs/broken", broken.encode(), html_type)
        links = "".join(
            f'<li><a href="/{path.lstrip("/")}">{_esc(title)}</a></li>' for _, path, title, _, _ in entries
        )
        self.www_page(
            "/labs",
            f"Labs | {COMPANY}",
            "Experimental features.",
            f"<h1>Northwind Labs</h1><p>Experiments that are not ready for everyone.</p><ul>{links}</ul>",
            cls=None,
        )
        self.hostile = {
            "index": self.url("www", "/labs"),
            "pages": [
                {
                    "name": name,
                    "url": self.url("www", path),
                    "behaviour": behaviour,
                    "expected": expected,
                    "status": self.responses[(self.hosts["www"], path)].status,
                }
                for name, path, _, behaviour, expected in entries
            ],
        }

    # -- DNS -----------------------------------------------------------------------------------------------------------

    def build_zone(self) -> None:
        d = self.domain
        tokens = {
            "Google": f"google-site-verification={_token(self.seed, 'google-verify', 43)}",
            "Atlassian": f"atlassian-domain-verification={_token(self.seed, 'atlassian', 40)}",
            "Stripe": f"stripe-verification={_token(self.seed, 'stripe', 64)}",
            "HubSpot": f"hubspot-developer-verification={_token(self.seed, 'hubspot', 48)}",
            "OneTrust": f"onetrust-domain-verification={_token(self.seed, 'onetrust-dns', 32)}",
            "DocuSign": f"docusign={_token(self.seed, 'docusign', 8)}-{_token(self.seed, 'docusign2', 4)}",
            "Segment": f"segment-site-verification={_token(self.seed, 'segment-dns', 32)}",
            "Atlassian Statuspage": f"status-page-domain-verification={_token(self.seed, 'statuspage', 12)}",
            "Zoom": f"ZOOM_verify_{_token(self.seed, 'zoom', 22)}",
        }
        spf = "v=spf1 include:_spf.google.com include:sendgrid.net include:hubspotemail.net -all"
        dmarc = (
            f"v=DMARC1; p=quarantine; pct=100; rua=mailto:dmarc@{d},mailto:nwl@reports.dmarcwatch.test; "
            f"ruf=mailto:dmarc-forensics@{d}; adkim=s; aspf=r; fo=1"
        )
        mta_sts_id = "20250601T000000"
        tls_rpt = f"v=TLSRPTv1; rua=mailto:tls-reports@{d}"
        bimi = f"v=BIMI1; l={self.url('www', '/brand/bimi-logo.svg')}"
        mx = [
            (1, "aspmx.l.google.com"),
            (5, "alt1.aspmx.l.google.com"),
            (5, "alt2.aspmx.l.google.com"),
            (10, "alt3.aspmx.l.google.com"),
            (10, "alt4.aspmx.l.google.com"),
        ]
        ns = [
            "ns-1321.awsdns-37.org",
            "ns-412.awsdns-51.com",
            "ns-1950.awsdns-51.co.uk",
            "ns-781.awsdns-33.net",
        ]
        caa = [
            '0 issue "letsencrypt.org"',
            '0 issue "amazon.com"',
            '0 issuewild ";"',
            f'0 iodef "mailto:security@{d}"',
        ]
        cnames = {
            f"www.{d}": ("d3nwl7k2q9x8ab.cloudfront.net", "Amazon CloudFront"),
            f"docs.{d}": (f"docs.{d}.cdn.cloudflare.net", "Cloudflare"),
            f"status.{d}": (f"{_token(self.seed, 'stspg', 12)}.stspg-customer.com", "Atlassian Statuspage"),
            f"api.{d}": ("nwl-api-prod-1820733415.us-east-1.elb.amazonaws.com", "AWS Elastic Load Balancing"),
        }
        zone: dict[str, dict[str, list[str]]] = {
            d: {
                "A": ["{ip}"],
                "NS": [f"{n}." for n in ns],
                "SOA": [f"{ns[0]}. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"],
                "MX": [f"{pref} {host}." for pref, host in mx],
                "TXT": [_txt(spf), *(_txt(t) for t in tokens.values())],
                "CAA": caa,
            },
            f"_dmarc.{d}": {"TXT": [_txt(dmarc)]},
            f"google._domainkey.{d}": {"TXT": [_txt(f"v=DKIM1; k=rsa; p={DKIM_GOOGLE_2048}")]},
            f"s1._domainkey.{d}": {"TXT": [_txt(f"v=DKIM1; k=rsa; p={DKIM_S1_1024}")]},
            f"_mta-sts.{d}": {"TXT": [_txt(f"v=STSv1; id={mta_sts_id}")]},
            f"_smtp._tls.{d}": {"TXT": [_txt(tls_rpt)]},
            f"default._bimi.{d}": {"TXT": [_txt(bimi)]},
            f"trust.{d}": {"A": ["{ip}"]},
            f"mta-sts.{d}": {"A": ["{ip}"]},
            JOB_BOARD_HOST: {"A": ["{ip}"]},
            f"{d}._report._dmarc.reports.dmarcwatch.test": {"TXT": [_txt("v=DMARC1")]},
            "_spf.google.com": {"TXT": [_txt("v=spf1 include:_netblocks.google.com ~all")]},
            "_netblocks.google.com": {"TXT": [_txt("v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 ~all")]},
            "sendgrid.net": {"TXT": [_txt("v=spf1 ip4:203.0.113.0/25 ~all")]},
            "hubspotemail.net": {"TXT": [_txt("v=spf1 ip4:203.0.113.128/25 ~all")]},
        }
        for name, (target, _) in cnames.items():
            zone[name] = {"CNAME": [f"{target}."]}
            zone[target] = {"A": ["{ip}"]}
        for _, host in mx:
            zone[host] = {"A": ["{ip}"]}
        self.zone = zone
        for slug, kind, value in [
            ("google-workspace", "dns", "MX aspmx.l.google.com"),
            ("amazon-route-53", "dns", "NS awsdns"),
            ("sendgrid", "dns", "TXT include:sendgrid.net"),
            ("amazon-cloudfront", "dns", "CNAME cloudfront.net"),
            ("cloudflare", "dns", "CNAME cdn.cloudflare.net"),
            ("atlassian-statuspage", "dns", "CNAME stspg-customer.com"),
            ("amazon-web-services", "dns", "CNAME elb.amazonaws.com"),
        ]:
            self.signal(slug, kind, value, "dns")
        self.dns_facts = {
            "nameservers": ns,
            "dns_provider": "Amazon Route 53",
            "mx": [{"preference": p, "host": h} for p, h in mx],
            "mail_provider": "Google Workspace",
            "spf": {
                "record": spf,
                "includes": ["_spf.google.com", "sendgrid.net", "hubspotemail.net"],
                "dns_lookups": 4,
                "all": "-all",
            },
            "dmarc": {
                "record": dmarc,
                "p": "quarantine",
                "pct": 100,
                "rua": [f"dmarc@{d}", "nwl@reports.dmarcwatch.test"],
                "external_rua_authorised": True,
            },
            "dkim": [
                {"selector": "google", "key_type": "rsa", "bits": 2048},
                {"selector": "s1", "key_type": "rsa", "bits": 1024},
            ],
            "caa": caa,
            "mta_sts": {
                "record": f"v=STSv1; id={mta_sts_id}",
                "policy_url": self.url("mta-sts", "/.well-known/mta-sts.txt"),
                "mode": "enforce",
                "max_age": 604800,
                "mx": ["aspmx.l.google.com", "*.aspmx.l.google.com"],
            },
            "tls_rpt": tls_rpt,
            "bimi": {"record": bimi, "logo_served": False},
            "dnssec": False,
            "verification_tokens": [{"vendor": v, "record": t} for v, t in tokens.items()],
            "cnames": {
                name: {"target": target, "attribution": who} for name, (target, who) in cnames.items()
            },
        }

    # -- the manifest ------------------------------------------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        tech = []
        for name, slug, category, version in TECHNOLOGIES:
            signals = self.signals[slug]
            if slug == "nginx":
                signals = [{"type": "header", "value": f"Server: nginx/{version}", "where": "www:*"}]
            elif slug == "next-js":
                signals = [{"type": "header", "value": "X-Powered-By: Next.js", "where": "www:*"}, *signals]
            elif slug == "react":
                signals = [*signals, {"type": "implied", "value": "Next.js", "where": "www:*"}]
            elif slug == "amazon-cloudfront":
                signals = [
                    {"type": "header", "value": "X-Amz-Cf-Pop / Via: CloudFront", "where": "www:*"},
                    *signals,
                ]
            elif slug == "cloudflare":
                signals = [
                    {"type": "header", "value": "Server: cloudflare; CF-RAY", "where": "docs:*"},
                    {"type": "cookie", "value": "__cf_bm", "where": "docs:*"},
                    *signals,
                ]
            elif slug == "onetrust":
                signals = [
                    *signals,
                    {"type": "dns", "value": "TXT onetrust-domain-verification", "where": "dns"},
                ]
            tech.append(
                {
                    "name": name,
                    "slug": slug,
                    "category": category,
                    "version": version,
                    "signals": signals,
                    "end_of_life": END_OF_LIFE.get(slug),
                }
            )
        functions: dict[str, int] = {}
        locations: dict[str, int] = {}
        for _, function, _, location, _ in ROLES:
            functions[function] = functions.get(function, 0) + 1
            locations[location] = locations.get(location, 0) + 1
        html_pages = {cls: urls for cls, urls in self.pages.items()}
        return {
            "company": {
                "name": COMPANY,
                "legal_name": LEGAL_NAME,
                "domain": self.domain,
                "founding_date": FOUNDING_DATE,
                "address": ADDRESS,
                "offices": OFFICES,
                "employees": EMPLOYEES,
                "phone": PHONE,
                "same_as": SOCIAL_PROFILES,
                "logo": self.url("www", "/brand/logo.svg"),
                "contracting_entity": self.contracting_entity,
                "copyright": f"© {self.as_of.year} {LEGAL_NAME}",
            },
            "as_of": self.as_of.isoformat(),
            "hosts": dict(self.hosts),
            "home": self.url("www"),
            "page_count": sum(len(urls) for urls in html_pages.values()),
            "fixed_page_count": FIXED_PAGES,
            "pages": html_pages,
            "documents": self.documents,
            "redirects": [{"from": self.url("apex"), "to": self.url("www"), "status": 301}],
            "robots": {
                "url": self.documents["robots_www"],
                "disallow": DISALLOWED_PREFIX,
                "disallowed_urls": [self.url("www", DISALLOWED_PAGE)],
                "crawl_delay": CRAWL_DELAY_SECONDS,
            },
            "sitemaps": self.sitemap_facts,
            "hreflang": ["en", *LOCALES, "x-default"],
            "technologies": tech,
            "compliance": {"claims": self.claims, "disclaimed": self.disclaimed},
            "policies": {
                "privacy": {
                    "url": self.url("www", "/privacy"),
                    "last_updated": (self.as_of - timedelta(days=120)).isoformat(),
                    "gdpr_section": True,
                    "ccpa_section": True,
                    "do_not_sell": True,
                },
                "terms": self.url("www", "/terms"),
                "dpa": self.url("www", "/legal/dpa"),
                "cookie_policy": self.url("www", "/cookie-policy"),
                "consent_platform": "OneTrust",
                "subprocessors": {
                    "url": self.url("www", "/legal/subprocessors"),
                    "count": len(SUBPROCESSORS),
                    "names": [n for n, _, _ in SUBPROCESSORS],
                },
            },
            "trust": {
                "trust_center": self.url("trust"),
                "status_page": self.url("status"),
                "security_txt": self.security_txt,
                "disclosure": self.url("www", "/security/disclosure"),
                "bug_bounty": "private programme (no platform named)",
                "security_contact": f"security@{self.domain}",
                "sla": UPTIME_SLA,
            },
            "status": {
                "url": self.url("status"),
                "provider": "Atlassian Statuspage",
                "components": STATUS_COMPONENTS,
                "uptime_claim": UPTIME_CLAIM,
                "incidents": self.incidents(),
            },
            "roles": [
                {
                    "title": t,
                    "function": f,
                    "department": dep,
                    "location": loc,
                    "stack": stack,
                    "remote": loc.startswith("Remote"),
                    "url": self.url("jobs", f"/{JOB_BOARD_TOKEN}/jobs/{self.job_id(i)}"),
                }
                for i, (t, f, dep, loc, stack) in enumerate(ROLES)
            ],
            "hiring": {
                "ats": "HireBoard",
                "board_url": self.url("jobs", f"/{JOB_BOARD_TOKEN}"),
                "api_url": self.documents["jobs_json"],
                "careers_url": self.url("www", "/careers"),
                "open_roles": len(ROLES),
                "by_function": functions,
                "by_location": locations,
            },
            "leaders": [{"name": n, "title": t} for n, t in LEADERS],
            "customers": [
                {
                    "name": c["name"],
                    "industry": c["industry"],
                    "logo_alt": f"{c['name']} logo",
                    "case_study_url": self.url("www", f"/customers/{c['slug']}") if c["case_study"] else None,
                }
                for c in self.customers
            ],
            "integrations": {
                "url": self.url("www", "/integrations"),
                "count": len(self.integrations),
                "categories": sorted({i["category"] for i in self.integrations}),
            },
            "pricing": {
                "url": self.url("www", "/pricing"),
                "plan_count": len(PLANS),
                "free_tier": True,
                "trial_days": TRIAL_DAYS,
                "per_seat": True,
                "enterprise_contact_sales": True,
                "currency": "USD",
                "annual_discount": True,
                "lowest_price": 0,
                "highest_listed_price": max(p[2] or 0 for p in PLANS),
                "plans": [{"name": n, "annual_per_seat": a, "monthly_per_seat": m} for n, a, m, _ in PLANS],
                "billing_technology": "Stripe",
            },
            "developer": {
                "openapi": self.openapi_facts,
                "api_reference": self.url("docs", "/api-reference"),
                "webhooks": {
                    "url": self.url("docs", "/webhooks"),
                    "events": len(self.webhook_events),
                    "signature_header": "Northwind-Signature",
                    "retries": 8,
                },
                "sdks": [{"language": lang, "registry": reg, "package": pkg} for lang, reg, pkg in SDKS],
                "github": "https://github.com/northwind-ledger",
            },
            "changelog": {
                "url": self.url("www", "/changelog"),
                "feed": self.documents["changelog_feed"],
                "dates": [e["date"].isoformat() for e in self.changelog],
            },
            "blog": {"url": self.url("www", "/blog"), "dates": [p["date"].isoformat() for p in self.blog]},
            "headers": {label: {k: v for k, v in headers} for label, headers in self._base.items()},
            "cookies": self._cookies,
            "dns": self.dns_facts,
            "hostile": self.hostile if self.include_hostile else None,
        }


SDKS = [
    ("Python", "PyPI", "northwind-ledger"),
    ("JavaScript", "npm", "@northwind-ledger/node"),
    ("Ruby", "RubyGems", "northwind_ledger"),
    ("Go", "pkg.go.dev", "github.com/northwind-ledger/go-sdk"),
]


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
    builder = _Builder(domain.lower().rstrip("."), port, scheme, pages, include_hostile, seed, as_of)
    builder.build_www()
    builder.build_docs()
    builder.build_status()
    builder.build_trust()
    builder.build_jobs()
    builder.build_misc_hosts()
    if include_hostile:
        builder.build_hostile()
    builder.build_zone()
    manifest = builder.manifest()
    manifest["bot_protection"] = challenge_host.install(builder)
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
        zone_template=builder.zone,
    )
