"""companies (every scan belongs to the company of its registrable domain), report reviews, re-scan schedules

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 20:20:00
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_companies_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
        sa.UniqueConstraint("org_id", "domain", name="uq_companies_org_domain"),
    )
    op.create_table(
        "company_scans",
        sa.Column("scan_id", sa.String(length=36), nullable=False),
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_company_scans_scan_id_scans"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_company_scans_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scan_id", name=op.f("pk_company_scans")),
    )
    with op.batch_alter_table("company_scans", schema=None) as batch_op:
        batch_op.create_index("ix_company_scans_company", ["company_id"], unique=False)
    op.create_table(
        "report_reviews",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("report_id", sa.String(length=36), nullable=False),
        sa.Column("scan_id", sa.String(length=36), nullable=False),
        sa.Column("key_id", sa.String(length=36), nullable=True),
        sa.Column("key_label", sa.String(length=200), nullable=True),
        sa.Column("target_kind", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.String(length=200), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_reviews_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_report_reviews_scan_id_scans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_reviews")),
    )
    with op.batch_alter_table("report_reviews", schema=None) as batch_op:
        batch_op.create_index("ix_report_reviews_report", ["report_id"], unique=False)
    op.create_table(
        "company_schedules",
        sa.Column("company_id", sa.String(length=36), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=False),
        sa.Column("thesis", sa.String(length=100), nullable=True),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_key_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_scan_id", sa.String(length=36), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_company_schedules_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_company_schedules")),
    )
    with op.batch_alter_table("company_schedules", schema=None) as batch_op:
        batch_op.create_index("ix_company_schedules_due", ["next_due_at"], unique=False)
    _assign_existing_scans()


def _assign_existing_scans() -> None:
    """Every scan already stored joins the company of its registrable domain (named after its newest scan)."""
    from techscaniq.workflow.domains import company_domain

    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, org_id, website_url, company_name FROM scans ORDER BY created_at, id")
    ).all()
    company_ids: dict[tuple[str, str], str] = {}
    names: dict[str, str] = {}
    now = datetime.now(UTC)
    for row in rows:
        key = (row.org_id, company_domain(row.website_url))
        if key not in company_ids:
            company_ids[key] = str(uuid.uuid4())
        names[company_ids[key]] = row.company_name
    for (org_id, domain), company_id in company_ids.items():
        connection.execute(
            sa.text(
                "INSERT INTO companies (id, org_id, domain, name, created_at) "
                "VALUES (:id, :org_id, :domain, :name, :created_at)"
            ),
            {
                "id": company_id,
                "org_id": org_id,
                "domain": domain,
                "name": names[company_id][:300],
                "created_at": now,
            },
        )
    for row in rows:
        connection.execute(
            sa.text(
                "INSERT INTO company_scans (scan_id, company_id, scheduled) VALUES (:scan_id, :company_id, :no)"
            ),
            {
                "scan_id": row.id,
                "company_id": company_ids[(row.org_id, company_domain(row.website_url))],
                "no": False,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table("company_schedules", schema=None) as batch_op:
        batch_op.drop_index("ix_company_schedules_due")
    op.drop_table("company_schedules")
    with op.batch_alter_table("report_reviews", schema=None) as batch_op:
        batch_op.drop_index("ix_report_reviews_report")
    op.drop_table("report_reviews")
    with op.batch_alter_table("company_scans", schema=None) as batch_op:
        batch_op.drop_index("ix_company_scans_company")
    op.drop_table("company_scans")
    op.drop_table("companies")
