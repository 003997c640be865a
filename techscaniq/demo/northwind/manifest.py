"""The manifest: every planted fact in one JSON-serialisable place, for tests to assert against."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from techscaniq.demo.northwind.builder import SiteBuilder
from techscaniq.demo.northwind.facts import (
    ADDRESS,
    COMPANY,
    CRAWL_DELAY_SECONDS,
    DISALLOWED_PAGE,
    DISALLOWED_PREFIX,
    EMPLOYEES,
    END_OF_LIFE,
    FIXED_PAGES,
    FOUNDING_DATE,
    JOB_BOARD_TOKEN,
    LEADERS,
    LEGAL_NAME,
    LOCALES,
    OFFICES,
    PHONE,
    PLANS,
    ROLES,
    SDKS,
    SOCIAL_PROFILES,
    STATUS_COMPONENTS,
    SUBPROCESSORS,
    TECHNOLOGIES,
    TRIAL_DAYS,
    UPTIME_CLAIM,
    UPTIME_SLA,
)


class Manifest(SiteBuilder):
    """The manifest."""

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
