"""A fictional company's evidence set (Northwind Ledger) for report tests, the benchmark and previews."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from techscaniq.domain import Evidence, Scan, ScanStatus
from techscaniq.evidence.fingerprints.eol import evaluate as end_of_life
from techscaniq.theses import resolve_thesis

SAMPLE_SCAN_ID = "00000000-0000-4000-8000-000000000001"
SAMPLE_COMPANY = "Northwind Ledger"
SAMPLE_SITE = "https://www.northwind-ledger.example"
_START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
_NAMESPACE = uuid.UUID("6f1c0e52-4bb5-4a38-9a54-0b0d1b7f0d11")

# (type, category, key, title, summary, data, path, confidence)
_Item = tuple[str, str, str, str, str, dict[str, Any], str, float]

_TECHNOLOGIES: tuple[tuple[str, str, str, list[str]], ...] = (
    ("react", "React", "18.2.0", ["JavaScript frameworks"]),
    ("next-js", "Next.js", "14.1.0", ["JavaScript frameworks", "Web frameworks"]),
    ("jquery", "jQuery", "1.12.4", ["JavaScript libraries"]),
    ("cloudflare", "Cloudflare", "", ["CDN"]),
    ("amazon-web-services", "Amazon Web Services", "", ["Cloud platforms"]),
    ("google-analytics", "Google Analytics", "GA4", ["Analytics"]),
    ("google-tag-manager", "Google Tag Manager", "", ["Tag managers"]),
    ("hubspot", "HubSpot", "", ["Marketing automation", "CRM"]),
    ("segment", "Segment", "", ["Customer data platforms", "Analytics"]),
    ("hotjar", "Hotjar", "", ["Session replay", "Analytics"]),
    ("intercom", "Intercom", "", ["Live chat"]),
    ("sentry", "Sentry", "7.100.0", ["Error tracking"]),
    ("datadog", "Datadog", "", ["APM and RUM"]),
    ("launchdarkly", "LaunchDarkly", "", ["Feature flags"]),
    ("auth0", "Auth0", "", ["Authentication"]),
    ("stripe", "Stripe", "", ["Payment processors"]),
    ("onetrust", "OneTrust", "", ["Cookie consent"]),
    ("nginx", "Nginx", "1.18.0", ["Web servers"]),
)


def _base_items() -> list[_Item]:
    items: list[_Item] = []
    for slug, name, version, categories in _TECHNOLOGIES:
        # Judged like the technology collector does, on the sample's collection day.
        eol = end_of_life(slug, version or None, _START.date())
        items.append(
            (
                "technology",
                "technology",
                slug,
                f"{name} detected",
                f"{name}{' ' + version if version else ''} is used on the site.",
                {
                    "slug": slug,
                    "name": name,
                    "version": version or None,
                    "categories": categories,
                    "end_of_life": None if eol is None else eol.ended,
                    "eol": None if eol is None else eol.to_data(),
                    "matches": [{"page": SAMPLE_SITE + "/", "field": "scriptSrc"}],
                },
                "/",
                0.9,
            )
        )
    headers = {
        "strict-transport-security": "max-age=31536000; includeSubDomains",
        "content-security-policy": None,
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        "referrer-policy": "strict-origin-when-cross-origin",
        "permissions-policy": None,
    }
    for header, value in headers.items():
        present = value is not None
        items.append(
            (
                "security_header",
                "security",
                f"www.northwind-ledger.example {header}",
                f"{header} {'present' if present else 'missing'} on the home page",
                f"{header}: {value}" if present else f"The home page sends no {header} header.",
                {
                    "host": "www.northwind-ledger.example",
                    "home": True,
                    "header": header,
                    "presence": "present" if present else "absent",
                    "value": value,
                },
                "/",
                0.95,
            )
        )
    items += [
        (
            "observatory_score",
            "security",
            "observatory",
            "HTTP Observatory score 55 (C)",
            "The HTTP Observatory algorithm scores the site 55, grade C.",
            {"score": 55, "grade": "C", "tests_passed": 9, "tests_failed": 3},
            "/",
            0.95,
        ),
        (
            "tls_certificate",
            "tls",
            "www.northwind-ledger.example",
            "TLS certificate valid for 74 days",
            "The certificate for www.northwind-ledger.example verifies, issued by Let's Encrypt.",
            {
                "status": "observed",
                "verified": True,
                "days_to_expiry": 74,
                "issuer_organization": "Let's Encrypt",
            },
            "/",
            0.95,
        ),
        (
            "tls_handshake",
            "tls",
            "www.northwind-ledger.example",
            "TLS 1.3 handshake",
            "www.northwind-ledger.example negotiated TLSv1.3 with ALPN h2.",
            {"status": "observed", "version": "TLSv1.3", "alpn": "h2", "http2": True},
            "/",
            1.0,
        ),
        (
            "tls_protocols",
            "tls",
            "www",
            "TLS 1.2 and 1.3 offered",
            "The server offers TLSv1.2 and TLSv1.3.",
            {"status": "observed", "offered": ["TLSv1.2", "TLSv1.3"], "legacy_offered": [], "tls13": True},
            "/",
            0.95,
        ),
        (
            "spf",
            "dns_email",
            "apex",
            "SPF record ends in -all",
            "v=spf1 include:_spf.google.com include:sendgrid.net -all",
            {"status": "observed", "all": "-all", "dns_lookups": 4},
            "/",
            0.95,
        ),
        (
            "dmarc",
            "dns_email",
            "apex",
            "DMARC policy none",
            "v=DMARC1; p=none; rua=mailto:dmarc@northwind-ledger.example",
            {"status": "observed", "p": "none", "pct": 100, "enforcing": False, "monitoring_only": True},
            "/",
            0.95,
        ),
        (
            "mail_provider",
            "dns_email",
            "mx",
            "Mail hosted by Google Workspace",
            "MX records point at Google Workspace.",
            {"status": "observed", "providers": ["Google Workspace"]},
            "/",
            0.9,
        ),
        (
            "hosting",
            "technology",
            "www",
            "Served through Cloudflare",
            "www resolves to Cloudflare's edge (cf-ray header).",
            {"host": "www.northwind-ledger.example", "provider": "Cloudflare", "kind": "CDN"},
            "/",
            0.9,
        ),
        (
            "hosting",
            "technology",
            "api",
            "API hosted on AWS",
            "api.northwind-ledger.example answers from AWS (x-amz-cf-id).",
            {"host": "api.northwind-ledger.example", "provider": "Amazon Web Services", "kind": "Cloud"},
            "/",
            0.8,
        ),
        (
            "dns_provider",
            "dns_email",
            "ns",
            "DNS hosted with Cloudflare",
            "NS records are Cloudflare name servers.",
            {"status": "observed", "providers": ["Cloudflare DNS"]},
            "/",
            0.95,
        ),
        (
            "dns_records",
            "dns_email",
            "api.northwind-ledger.example",
            "api.northwind-ledger.example resolves",
            "A record for the API host.",
            {"a": ["192.0.2.10"], "crawled": True},
            "/",
            0.95,
        ),
        (
            "dns_records",
            "dns_email",
            "eu.northwind-ledger.example",
            "eu.northwind-ledger.example resolves",
            "A record for the EU region host.",
            {"a": ["192.0.2.20"], "crawled": False},
            "/",
            0.95,
        ),
        (
            "site_performance",
            "performance",
            "site",
            "Site performance over the crawl",
            "Median first byte 180 ms over 40 pages; 96 % of pages compressed.",
            {
                "pages": 40,
                "median_first_byte_ms": 180,
                "median_page_bytes": 1400000,
                "error_rate": 0.01,
                "compressed_share": 0.96,
            },
            "/",
            0.9,
        ),
        (
            "status_page",
            "compliance",
            "status",
            "Public status page",
            "status.northwind-ledger.example runs Atlassian Statuspage.",
            {"provider": "Atlassian Statuspage", "incidents_last_90_days": 2},
            "/status",
            0.9,
        ),
        (
            "sla_claim",
            "compliance",
            "sla",
            "99.9 % uptime SLA",
            "Enterprise plans include a 99.9 % uptime SLA.",
            {"kind": "sla", "percent": 99.9},
            "/pricing",
            0.8,
        ),
        (
            "compliance_claim",
            "compliance",
            "soc2",
            "SOC 2 Type II",
            "Northwind Ledger has completed a SOC 2 Type II audit.",
            {"framework": "soc2", "name": "SOC 2 Type II"},
            "/security",
            0.8,
        ),
        (
            "compliance_claim",
            "compliance",
            "gdpr",
            "GDPR",
            "We process EU data in line with the GDPR.",
            {"framework": "gdpr", "name": "GDPR"},
            "/privacy",
            0.7,
        ),
        (
            "trust_center",
            "compliance",
            "trust",
            "Trust centre on Vanta",
            "trust.northwind-ledger.example lists policies.",
            {"platform": "Vanta", "fetched": True},
            "/trust",
            0.9,
        ),
        (
            "policy",
            "compliance",
            "privacy",
            "Privacy policy",
            "Privacy policy last updated 2024-11-02.",
            {"kind": "privacy", "last_updated": "2024-11-02"},
            "/privacy",
            0.9,
        ),
        (
            "subprocessors",
            "compliance",
            "subprocessors",
            "Subprocessor list",
            "14 subprocessors are listed.",
            {"count": 14},
            "/legal/subprocessors",
            0.9,
        ),
        (
            "hsts",
            "tls",
            "www.northwind-ledger.example",
            "HSTS for one year",
            "strict-transport-security: max-age=31536000; includeSubDomains",
            {"status": "observed", "present": True, "max_age": 31536000, "include_subdomains": True},
            "/",
            1.0,
        ),
        (
            "security_txt",
            "security",
            "security.txt",
            "security.txt published",
            "A security.txt names security@.",
            {"present": True},
            "/.well-known/security.txt",
            0.95,
        ),
        (
            "api_docs",
            "developer",
            "docs",
            "Developer documentation",
            "docs.northwind-ledger.example documents the REST API.",
            {"platforms": ["ReadMe"], "pages": 12},
            "/docs",
            0.9,
        ),
        (
            "openapi",
            "developer",
            "openapi",
            "OpenAPI 3.1 document",
            "The OpenAPI document lists 84 operations.",
            {"spec_version": "3.1.0", "path_count": 41, "operation_count": 84},
            "/docs/openapi.json",
            0.95,
        ),
        (
            "sdk",
            "developer",
            "python",
            "Python SDK",
            "A Python SDK is published.",
            {"registry": "pypi", "package": "northwind", "language": "Python"},
            "/docs",
            0.8,
        ),
        (
            "sdk",
            "developer",
            "node",
            "Node.js SDK",
            "A Node.js SDK is published.",
            {"registry": "npm", "package": "@northwind/sdk", "language": "JavaScript"},
            "/docs",
            0.8,
        ),
        (
            "webhooks",
            "developer",
            "webhooks",
            "Webhooks",
            "Webhooks are signed with HMAC-SHA256.",
            {"event_count": 23, "signature_algorithm": "HMAC-SHA256"},
            "/docs/webhooks",
            0.9,
        ),
        (
            "changelog",
            "developer",
            "changelog",
            "Changelog cadence",
            "9 releases in the last 90 days.",
            {
                "entries_last_90_days": 9,
                "entries_last_365_days": 31,
                "median_gap_days": 9,
                "latest": "2025-02-24",
            },
            "/changelog",
            0.85,
        ),
        (
            "integrations",
            "developer",
            "integrations",
            "Integrations directory",
            "The directory lists 46 integrations.",
            {"count": 46},
            "/integrations",
            0.85,
        ),
        (
            "pricing",
            "developer",
            "pricing",
            "Pricing",
            "Three plans priced in USD, EUR and GBP; self-serve trial.",
            {"plan_count": 3, "currencies": ["USD", "EUR", "GBP"], "free_trial": True, "trial_days": 14},
            "/pricing",
            0.85,
        ),
        (
            "careers_page",
            "hiring",
            "careers",
            "Careers page",
            "The careers page links to a Greenhouse board.",
            {"ats": "Greenhouse"},
            "/careers",
            0.9,
        ),
        (
            "ats_provider",
            "hiring",
            "greenhouse",
            "Greenhouse board",
            "Jobs are listed on Greenhouse.",
            {"provider": "Greenhouse"},
            "/careers",
            0.9,
        ),
        (
            "jobs_summary",
            "hiring",
            "jobs",
            "17 open roles",
            "17 open roles, 7 in engineering.",
            {"open_roles": 17, "by_function": {"engineering": 7, "sales": 5, "customer success": 5}},
            "/careers",
            0.8,
        ),
        (
            "leader",
            "hiring",
            "cto",
            "Priya Raman, CTO",
            "Priya Raman is Chief Technology Officer.",
            {"name": "Priya Raman", "title": "Chief Technology Officer"},
            "/about",
            0.8,
        ),
        (
            "organization",
            "business",
            "org",
            "Northwind Ledger Ltd",
            "Northwind Ledger Ltd, founded 2016, London.",
            {"name": "Northwind Ledger Ltd", "founded": 2016},
            "/about",
            0.9,
        ),
        (
            "locales",
            "business",
            "locales",
            "Site languages",
            "Pages are published in English, German and French.",
            {"languages": ["de", "en", "fr"]},
            "/",
            0.9,
        ),
        (
            "customers",
            "business",
            "logos",
            "Customer logos",
            "12 customer logos on the home page.",
            {"count": 12},
            "/customers",
            0.7,
        ),
    ]
    for n in range(1, 4):
        items.append(
            (
                "job_posting",
                "hiring",
                f"job-{n}",
                ("Senior Platform Engineer", "Manual QA Tester", "Backend Engineer")[n - 1],
                "An open role.",
                {
                    "title": ("Senior Platform Engineer", "Manual QA Tester", "Backend Engineer")[n - 1],
                    "stack": ["kubernetes", "terraform"] if n == 1 else [],
                },
                "/careers",
                0.6,
            )
        )
    for name, outcome, count, error in (
        ("homepage", "ok", 12, None),
        ("technology", "ok", 18, None),
        ("dns", "ok", 6, None),
        ("hiring", "ok", 5, None),
        ("github", "skipped", 0, {"code": "not_configured", "message": "no GitHub organisation link found"}),
        ("status_history", "failed", 0, {"code": "fetch_failed", "message": "status API answered 503"}),
    ):
        items.append(
            (
                "collector_run",
                "collection",
                name,
                f"Collector {name}: {outcome}",
                f"{name} finished {outcome}.",
                {"collector": name, "outcome": outcome, "items": count, "error": error},
                "/",
                1.0,
            )
        )
    return items


def _page_item(n: int) -> _Item:
    path = "/" if n == 0 else f"/resources/article-{n:04d}"
    return (
        "page",
        "pages",
        SAMPLE_SITE + path,
        f"Page {path}",
        f"Page {path} answered 200 with 640 words.",
        {"status": 200, "word_count": 640, "language": "en"},
        path,
        0.9,
    )


def sample_evidence(
    total: int | None = None,
    *,
    scan_id: str = SAMPLE_SCAN_ID,
    drop_types: frozenset[str] = frozenset(),
    extra: Mapping[str, Any] | None = None,
) -> list[Evidence]:
    """The sample company's evidence; `total` pads with crawled pages up to that many items."""
    items = [i for i in _base_items() if i[0] not in drop_types]
    n = 0
    while total is not None and len(items) < total:
        items.append(_page_item(n))
        n += 1
    if extra:
        items.extend(extra.get("items", []))
    out = []
    for index, (type_, category, key, title, summary, data, path, confidence) in enumerate(items):
        source = path if path.startswith("http") else SAMPLE_SITE + path
        out.append(
            Evidence(
                id=str(uuid.uuid5(_NAMESPACE, f"{scan_id}:{type_}:{key}")),
                scan_id=scan_id,
                type=type_,
                category=category,
                title=title,
                summary=summary,
                data=data,
                source_url=source,
                collector="sample@1",
                confidence=confidence,
                dedup_key=key,
                collected_at=_START + timedelta(seconds=index),
            )
        )
    return out


def sample_scan(
    thesis: str = "digital-transformation",
    *,
    company: str = SAMPLE_COMPANY,
    scan_id: str = SAMPLE_SCAN_ID,
    custom: Mapping[str, Any] | None = None,
) -> Scan:
    """A completed scan of the sample company under a thesis (a stock slug or custom thesis data)."""
    resolved = resolve_thesis(thesis, custom)
    return Scan(
        id=scan_id,
        org_id="org-sample",
        company_name=company,
        website_url=SAMPLE_SITE,
        primary_criteria=resolved.slug,
        thesis=resolved.to_dict(),
        thesis_tags=list(resolved.focus_areas),
        requestor_name="Sample Analyst",
        organization_name="Sample Capital",
        company_description=None,
        metadata={},
        status=ScanStatus.PROCESSING,
        error_code=None,
        error_message=None,
        cancel_requested_at=None,
        created_at=_START - timedelta(minutes=5),
        updated_at=_START,
        finished_at=None,
        created_by_key_id=None,
    )
