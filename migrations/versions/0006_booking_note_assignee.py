"""booking requests: a staff note and who is handling it

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("booking_requests") as batch:
        batch.add_column(sa.Column("staff_note", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("assignee", sa.String(64)))
    op.create_index("ix_booking_requests_status", "booking_requests", ["status"])


def downgrade() -> None:
    op.drop_index("ix_booking_requests_status", "booking_requests")
    with op.batch_alter_table("booking_requests") as batch:
        batch.drop_column("assignee")
        batch.drop_column("staff_note")
