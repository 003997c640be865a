"""Rows for storage tests: a scan, evidence drafts, the settings of a test database."""

from __future__ import annotations

import uuid

from techscaniq.config import Settings
from techscaniq.domain import EvidenceCategory, EvidenceDraft, EvidenceType, StepName
from techscaniq.storage import repo
from techscaniq.storage.db import session_scope
from tests.support.databases import Database, settings_for


def storage_settings(database: Database) -> Settings:
    """Settings for this database and nothing else."""
    return settings_for(database)


def new_scan(settings: Settings, org: str = "Org A") -> str:
    """A stored pending scan of Acme in the organisation, with frozen task ids; its id."""
    scan_id = str(uuid.uuid4())
    with session_scope(settings) as session:
        org_id = repo.get_or_create_org(session, org)
        repo.create_scan(
            session,
            scan_id=scan_id,
            org_id=org_id,
            created_by_key_id=None,
            company_name="Acme",
            website_url="https://acme.example.com/",
            primary_criteria="digital-transformation",
            thesis={"slug": "digital-transformation"},
            thesis_tags=["api-driven"],
            requestor_name=None,
            organization_name=org,
            company_description=None,
            metadata={},
            task_ids={step: f"{scan_id}.{step}.1" for step in StepName},
        )
    return scan_id


def page_draft(key: str) -> EvidenceDraft:
    """A page evidence draft keyed by `key`."""
    return EvidenceDraft(
        type=EvidenceType.PAGE,
        category=EvidenceCategory.PAGES,
        title=f"page {key}",
        summary="s",
        data={"k": key},
        source_url=f"https://acme.example.com/{key}",
        collector="test",
        confidence=0.9,
        dedup_key=key,
    )
