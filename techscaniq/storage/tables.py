"""SQLAlchemy table definitions; portable column types only (SQLite and PostgreSQL run the same code)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Timestamp = DateTime(timezone=True)

organizations = Table(
    "organizations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", Timestamp, nullable=False),
    Column("webhook_secret", String(128)),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), ForeignKey("organizations.id"), nullable=False, index=True),
    Column("label", String(200)),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("prefix", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", Timestamp, nullable=False),
    Column("revoked_at", Timestamp),
)

scans = Table(
    "scans",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), ForeignKey("organizations.id"), nullable=False),
    Column("created_by_key_id", String(36)),
    Column("company_name", String(300), nullable=False),
    Column("website_url", String(2048), nullable=False),
    Column("primary_criteria", String(100), nullable=False),
    Column("thesis", JSON, nullable=False),
    Column("thesis_tags", JSON, nullable=False),
    Column("requestor_name", String(300)),
    Column("organization_name", String(300)),
    Column("company_description", Text),
    Column("metadata", JSON, nullable=False),
    Column("callback_url", String(2048)),
    Column("status", String(20), nullable=False),
    Column("error_code", String(64)),
    Column("error_message", Text),
    Column("cancel_requested_at", Timestamp),
    Column("last_event_seq", Integer, nullable=False, default=0),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Column("finished_at", Timestamp),
    Index("ix_scans_org_created", "org_id", "created_at"),
    Index("ix_scans_status", "status"),
)

scan_steps = Table(
    "scan_steps",
    metadata,
    Column("scan_id", String(36), ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(20), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("task_id", String(100), nullable=False),
    Column("progress", Integer, nullable=False, default=0),
    Column("items_collected", Integer, nullable=False, default=0),
    Column("pages_fetched", Integer, nullable=False, default=0, server_default="0"),
    Column("phase", String(100)),
    Column("attempt", Integer, nullable=False, default=1),
    Column("deliveries", Integer, nullable=False, default=0),
    Column("crashes", Integer, nullable=False, default=0, server_default="0"),
    Column("owner", String(200)),
    Column("lease_expires_at", Timestamp),
    Column("started_at", Timestamp),
    Column("finished_at", Timestamp),
    Column("error_code", String(64)),
    Column("error_message", Text),
    Column("updated_at", Timestamp, nullable=False),
    # The reaper's two questions: which leases expired, which steps have waited too long for a message.
    Index("ix_scan_steps_status_lease", "status", "lease_expires_at"),
    Index("ix_scan_steps_status_updated", "status", "updated_at"),
)

evidence_items = Table(
    "evidence_items",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("scan_id", String(36), ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
    Column("type", String(64), nullable=False),
    Column("category", String(64), nullable=False),
    Column("title", String(500), nullable=False),
    Column("summary", Text, nullable=False),
    Column("data", JSON, nullable=False),
    Column("source_url", String(2048), nullable=False),
    Column("collector", String(64), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("dedup_key", String(512), nullable=False),
    Column("collected_at", Timestamp, nullable=False),
    UniqueConstraint("scan_id", "type", "dedup_key", name="uq_evidence_items_scan_type_key"),
    Index("ix_evidence_items_scan_category", "scan_id", "category"),
)

reports = Table(
    "reports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("scan_id", String(36), ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content", JSON, nullable=False),
    Column("writer", String(100), nullable=False),
    Column("score", Integer),
    Column("grade", String(2)),
    Column("created_at", Timestamp, nullable=False),
    UniqueConstraint("scan_id", "version", name="uq_reports_scan_version"),
)

citations = Table(
    "citations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("report_id", String(36), ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("claim", Text, nullable=False),
    Column("section", String(100), nullable=False),
    Column("evidence_id", String(36), ForeignKey("evidence_items.id", ondelete="CASCADE"), nullable=False),
    UniqueConstraint("report_id", "number", "evidence_id", name="uq_citations_report_number_evidence"),
)

scan_events = Table(
    "scan_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scan_id", String(36), ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", Timestamp, nullable=False),
    Column("step", String(20)),
    Column("kind", String(20), nullable=False),
    Column("progress", Integer),
    Column("message", Text, nullable=False),
    Column("data", JSON, nullable=False),
    UniqueConstraint("scan_id", "seq", name="uq_scan_events_scan_seq"),
)

crawl_state = Table(
    "crawl_state",
    metadata,
    Column("scan_id", String(36), ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
    Column("state", JSON, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

crawl_pages = Table(
    "crawl_pages",
    metadata,
    Column("scan_id", String(36), ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
    Column("url", String(2048), primary_key=True),
    Column("depth", Integer, nullable=False),
    Column("page_class", String(32), nullable=False),
    Column("status", Integer),
    Column("outlinks", JSON, nullable=False),
    Column("fetched_at", Timestamp, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("org_id", String(36), ForeignKey("organizations.id"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("response_status", Integer),
    Column("response_body", JSON),
    Column("created_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    UniqueConstraint("org_id", "key", name="uq_idempotency_keys_org_key"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Timestamp, nullable=False),
    Column("org_id", String(36)),
    Column("key_id", String(36)),
    Column("action", String(64), nullable=False),
    Column("scan_id", String(36)),
    Column("report_id", String(36)),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_log_scan", "scan_id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scan_id", String(36), ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", Timestamp, nullable=False),
    Column("url", String(2048), nullable=False),
    Column("status", Integer),
    Column("error", Text),
    Column("duration_ms", Integer),
    Index("ix_webhook_deliveries_scan", "scan_id"),
)

# Each organisation's webhook signing secrets: the current one (retired_at null) and, for a day after a
# rotation, the retired ones that still sign deliveries beside it.
webhook_secrets = Table(
    "webhook_secrets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("org_id", String(36), ForeignKey("organizations.id"), nullable=False),
    Column("secret", String(128), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("retired_at", Timestamp),
    Index("ix_webhook_secrets_org", "org_id"),
)

# --- the analyst's workflow (issue 18): companies, schedules, reviews ------------------------------------------

companies = Table(
    "companies",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("org_id", String(36), ForeignKey("organizations.id"), nullable=False),
    Column("domain", String(253), nullable=False),
    Column("name", String(300), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    UniqueConstraint("org_id", "domain", name="uq_companies_org_domain"),
)

company_scans = Table(
    "company_scans",
    metadata,
    Column("scan_id", String(36), ForeignKey("scans.id", ondelete="CASCADE"), primary_key=True),
    Column("company_id", String(36), ForeignKey("companies.id", ondelete="CASCADE"), nullable=False),
    Column("scheduled", Boolean, nullable=False, default=False),
    Index("ix_company_scans_company", "company_id"),
)

report_reviews = Table(
    "report_reviews",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("report_id", String(36), ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
    Column("scan_id", String(36), ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
    Column("key_id", String(36)),
    Column("key_label", String(200)),
    Column("target_kind", String(20), nullable=False),
    Column("target_id", String(200), nullable=False),
    Column("verdict", String(20), nullable=False),
    Column("comment", Text),
    Column("score", Integer),
    Column("created_at", Timestamp, nullable=False),
    Index("ix_report_reviews_report", "report_id"),
)

company_schedules = Table(
    "company_schedules",
    metadata,
    Column("company_id", String(36), ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True),
    Column("every_days", Integer, nullable=False),
    Column("thesis", String(100)),
    Column("next_due_at", Timestamp, nullable=False),
    Column("created_by_key_id", String(36)),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Column("last_scan_id", String(36)),
    Column("last_error", Text),
    Index("ix_company_schedules_due", "next_due_at"),
)
