"""step crash count (the poison limit's counter) and indexes for the reaper's queries

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 20:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scan_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("crashes", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index("ix_scan_steps_status_lease", ["status", "lease_expires_at"], unique=False)
        batch_op.create_index("ix_scan_steps_status_updated", ["status", "updated_at"], unique=False)
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.create_index("ix_scans_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_index("ix_scans_status")
    with op.batch_alter_table("scan_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_scan_steps_status_updated")
        batch_op.drop_index("ix_scan_steps_status_lease")
        batch_op.drop_column("crashes")
