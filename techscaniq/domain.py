"""Domain vocabulary shared by storage, API, pipeline and UI: one enum per concept."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ScanStatus(StrEnum):
    """Lifecycle of a scan; the only vocabulary used by the DB, the API and the UI."""

    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        """True once nothing more will happen to the scan."""
        return self in {ScanStatus.COMPLETED, ScanStatus.FAILED, ScanStatus.CANCELLED}


class StepStatus(StrEnum):
    """Lifecycle of one pipeline step."""

    WAITING = "waiting"
    ACTIVE = "active"
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def is_final(self) -> bool:
        """True once the step will not run again without a retry request."""
        return self in {StepStatus.COMPLETED, StepStatus.FAILED, StepStatus.SKIPPED}


class StepName(StrEnum):
    """The two steps of a scan, in chain order."""

    EVIDENCE = "evidence"
    REPORT = "report"


class EvidenceCategory(StrEnum):
    """Where an evidence item belongs (docs/evidence.md)."""

    PAGES = "pages"
    TECHNOLOGY = "technology"
    SECURITY = "security"
    TLS = "tls"
    DNS_EMAIL = "dns_email"
    COMPLIANCE = "compliance"
    DEVELOPER = "developer"
    HIRING = "hiring"
    BUSINESS = "business"
    PERFORMANCE = "performance"
    COLLECTION = "collection"


class EvidenceType(StrEnum):
    """Every kind of evidence item; a new kind is added here (the database stores the value)."""

    # pages and discovery
    PAGE = "page"
    HTTP_RESPONSE = "http_response"
    ROBOTS_TXT = "robots_txt"
    SITEMAP = "sitemap"
    LINK_SUMMARY = "link_summary"
    CRAWL_SUMMARY = "crawl_summary"
    FETCH_FAILURE = "fetch_failure"
    BOT_PROTECTION = "bot_protection"
    RENDERED_PAGE = "rendered_page"
    SCREENSHOT = "screenshot"
    RENDER_SUMMARY = "render_summary"
    # technology
    TECHNOLOGY = "technology"
    SERVER_DISCLOSURE = "server_disclosure"
    HOSTING = "hosting"
    GENERATOR = "generator"
    # security
    OBSERVATORY_SCORE = "observatory_score"
    OBSERVATORY_TEST = "observatory_test"
    SECURITY_HEADER = "security_header"
    COOKIE = "cookie"
    REDIRECT_CHAIN = "redirect_chain"
    CORS = "cors"
    MIXED_CONTENT = "mixed_content"
    SUBRESOURCE_INTEGRITY = "subresource_integrity"
    VERSION_DISCLOSURE = "version_disclosure"
    SECURITY_TXT = "security_txt"
    # tls
    TLS_PROTOCOLS = "tls_protocols"
    TLS_HANDSHAKE = "tls_handshake"
    TLS_CERTIFICATE = "tls_certificate"
    HSTS = "hsts"
    # dns and e-mail
    DNS_RECORDS = "dns_records"
    DNS_PROVIDER = "dns_provider"
    MAIL_PROVIDER = "mail_provider"
    SPF = "spf"
    DMARC = "dmarc"
    DKIM = "dkim"
    MTA_STS = "mta_sts"
    TLS_RPT = "tls_rpt"
    BIMI = "bimi"
    CAA = "caa"
    DNSSEC = "dnssec"
    SAAS_VERIFICATION = "saas_verification"
    # compliance and trust
    COMPLIANCE_CLAIM = "compliance_claim"
    POLICY = "policy"
    SUBPROCESSORS = "subprocessors"
    COOKIE_CONSENT = "cookie_consent"
    TRUST_CENTER = "trust_center"
    STATUS_PAGE = "status_page"
    DISCLOSURE_PROGRAM = "disclosure_program"
    SLA_CLAIM = "sla_claim"
    # developer and product
    API_DOCS = "api_docs"
    OPENAPI = "openapi"
    SDK = "sdk"
    CODE_REPOSITORY = "code_repository"
    WEBHOOKS = "webhooks"
    CHANGELOG = "changelog"
    INTEGRATIONS = "integrations"
    PRICING = "pricing"
    # hiring and team
    CAREERS_PAGE = "careers_page"
    ATS_PROVIDER = "ats_provider"
    JOB_POSTING = "job_posting"
    JOBS_SUMMARY = "jobs_summary"
    LEADER = "leader"
    # business facts
    ORGANIZATION = "organization"
    SOCIAL_PROFILE = "social_profile"
    CUSTOMERS = "customers"
    CASE_STUDY = "case_study"
    CONTACT_CHANNEL = "contact_channel"
    LOCALES = "locales"
    # performance
    PAGE_PERFORMANCE = "page_performance"
    SITE_PERFORMANCE = "site_performance"
    # collection bookkeeping
    COLLECTOR_RUN = "collector_run"
    COLLECTOR_ERROR = "collector_error"


class EventKind(StrEnum):
    """Entries of a scan's event log (also the SSE event types)."""

    PROGRESS = "progress"
    STEP = "step"
    EVIDENCE = "evidence"
    WARNING = "warning"
    DONE = "done"


@dataclass(frozen=True)
class EvidenceDraft:
    """An evidence item produced by a collector, before it is stored."""

    type: EvidenceType
    category: EvidenceCategory
    title: str
    summary: str
    data: dict[str, Any]
    source_url: str
    collector: str
    confidence: float
    dedup_key: str


@dataclass(frozen=True)
class Evidence:
    """A stored evidence item."""

    id: str
    scan_id: str
    type: str
    category: str
    title: str
    summary: str
    data: dict[str, Any]
    source_url: str
    collector: str
    confidence: float
    dedup_key: str
    collected_at: datetime

    def to_api(self) -> dict[str, Any]:
        """The API shape of an evidence item."""
        return {
            "id": self.id,
            "type": self.type,
            "category": self.category,
            "title": self.title,
            "summary": self.summary,
            "data": self.data,
            "source_url": self.source_url,
            "collector": self.collector,
            "confidence": self.confidence,
            "collected_at": self.collected_at.isoformat(),
        }


@dataclass(frozen=True)
class Step:
    """One step of a scan as stored."""

    name: StepName
    status: StepStatus
    task_id: str
    progress: int
    items_collected: int
    pages_fetched: int
    attempt: int
    deliveries: int
    owner: str | None
    lease_expires_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    error_code: str | None
    error_message: str | None
    phase: str | None
    # Deliveries since the last progress that ended in no clean exit: what the poison limit counts.
    crashes: int = 0


@dataclass(frozen=True)
class Scan:
    """A scan request and its current state."""

    id: str
    org_id: str
    company_name: str
    website_url: str
    primary_criteria: str
    thesis: dict[str, Any]
    thesis_tags: list[str]
    requestor_name: str | None
    organization_name: str | None
    company_description: str | None
    metadata: dict[str, Any]
    status: ScanStatus
    error_code: str | None
    error_message: str | None
    cancel_requested_at: datetime | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    created_by_key_id: str | None
    steps: dict[StepName, Step] = field(default_factory=dict)
    callback_url: str | None = None


@dataclass(frozen=True)
class Citation:
    """One claim of a report pointing at one evidence item of the same scan."""

    number: int
    claim: str
    section: str
    evidence_id: str


@dataclass(frozen=True)
class Report:
    """A stored report version."""

    id: str
    scan_id: str
    version: int
    content: dict[str, Any]
    writer: str
    created_at: datetime
    score: int | None
    grade: str | None
    citations: list[Citation] = field(default_factory=list)


@dataclass(frozen=True)
class ApiKey:
    """An API key as stored (never the secret itself)."""

    id: str
    org_id: str
    org_name: str
    label: str | None
    is_admin: bool
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class ScanEvent:
    """One row of a scan's event log."""

    scan_id: str
    seq: int
    at: datetime
    step: str | None
    kind: EventKind
    progress: int | None
    message: str
    data: dict[str, Any]


def with_article(name: str) -> str:
    """ "a Cloudflare", "an Akamai", "an AWS WAF": the vendor names used here all sound as they are spelled."""
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"
