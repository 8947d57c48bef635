"""The project's own tables (SQLAlchemy 1.4, 2.0-style queries).

They live in the same database as Rasa's tracker store by default
(``var/rasa.db``); ``DATABASE_URL`` points elsewhere (e.g. PostgreSQL). The
schema is owned by Alembic (``migrations/``): :func:`migrate` upgrades it, so
a new column never costs existing rows.
"""

from __future__ import annotations

import enum
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, declarative_base, sessionmaker

from assistant.paths import PROJECT_ROOT

DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'rasa.db'}"
# Crockford-style alphabet: no 0/O or 1/I/L to misread over the phone.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"

Base = declarative_base()


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class BookingStatus(str, enum.Enum):
    new = "new"
    contacted = "contacted"
    booked = "booked"
    closed = "closed"


class BookingRequest(Base):
    """A visitor's request to be contacted for a consultation."""

    __tablename__ = "booking_requests"

    id = Column(Integer, primary_key=True)
    reference = Column(String(16), unique=True, nullable=False)
    # One row per confirmed form: a repeated confirmation finds this key.
    submission_key = Column(String(64), unique=True, nullable=False)
    conversation_id = Column(String(255), nullable=False, index=True)
    full_name = Column(String(200), nullable=False)
    phone = Column(String(32))
    email = Column(String(254))
    office = Column(String(32), nullable=False)
    preferred_times = Column(Text, nullable=False)
    problem = Column(Text)
    consent = Column(Boolean, nullable=False)
    status = Column(Enum(BookingStatus, name="booking_status", native_enum=False, length=16),
                    nullable=False, default=BookingStatus.new, index=True)
    # Staff's own: what was agreed on the phone, and who is calling back.
    staff_note = Column(Text, nullable=False, default="", server_default="")
    assignee = Column(String(64))
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    # Set once staff have been emailed; rows with NULL are retried.
    notified_at = Column(DateTime)


class StaffRole(str, enum.Enum):
    staff = "staff"  # read, tag, label, change booking status
    admin = "admin"  # also export, delete, audit log, user accounts


class StaffUser(Base):
    """A clinic staff account for the console. No default account exists."""

    __tablename__ = "staff_users"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), unique=True, nullable=False)
    password_hash = Column(String(255), nullable=False)  # argon2id
    role = Column(Enum(StaffRole, name="staff_role", native_enum=False, length=16), nullable=False,
                  default=StaffRole.staff)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_login_at = Column(DateTime)


class StaffSession(Base):
    """A signed-in console session, checked on every request so it can be ended.

    The cookie holds a random token; only its SHA-256 is stored, so a copy of
    the database does not sign anyone in. Rows go at sign-out, password change
    or reset and deactivation, and are refused after the idle and absolute
    limits (webapp.staff.auth).
    """

    __tablename__ = "staff_sessions"

    token_hash = Column(String(64), primary_key=True)
    user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_seen_at = Column(DateTime, nullable=False, default=utcnow)


class LoginAttempt(Base):
    """Every console sign-in attempt; recent failures throttle further tries."""

    __tablename__ = "login_attempts"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, index=True)
    remote_addr = Column(String(64), nullable=False, index=True)
    succeeded = Column(Boolean, nullable=False)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)


class ConversationReview(Base):
    """Staff's tags, note and reviewed mark on one conversation (tracker sender id)."""

    __tablename__ = "conversation_reviews"

    conversation_id = Column(String(255), primary_key=True)
    tags = Column(Text, nullable=False, default="")  # comma-separated, from REVIEW_TAGS
    note = Column(Text, nullable=False, default="")
    reviewed_at = Column(DateTime)
    reviewed_by = Column(String(64))
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


NEW_FAQ_NEEDED = "__new_faq__"


class LabelledExample(Base):
    """A visitor message with the FAQ staff say it should have matched.

    ``faq_id`` is an FAQ id or NEW_FAQ_NEEDED. The retraining workflow imports
    these as phrasings; one label per message (relabelling replaces it).
    """

    __tablename__ = "labelled_examples"
    __table_args__ = (UniqueConstraint("event_id", name="uq_labelled_examples_event"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    event_id = Column(Integer, nullable=False)
    text = Column(Text, nullable=False)
    predicted_faq = Column(String(64))
    faq_id = Column(String(64), nullable=False)
    labelled_by = Column(String(64), nullable=False)
    labelled_at = Column(DateTime, nullable=False, default=utcnow)
    imported_at = Column(DateTime)


class AnswerFeedback(Base):
    """A visitor's "was this helpful?" on one answered FAQ in their conversation.

    One row per conversation and FAQ: a visitor who changes their mind
    replaces their earlier click. Deleted with the conversation.
    """

    __tablename__ = "answer_feedback"
    __table_args__ = (UniqueConstraint("conversation_id", "topic", name="uq_answer_feedback_topic"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    topic = Column(String(64), nullable=False, index=True)
    helpful = Column(Boolean, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class ConversationSummary(Base):
    """One row per conversation with a visitor message, for the console's list, filters and overview.

    Derived from the tracker store's events by assistant/summaries.py (never
    written by Rasa), so it can always be rebuilt. Timestamps are Unix
    seconds, as in Rasa's ``events`` table. ``topics`` and ``flags`` are
    space-separated with a space at each end, so one flag is ``LIKE '% x %'``.
    """

    __tablename__ = "conversation_summaries"
    __table_args__ = (
        Index("ix_conversation_summaries_order", "started_at", "conversation_id"),
        Index("ix_conversation_summaries_totals", "started_at", "answers", "fallbacks"),
    )

    conversation_id = Column(String(255), primary_key=True)
    started_at = Column(Float, nullable=False)
    last_at = Column(Float, nullable=False)
    visitor_messages = Column(Integer, nullable=False)
    answers = Column(Integer, nullable=False)
    fallbacks = Column(Integer, nullable=False)
    first_question = Column(Text, nullable=False)
    topics = Column(Text, nullable=False)
    flags = Column(Text, nullable=False)
    search_text = Column(Text, nullable=False)  # what the visitor wrote, case-folded


class ConversationFact(Base):
    """What the overview counts per conversation: each answer's topic, each unanswered message."""

    __tablename__ = "conversation_facts"
    __table_args__ = (Index("ix_conversation_facts_counts", "kind", "value", "started_at"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    started_at = Column(Float, nullable=False)
    kind = Column(String(16), nullable=False)  # "topic" or "unanswered"
    value = Column(String(255), nullable=False)


class SummaryCursor(Base):
    """The last tracker event id the summaries have seen (one row)."""

    __tablename__ = "summary_cursor"

    id = Column(Integer, primary_key=True)
    last_event_id = Column(Integer, nullable=False)


class AuditEntry(Base):
    """Who viewed, exported, changed or deleted what, and when."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    username = Column(String(64), nullable=False)
    action = Column(String(32), nullable=False)
    target = Column(String(255), nullable=False, default="")
    detail = Column(Text, nullable=False, default="")


# Rasa's SQL tracker store table, read (never created) by the staff console.
# Kept out of Base so Alembic leaves it to Rasa.
tracker_metadata = MetaData()
tracker_events = Table(
    "events", tracker_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def database_url() -> str:
    return os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)


def get_engine(url: str | None = None) -> Engine:
    """One engine (and connection pool) per database URL, resolved per call."""
    return _engine(url or database_url())


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    connect_args = {"timeout": 30} if url.startswith("sqlite") else {}
    return create_engine(url, future=True, pool_pre_ping=True, connect_args=connect_args)


@contextmanager
def session(url: str | None = None) -> Iterator[Session]:
    """A transaction: committed on success, rolled back on any error."""
    factory = sessionmaker(get_engine(url), future=True, expire_on_commit=False)
    with factory.begin() as db:
        yield db


def audit(username: str, action: str, target: str = "", detail: str = "", url: str | None = None) -> None:
    """One audit line; the console, the staff CLI and the retention job all write them this way."""
    with session(url) as db:
        db.add(AuditEntry(username=username, action=action, target=target[:255], detail=detail[:2000]))


def new_reference() -> str:
    """Short and unguessable: 8 characters from 30 gives about 6.6e11 values."""
    return "SIJ-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


def find_by_submission(db: Session, submission_key: str) -> BookingRequest | None:
    return db.execute(
        select(BookingRequest).where(BookingRequest.submission_key == submission_key)
    ).scalar_one_or_none()


def migrate(url: str | None = None) -> None:
    """Bring the schema to the newest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", url or database_url())
    if (url or database_url()).startswith("sqlite:///"):
        path = (url or database_url()).removeprefix("sqlite:///")
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        # Conversations are health information: the file is for this user only.
        # Created here only when missing: closing a descriptor of a database file
        # that this process also has open through SQLite drops SQLite's POSIX locks
        # on it (fcntl semantics), which in WAL mode can let another process reset
        # the log under a live reader ("database disk image is malformed").
        if not os.path.exists(path):
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        os.chmod(path, 0o600)
    command.upgrade(config, "head")
    if (url or database_url()).startswith("sqlite"):
        use_wal(url)


def use_wal(url: str | None = None) -> None:
    """SQLite in write-ahead-log mode (kept in the file, so Rasa's tracker store gets it too).

    With the default rollback journal a reader blocks the writer: under load
    the Rasa server, the action server and the staff console queue behind each
    other's transactions. In WAL mode readers and the one writer proceed
    together, and a commit appends to the log instead of rewriting pages. The
    ``-wal`` and ``-shm`` files get the database file's permissions (600); a
    backup copies all three, or uses ``sqlite3 var/rasa.db .backup``.
    """
    with get_engine(url).connect() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
