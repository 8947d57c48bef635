"""staff console: users, login attempts, reviews, labels, audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.Enum("staff", "admin", name="staff_role", native_enum=False, length=16),
                  nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime()),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("remote_addr", sa.String(64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_login_attempts_username", "login_attempts", ["username"])
    op.create_index("ix_login_attempts_remote_addr", "login_attempts", ["remote_addr"])
    op.create_index("ix_login_attempts_at", "login_attempts", ["at"])
    op.create_table(
        "conversation_reviews",
        sa.Column("conversation_id", sa.String(255), primary_key=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime()),
        sa.Column("reviewed_by", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "labelled_examples",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("predicted_faq", sa.String(64)),
        sa.Column("faq_id", sa.String(64), nullable=False),
        sa.Column("labelled_by", sa.String(64), nullable=False),
        sa.Column("labelled_at", sa.DateTime(), nullable=False),
        sa.Column("imported_at", sa.DateTime()),
        sa.UniqueConstraint("event_id", name="uq_labelled_examples_event"),
    )
    op.create_index("ix_labelled_examples_conversation_id", "labelled_examples", ["conversation_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    for table in ("audit_log", "labelled_examples", "conversation_reviews", "login_attempts",
                  "staff_users"):
        op.drop_table(table)
