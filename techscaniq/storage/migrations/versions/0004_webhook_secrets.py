"""webhook secrets with creation time and a rotation overlap

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-06 20:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "webhook_secrets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organizations.id"], name=op.f("fk_webhook_secrets_org_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_secrets")),
    )
    with op.batch_alter_table("webhook_secrets", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_secrets_org", ["org_id"], unique=False)
    # Secrets created before this revision keep signing; their creation time is unknown, so "now" stands in.
    organizations = sa.table(
        "organizations", sa.column("id", sa.String), sa.column("webhook_secret", sa.String)
    )
    secrets = sa.table(
        "webhook_secrets",
        sa.column("org_id", sa.String),
        sa.column("secret", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        secrets.insert().from_select(
            ["org_id", "secret", "created_at"],
            sa.select(organizations.c.id, organizations.c.webhook_secret, sa.func.current_timestamp()).where(
                organizations.c.webhook_secret.is_not(None)
            ),
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("webhook_secrets", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_secrets_org")
    op.drop_table("webhook_secrets")
