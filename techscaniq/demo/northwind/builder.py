"""The Northwind site builder's shared state, plumbing (responses, pages, signals, claims), headers and layouts."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from techscaniq.demo.northwind.common import combinations, esc, scaled_counts, seeded_token, slugify, title_of
from techscaniq.demo.northwind.facts import (
    ADDRESS,
    AUDIENCES,
    BLOG_FORMS,
    CHANGELOG_AREAS,
    CHANGELOG_FEATURES,
    COMPANY,
    CUSTOMER_KINDS,
    CUSTOMER_PREFIXES,
    DISALLOWED_PAGE,
    EMPLOYEES,
    FOUNDING_DATE,
    GUIDE_FORMS,
    INCIDENTS,
    INTEGRATION_KINDS,
    INTEGRATION_PREFIXES,
    JOB_BOARD_HOST,
    LEADERS,
    LEGAL_NAME,
    LOCALES,
    PAGE_CLASSES,
    PHONE,
    SENTENCES,
    SOCIAL_PROFILES,
    SUBDOMAIN_LABELS,
    TECH_IDS,
    TECHNOLOGIES,
    TOPICS,
)
from techscaniq.demo.site_model import SiteResponse, origin_url


class SiteBuilder:
    """The state every host builder writes into, and the plumbing and layouts they share."""

    # Facts set by one host's builder and read by the manifest.
    contracting_entity: str
    sitemap_facts: dict[str, Any]
    security_txt: dict[str, Any]
    webhook_events: list[str]
    openapi_facts: dict[str, Any]
    disclaimed: list[dict[str, str]]
    zone: dict[str, dict[str, list[str]]]
    dns_facts: dict[str, Any]

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
        self.nonce = seeded_token(seed, "nonce", 22)
        self.not_found: dict[str, SiteResponse] = {}
        self.gates: dict[str, tuple[str, SiteResponse]] = {}  # host: (passing cookie, challenge)
        self.hostile: dict[str, Any] = {}
        self.counts = scaled_counts(pages)
        # Hosts added by plug-in modules (techscaniq.demo.hosts): their DNS records and planted facts.
        self.extra_zone: dict[str, dict[str, list[str]]] = {}
        self.extra_manifest: dict[str, Any] = {}
        self._content()

    # -- plumbing ------------------------------------------------------------------------------------------------

    def add_host(self, label: str, host: str, headers: Iterable[tuple[str, str]] = ()) -> None:
        """Serve `host` under `label` with these headers on every response, and an A record to the serving address."""
        self.hosts[label] = host
        self._base[label] = list(headers)
        self.extra_zone[host] = {"A": ["{ip}"]}

    def url(self, label: str, path: str = "/") -> str:
        return origin_url(self.scheme, self.hosts[label], self.port) + path

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
        session, csrf = seeded_token(self.seed, "session", 32), seeded_token(self.seed, "csrf", 32)
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
                "value": f"__cf_bm={seeded_token(self.seed, 'cfbm', 40)}; path=/; expires=Fri, 01-Jan-2038 00:00:00 GMT; "
                f"domain=.{self.domain}; HttpOnly; Secure; SameSite=None",
                "secure": True,
                "httponly": True,
                "samesite": "None",
            },
            {
                "host": "docs",
                "name": "docs_visitor",
                "value": f"docs_visitor={seeded_token(self.seed, 'visitor', 16)}; Path=/",
                "secure": False,
                "httponly": False,
                "samesite": None,
            },
            {
                "host": "jobs",
                "name": "_hireboard_session",
                "value": f"_hireboard_session={seeded_token(self.seed, 'hb', 32)}; path=/; HttpOnly",
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
                ("X-Amz-Cf-Id", seeded_token(self.seed, "cfid", 40)),
            ],
            "docs": [
                ("Server", "cloudflare"),
                ("CF-RAY", seeded_token(self.seed, "ray", 16) + "-SEA"),
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
            combinations(rng, self.counts["blog"], BLOG_FORMS, TOPICS, AUDIENCES)
        ):
            title = title_of(form, topic) + audience
            day = self.as_of - timedelta(days=2 + i * 6 + rng.randrange(3))
            self.blog.append(
                {
                    "title": title,
                    "topic": topic,
                    "slug": slugify(title),
                    "date": day,
                    "author": LEADERS[rng.randrange(len(LEADERS))][0],
                }
            )
        self.guides: list[dict[str, Any]] = []
        for form, topic in combinations(rng, self.counts["guides"], GUIDE_FORMS, TOPICS):
            title = title_of(form, topic)
            self.guides.append({"title": title, "topic": topic, "slug": slugify(title)})
        self.changelog: list[dict[str, Any]] = []
        day = self.as_of - timedelta(days=3)
        for feature, area in combinations(rng, self.counts["changelog"], CHANGELOG_FEATURES, CHANGELOG_AREAS):
            title = f"{area}: {feature[:1].lower()}{feature[1:]}"
            self.changelog.append(
                {"title": title, "area": area, "date": day, "slug": f"{day.isoformat()}-{slugify(title)}"}
            )
            day -= timedelta(days=4 + rng.randrange(10))
        self._plan_integrations_and_customers()

    def _plan_integrations_and_customers(self) -> None:
        rng = self.rng
        self.integrations: list[dict[str, Any]] = []
        kinds = [f"{noun}|{category}" for noun, category in INTEGRATION_KINDS]
        for prefix, kind in combinations(rng, self.counts["integrations"], INTEGRATION_PREFIXES, kinds):
            noun, category = kind.split("|")
            name = f"{prefix} {noun}"
            self.integrations.append({"name": name, "category": category, "slug": slugify(name)})
        self.customers: list[dict[str, Any]] = []
        kinds = [f"{suffix}|{industry}" for suffix, industry in CUSTOMER_KINDS]
        logo_only = 8
        picks = combinations(rng, self.counts["case_studies"] + logo_only, CUSTOMER_PREFIXES, kinds)
        for i, (prefix, kind) in enumerate(picks):
            suffix, industry = kind.split("|")
            name = f"{prefix} {suffix}"
            self.customers.append(
                {"name": name, "industry": industry, "slug": slugify(name), "case_study": i >= logo_only}
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
            out.append(f"<p>{esc(text)}</p>")
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
        segment_key = seeded_token(self.seed, "segment", 32)
        sentry = TECH_IDS["sentry_version"]
        onetrust = "0190a6e2-4c1d-7b3e-9f58-" + seeded_token(self.seed, "onetrust", 12)
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
<script nonce="{n}">Sentry.init({{dsn: "https://{seeded_token(self.seed, "dsn", 32)}@o450517.ingest.sentry.io/4505117", tracesSampleRate: 0.1}});</script>"""

    def www_scripts_body(self, where: str, page_id: str) -> str:
        n = self.nonce
        build = "nwl-" + seeded_token(self.seed, "build", 12)
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
        build = "nwl-" + seeded_token(self.seed, "build", 12)
        names = ["webpack", "framework", "main", "pages/_app"]
        paths = [f"/_next/static/chunks/{name}-{seeded_token(self.seed, name, 16)}.js" for name in names]
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
        links = "".join(f'<li><a href="{href}">{esc(text)}</a></li>' for href, text in items)
        return (
            '<header class="site-header"><a class="brand" href="/"><img src="/brand/logo.svg" alt="Northwind Ledger" '
            f'width="180" height="32"></a><nav aria-label="Main"><ul>{links}</ul></nav>'
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
                f'<li><a href="{self.url("www", href) if href.startswith("/") else href}">{esc(text)}</a></li>'
                for href, text in links
            )
            parts.append(f'<div class="footer-column"><h4>{heading}</h4><ul>{items}</ul></div>')
        social = "".join(
            f'<a href="{url}" rel="me noopener">{esc(url.split("/")[2].removeprefix("www."))}</a> '
            for url in SOCIAL_PROFILES
        )
        return (
            f'<footer class="site-footer">{"".join(parts)}<div class="social">{social}</div>'
            f"<p>&copy; {self.as_of.year} {esc(LEGAL_NAME)} All rights reserved. "
            f"{esc(ADDRESS['streetAddress'])}, {ADDRESS['addressLocality']}, {ADDRESS['addressRegion']} "
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
<title>{esc(title)}</title>
<meta name="description" content="{esc(description)}">
{meta_robots}<link rel="canonical" href="{url}">
<meta property="og:site_name" content="{COMPANY}">
<meta property="og:type" content="website">
<meta property="og:title" content="{esc(title)}">
<meta property="og:description" content="{esc(description)}">
<meta property="og:url" content="{url}">
<meta property="og:image" content="{self.url("www", "/brand/og-card.png")}">
<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:site" content="@northwindledger">
{alternates}
<link rel="icon" href="/brand/logo.svg" type="image/svg+xml">
<link rel="stylesheet" href="/_next/static/css/{seeded_token(self.seed, "css", 16)}.css">
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
<title>{esc(title)}</title>
<link rel="canonical" href="{self.url(label, path)}">
<meta property="og:site_name" content="{COMPANY}">
<meta property="og:title" content="{esc(title)}">
{head}
</head>
<body>
<header class="host-header"><a href="{www}">{COMPANY}</a>{nav}</header>
<main>
{main}
</main>
<footer class="host-footer"><a href="{www}privacy">Privacy</a> <a href="{www}terms">Terms</a>
<a href="{www}security">Security</a> <a href="{self.url("status")}">Status</a>
<p>&copy; {self.as_of.year} {esc(LEGAL_NAME)}</p></footer>
</body>
</html>
"""
        self.page(label, path, cls, document, lastmod)

    # -- shared by several hosts ---------------------------------------------------------------------------------

    def vanta_badge(self, where: str) -> str:
        self.signal("vanta", "html", "https://app.vanta.com/northwind-ledger/trust", where)
        return (
            '<a class="vanta-trust-badge" href="https://app.vanta.com/northwind-ledger/trust/6q2k9d1x0v" '
            'rel="noopener"><img src="https://static.vanta.com/badges/soc2-type2.svg" '
            'alt="SOC 2 Type II compliance verified by Vanta" width="96" height="96"></a>'
        )

    def job_id(self, index: int) -> int:
        return 4100000 + index * 137 + self.seed

    def sitemap(self, urls: list[str]) -> bytes:
        body = '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        body += "".join(f"<url><loc>{u}</loc><lastmod>{self.lastmod[u]}</lastmod></url>\n" for u in urls)
        return (body + "</urlset>\n").encode()

    def incidents(self) -> list[dict[str, Any]]:
        out = []
        for days, name, impact, minutes in INCIDENTS:
            start = self.as_of - timedelta(days=days)
            out.append(
                {
                    "id": seeded_token(self.seed, name, 12),
                    "name": name,
                    "impact": impact,
                    "status": "resolved",
                    "started": f"{start.isoformat()}T14:05:00Z",
                    "resolved": f"{start.isoformat()}T{14 + (5 + minutes) // 60:02d}:{(5 + minutes) % 60:02d}:00Z",
                }
            )
        return out
