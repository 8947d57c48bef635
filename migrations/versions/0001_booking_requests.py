"""booking requests

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "booking_requests",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(16), nullable=False),
        sa.Column("submission_key", sa.String(64), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(32)),
        sa.Column("email", sa.String(254)),
        sa.Column("office", sa.String(32), nullable=False),
        sa.Column("preferred_times", sa.Text(), nullable=False),
        sa.Column("problem", sa.Text()),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Enum("new", "contacted", "booked", "closed", name="booking_status",
                                    native_enum=False, length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("notified_at", sa.DateTime()),
        sa.UniqueConstraint("reference"),
        sa.UniqueConstraint("submission_key"),
    )
    op.create_index("ix_booking_requests_conversation_id", "booking_requests", ["conversation_id"])


def downgrade() -> None:
    op.drop_table("booking_requests")
