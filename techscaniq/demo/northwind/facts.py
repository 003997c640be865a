"""Northwind Ledger's fixed facts: the company, its people, products, technologies and the sizes of the site.

Everything a builder plants on the demo site comes from here or from the seeded generators in `common`; the
manifest (`manifest.py`) records where each fact ended up, and tests assert against the manifest."""

from __future__ import annotations

from datetime import date

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


SDKS = [
    ("Python", "PyPI", "northwind-ledger"),
    ("JavaScript", "npm", "@northwind-ledger/node"),
    ("Ruby", "RubyGems", "northwind_ledger"),
    ("Go", "pkg.go.dev", "github.com/northwind-ledger/go-sdk"),
]
