"""Migration 0005 gives every scan already stored its company: one per registrable domain and organisation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import insert, select, text

from techscaniq.config import Settings
from techscaniq.storage.db import MIGRATIONS_DIR, dispose_engines, get_engine, migrate, session_scope
from techscaniq.storage.tables import companies, company_scans, organizations, scans
from tests.support.databases import drop_database, make_database, settings_for

pytestmark = pytest.mark.integration


def _upgrade_to(settings: Settings, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with get_engine(settings).begin() as connection:
        if settings.is_postgres:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{settings.db_schema}"'))
            connection.execute(text(f'SET LOCAL search_path TO "{settings.db_schema}"'))
        config.attributes["connection"] = connection
        config.attributes["version_table_schema"] = settings.db_schema if settings.is_postgres else None
        command.upgrade(config, revision)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_existing_scans_join_their_companies(kind: str, tmp_path: Path) -> None:
    database = make_database(kind, tmp_path)
    settings: Settings = settings_for(database)  # type: ignore[assignment]
    try:
        _upgrade_to(settings, "0002")
        start = datetime(2026, 1, 1, tzinfo=UTC)
        rows = [
            ("Fund A", "https://www.acme.co.uk/", "Acme Ltd"),
            ("Fund A", "https://shop.acme.co.uk:8443/x", "Acme Group"),
            ("Fund B", "https://acme.co.uk", "Acme"),
            ("Fund A", "http://127.0.0.1:9000/", "Loopback"),
        ]
        with session_scope(settings) as session:
            orgs = {}
            for name in ("Fund A", "Fund B"):
                orgs[name] = str(uuid.uuid4())
                session.execute(insert(organizations).values(id=orgs[name], name=name, created_at=start))
            for index, (org, url, company) in enumerate(rows):
                at = start + timedelta(days=index)
                session.execute(
                    insert(scans).values(
                        id=f"scan-{index}", org_id=orgs[org], company_name=company, website_url=url,
                        primary_criteria="buy-and-build", thesis={}, thesis_tags=[], metadata={},
                        status="completed", last_event_seq=0, created_at=at, updated_at=at,
                    )
                )  # fmt: skip
        migrate(settings)
        with session_scope(settings, write=False) as session:
            found = {
                (row.org_id, row.domain): row.name
                for row in session.execute(select(companies.c.org_id, companies.c.domain, companies.c.name))
            }
            links = dict(session.execute(select(company_scans.c.scan_id, company_scans.c.company_id)).all())
        assert found == {
            (orgs["Fund A"], "acme.co.uk"): "Acme Group",
            (orgs["Fund B"], "acme.co.uk"): "Acme",
            (orgs["Fund A"], "127.0.0.1"): "Loopback",
        }
        assert set(links) == {"scan-0", "scan-1", "scan-2", "scan-3"}
        assert links["scan-0"] == links["scan-1"] != links["scan-2"]
    finally:
        dispose_engines()
        drop_database(database)
