"""Findings by area: the writer's prose, the findings placed in each area, and its facts and tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from techscaniq.domain import EvidenceType as T
from techscaniq.report.model import AreaSection, StatementBlock, TableBlock, TableRow
from techscaniq.report.sections.context import COMPANY_OVERVIEW, ReportContext, primary_area
from techscaniq.theses import Category

# Area sections in report order, with the evidence types whose facts they list.
AREAS: tuple[tuple[str, str, tuple[T, ...]], ...] = (
    (
        COMPANY_OVERVIEW,
        "Company overview",
        (T.ORGANIZATION, T.SOCIAL_PROFILE, T.CUSTOMERS, T.CASE_STUDY, T.CONTACT_CHANNEL, T.LOCALES),
    ),
    (
        Category.TECHNOLOGY_MODERNITY,
        "Technology stack",
        (T.SERVER_DISCLOSURE, T.VERSION_DISCLOSURE, T.GENERATOR),
    ),
    (
        Category.INFRASTRUCTURE_SCALABILITY,
        "Architecture, hosting and scalability",
        (T.HOSTING, T.DNS_PROVIDER, T.DNS_RECORDS, T.SAAS_VERIFICATION),
    ),
    (Category.SECURITY_POSTURE, "Security posture", ()),
    (
        Category.PRODUCT_DEVELOPER_ECOSYSTEM,
        "Product and developer ecosystem",
        (T.API_DOCS, T.OPENAPI, T.SDK, T.WEBHOOKS, T.CHANGELOG, T.INTEGRATIONS, T.PRICING, T.CODE_REPOSITORY),
    ),
    (
        Category.COMPLIANCE_TRUST,
        "Compliance and trust",
        (
            T.COMPLIANCE_CLAIM,
            T.TRUST_CENTER,
            T.POLICY,
            T.SUBPROCESSORS,
            T.COOKIE_CONSENT,
            T.STATUS_PAGE,
            T.DISCLOSURE_PROGRAM,
            T.SLA_CLAIM,
        ),
    ),
    (
        Category.TEAM_HIRING,
        "Team and hiring",
        (T.CAREERS_PAGE, T.ATS_PROVIDER, T.JOBS_SUMMARY, T.LEADER, T.JOB_POSTING),
    ),
    (
        Category.WEB_PRESENCE_PERFORMANCE,
        "Web presence and performance",
        (
            T.CRAWL_SUMMARY,
            T.SITE_PERFORMANCE,
            T.RENDER_SUMMARY,  # lab Core Web Vitals and page weight, when pages were rendered
            T.PAGE_PERFORMANCE,
            T.ROBOTS_TXT,
            T.SITEMAP,
            T.FETCH_FAILURE,
        ),
    ),
)
SECURITY_BLOCKS: tuple[tuple[str, tuple[T, ...]], ...] = (
    ("HTTP Observatory", (T.OBSERVATORY_SCORE, T.OBSERVATORY_TEST)),
    ("TLS", (T.TLS_CERTIFICATE, T.TLS_PROTOCOLS, T.TLS_HANDSHAKE, T.HSTS)),
    (
        "E-mail security",
        (T.SPF, T.DMARC, T.DKIM, T.MTA_STS, T.TLS_RPT, T.BIMI, T.MAIL_PROVIDER, T.CAA, T.DNSSEC),
    ),
    (
        "Other web security checks",
        (T.COOKIE, T.REDIRECT_CHAIN, T.CORS, T.MIXED_CONTENT, T.SUBRESOURCE_INTEGRITY, T.SECURITY_TXT),
    ),
)


def build_areas(ctx: ReportContext) -> list[AreaSection]:
    """One section per area, in report order; blocks with nothing in them are left out."""
    sections = []
    for area_id, title, fact_types in AREAS:
        section = f"findings.{area_id}"
        narrative = ctx.prose(section, ctx.narrative.areas.get(str(area_id), ()))
        blocks: list[TableBlock | StatementBlock] = []
        if area_id == Category.TECHNOLOGY_MODERNITY:
            blocks.append(_stack_table(ctx, section))
        if area_id == Category.SECURITY_POSTURE:
            blocks.extend(_security_blocks(ctx, section))
        facts = ctx.facts(section, fact_types)
        if facts:
            blocks.append(StatementBlock(title="Observed facts", statements=facts))
        sections.append(
            AreaSection(
                id=str(area_id),
                title=title,
                narrative=narrative,
                findings=[ctx.finding(f) for f in ctx.findings if primary_area(f.rule) == area_id],
                blocks=[b for b in blocks if (b.rows if isinstance(b, TableBlock) else b.statements)],
            )
        )
    return sections


def _row(ctx: ReportContext, section: str, claim: str, evidence_id: str, cells: list[str]) -> TableRow:
    cite, ids = ctx.book.cite(section, claim, [evidence_id])
    return TableRow(text=claim, cite=cite, evidence_ids=ids, cells=cells)


def _stack_table(ctx: ReportContext, section: str) -> TableBlock:
    items = sorted(
        ctx.of_type(T.TECHNOLOGY),
        key=lambda e: (_first(e.data.get("categories")) or "~", str(e.data.get("name") or e.title), e.id),
    )
    rows = []
    for item in items:
        name = str(item.data.get("name") or item.title)
        category = _first(item.data.get("categories")) or "Other"
        version = str(item.data.get("version") or "")
        where = _path_of(item.source_url)
        match = _first(item.data.get("matches"))
        via = str(match.get("field", "")) if isinstance(match, Mapping) else ""
        seen = f"{where} ({via})" if via else where
        claim = f"{name}{' ' + version if version else ''} ({category}) was detected at {seen}."
        rows.append(_row(ctx, section, claim, item.id, [str(category), name, version or "-", seen]))
    return TableBlock(
        title="Technology stack by category",
        columns=["Category", "Technology", "Version", "Where seen"],
        rows=rows,
    )


def _security_blocks(ctx: ReportContext, section: str) -> list[TableBlock | StatementBlock]:
    blocks: list[TableBlock | StatementBlock] = []
    headers = ctx.of_type(T.SECURITY_HEADER)
    if headers:
        rows = []
        for item in headers:
            header = str(item.data.get("header") or item.title)
            host = str(item.data.get("host") or urlsplit(item.source_url).netloc)
            presence = str(item.data.get("presence") or "unknown")
            value = str(item.data.get("value") or "")
            claim = (
                f"{host} answers with the {header} header {presence}{': ' + value[:120] if value else ''}."
            )
            rows.append(_row(ctx, section, claim, item.id, [host, header, presence, value[:80] or "-"]))
        blocks.append(
            TableBlock(
                title="Security header matrix", columns=["Host", "Header", "Presence", "Value"], rows=rows
            )
        )
    for title, types in SECURITY_BLOCKS:
        blocks.append(StatementBlock(title=title, statements=ctx.facts(section, types)))
    return blocks


def _first(value: Any) -> Any:
    if isinstance(value, list | tuple) and value:
        return value[0]
    return None


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc + (parts.path or "/")) if parts.netloc else url
