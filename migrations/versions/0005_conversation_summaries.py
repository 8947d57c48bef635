"""conversation summaries for the staff console (derived from the tracker store's events)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversation_summaries",
        sa.Column("conversation_id", sa.String(255), primary_key=True),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.Column("visitor_messages", sa.Integer(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("fallbacks", sa.Integer(), nullable=False),
        sa.Column("first_question", sa.Text(), nullable=False),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
    )
    # The list's order and pages, and the overview's per-day counts and sums, read these alone.
    op.create_index("ix_conversation_summaries_order", "conversation_summaries",
                    ["started_at", "conversation_id"])
    op.create_index("ix_conversation_summaries_totals", "conversation_summaries",
                    ["started_at", "answers", "fallbacks"])
    op.create_table(
        "conversation_facts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
    )
    op.create_index("ix_conversation_facts_conversation_id", "conversation_facts", ["conversation_id"])
    op.create_index("ix_conversation_facts_counts", "conversation_facts", ["kind", "value", "started_at"])
    op.create_table(
        "summary_cursor",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("summary_cursor")
    op.drop_index("ix_conversation_facts_counts", "conversation_facts")
    op.drop_index("ix_conversation_facts_conversation_id", "conversation_facts")
    op.drop_table("conversation_facts")
    op.drop_index("ix_conversation_summaries_totals", "conversation_summaries")
    op.drop_index("ix_conversation_summaries_order", "conversation_summaries")
    op.drop_table("conversation_summaries")
