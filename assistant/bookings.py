"""Booking requests: validation, storage that never drops one, staff e-mail.

Pure Python (no Rasa imports) so the rules can be unit tested and reused by
the staff console. The action server calls :func:`submit` when a visitor
confirms the form.

Nothing is lost: if the database is unreachable the request goes to a durable
outbox file (``var/outbox/bookings.jsonl``, fsync'ed) and is inserted later by
:func:`flush_outbox`; if SMTP fails the row keeps ``notified_at = NULL`` and
:func:`retry_notifications` sends it later. Both run before every submission
and when the action server starts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import smtplib
import ssl
import unicodedata
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from assistant.clinic import Office, load_clinic
from assistant.paths import PROJECT_ROOT
from assistant.store import BookingRequest, find_by_submission, new_reference, session, utcnow

log = logging.getLogger(__name__)

OUTBOX = Path(os.environ.get("BOOKING_OUTBOX", PROJECT_ROOT / "var" / "outbox" / "bookings.jsonl"))
MAX_NAME = 100
MAX_TEXT = 1000
SKIP_WORDS = {"skip", "no", "none", "nothing", "n/a", "na", "-", "no thanks", "rather not say", "pass"}
# Letters of any script, plus the punctuation real names use.
_NAME = re.compile(r"^[^\W\d_]+(?:[ '’.\-][^\W\d_]*)*$")
_EMAIL_CANDIDATE = re.compile(r"[^\s,;<>()]+@[^\s,;<>()]*")


class Invalid(ValueError):
    """A value the visitor should re-enter; the message is the hint to show."""


# ---------------------------------------------------------------- validation

def clean_name(text: str) -> str:
    name = " ".join(unicodedata.normalize("NFC", text or "").split())
    if not name:
        raise Invalid("Please tell me your full name.")
    if len(name) > MAX_NAME:
        raise Invalid(f"That's longer than a name can be here ({MAX_NAME} characters at most). "
                      "Please type just your first and last name.")
    if not _NAME.match(name) or sum(ch.isalpha() for ch in name) < 2:
        raise Invalid("That doesn't look like a name. Please use letters only; accents, "
                      "apostrophes and hyphens are fine (e.g. Zoë O'Neill-Smith).")
    return name


@dataclass(frozen=True)
class Contact:
    phone: str | None
    email: str | None


def clean_contact(text: str) -> Contact:
    """Find a US phone number and/or an e-mail address in free text."""
    text = text or ""
    if len(text) > MAX_TEXT:
        raise Invalid("That's too long. Please type just a phone number or an e-mail address.")
    email = None
    bad_email = False
    for candidate in _EMAIL_CANDIDATE.findall(text):
        try:
            email = validate_email(candidate.strip(".,"), check_deliverability=False).normalized
            break
        except EmailNotValidError:
            bad_email = True
    phone = None
    for match in phonenumbers.PhoneNumberMatcher(text, "US"):
        if phonenumbers.is_valid_number(match.number):
            phone = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.NATIONAL)
            if match.number.country_code != 1:
                phone = phonenumbers.format_number(match.number,
                                                   phonenumbers.PhoneNumberFormat.INTERNATIONAL)
            break
    if not phone and not email:
        hint = ("That e-mail address looks incomplete (it needs a name, an @ and a domain, like "
                "jane@example.com)." if bad_email else
                "I couldn't find a phone number or e-mail address in that.")
        raise Invalid(f"{hint} Please type a US phone number like (708) 555-0123, an e-mail "
                      "address, or both.")
    return Contact(phone=phone, email=email)


def match_office(text: str) -> Office:
    """The office the visitor typed (names and aliases in data/clinic.yml); Invalid if unclear."""
    clinic = load_clinic()
    office = clinic.office_named(text or "")
    if office is None:
        names = " or ".join(o.short_name for o in clinic.offices)
        raise Invalid(f"Please choose one of our offices: {names}.")
    return office


def clean_free_text(text: str, what: str, optional: bool = False) -> str | None:
    value = (text or "").strip()
    if optional and value.lower().strip(".! ") in SKIP_WORDS:
        return None
    if not value:
        if optional:
            return None
        raise Invalid(f"Please tell me your {what}.")
    if len(value) > MAX_TEXT:
        raise Invalid(f"That's too long for the {what} ({MAX_TEXT:,} characters at most). "
                      "A short summary is enough; staff will ask the details when they call.")
    return value


# ---------------------------------------------------------------- submission

@dataclass(frozen=True)
class BookingForm:
    conversation_id: str
    full_name: str
    phone: str | None
    email: str | None
    office: str
    preferred_times: str
    problem: str | None
    consent: bool

    def submission_key(self) -> str:
        """Same conversation and same answers: the same request."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class SubmitResult:
    reference: str | None
    status: str          # "saved", "queued" (outbox), "failed", "invalid" or "limited"
    duplicate: bool = False
    staff_notified: bool = False


class LimitReached(Exception):
    """This conversation has sent as many requests as a day allows."""


def booking_limit() -> int:
    """Requests one conversation may send in 24 hours (each one e-mails the staff)."""
    return int(os.environ.get("BOOKING_LIMIT_PER_CONVERSATION", "3"))


def _insert(form: BookingForm, reference: str, db_url: str | None) -> tuple[BookingRequest, bool]:
    with session(db_url) as db:
        existing = find_by_submission(db, form.submission_key())
        if existing is not None:
            return existing, True
        recent = db.execute(select(func.count()).select_from(BookingRequest).where(
            BookingRequest.conversation_id == form.conversation_id,
            BookingRequest.created_at >= utcnow() - timedelta(days=1))).scalar_one()
        if recent >= booking_limit():
            raise LimitReached
        row = BookingRequest(reference=reference, submission_key=form.submission_key(), **asdict(form))
        db.add(row)
        return row, False


def _queue(form: BookingForm, reference: str, outbox: Path) -> bool:
    try:
        outbox.parent.mkdir(parents=True, exist_ok=True)
        # Names and phone numbers: readable by this user only.
        descriptor = os.open(outbox, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"reference": reference, **asdict(form)}) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return True
    except OSError:
        log.exception("booking outbox write failed")
        return False


def flush_outbox(db_url: str | None = None, outbox: Path | None = None) -> int:
    """Insert queued requests; keep the ones that still fail. Returns rows inserted."""
    outbox = outbox or OUTBOX
    if not outbox.exists():
        return 0
    lines = [line for line in outbox.read_text(encoding="utf-8").splitlines() if line.strip()]
    remaining, inserted = [], 0
    for line in lines:
        record = json.loads(line)
        reference = record.pop("reference")
        try:
            _, duplicate = _insert(BookingForm(**record), reference, db_url)
            inserted += not duplicate
        except SQLAlchemyError:
            remaining.append(line)
    tmp = outbox.with_suffix(".tmp")
    descriptor = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("".join(f"{line}\n" for line in remaining))
    os.replace(tmp, outbox)
    return inserted


def revalidated(form: BookingForm) -> BookingForm:
    """Every answer checked again with the form's own rules.

    The form validated them already, but the action server can be called with
    any slot values (a forged call, a bug), and these values go into the
    database and the staff e-mail. Raises :class:`Invalid`.
    """
    if form.consent is not True:
        raise Invalid("No consent to be contacted.")
    if form.office not in {o.id for o in load_clinic().offices}:
        raise Invalid("Unknown office.")
    contact = clean_contact(" ".join(v for v in (form.phone, form.email) if v))
    return replace(
        form,
        full_name=clean_name(form.full_name),
        phone=contact.phone, email=contact.email,
        preferred_times=clean_free_text(form.preferred_times, "preferred days and times") or "",
        problem=clean_free_text(form.problem or "", "description", optional=True),
    )


def submit(form: BookingForm, db_url: str | None = None, outbox: Path | None = None) -> SubmitResult:
    """Store a request (or queue it when the database is down) and tell the staff.

    Returns status "invalid" without storing anything if an answer fails the
    checks (see :func:`revalidated`).
    """
    try:
        form = revalidated(form)
    except Invalid as error:
        log.warning("booking request refused: %s", error)
        return SubmitResult(None, "invalid")
    outbox = outbox or OUTBOX
    reference = new_reference()
    try:
        flush_outbox(db_url, outbox)
        row, duplicate = _insert(form, reference, db_url)
    except LimitReached:
        log.warning("booking request refused: conversation %s is over the daily limit", form.conversation_id)
        return SubmitResult(None, "limited")
    except (SQLAlchemyError, OSError):
        log.exception("booking could not be stored; queueing it")
        queued = _queue(form, reference, outbox)
        return SubmitResult(reference if queued else None, "queued" if queued else "failed")
    notified = row.notified_at is not None or _notify_and_mark(row.id, db_url)
    retry_notifications(db_url)
    return SubmitResult(row.reference, "saved", duplicate=duplicate, staff_notified=notified)


# ------------------------------------------------------------- notification

@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    recipient: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        host, recipient = os.environ.get("SMTP_HOST"), os.environ.get("STAFF_EMAIL")
        if not host or not recipient:
            return None
        return cls(host=host, port=int(os.environ.get("SMTP_PORT", "25")),
                   sender=os.environ.get("SMTP_FROM", "assistant@localhost"), recipient=recipient,
                   user=os.environ.get("SMTP_USER"), password=os.environ.get("SMTP_PASSWORD"),
                   starttls=os.environ.get("SMTP_STARTTLS", "").lower() in {"1", "true", "yes"})


def staff_email(row: BookingRequest, settings: SmtpSettings) -> EmailMessage:
    # The problem description is health information: it stays in the
    # database (staff console) and is not copied into e-mail.
    known = load_clinic().office(row.office)
    office = known.short_name if known else row.office
    message = EmailMessage()
    message["Subject"] = f"New booking request {row.reference} ({office})"
    message["From"], message["To"] = settings.sender, settings.recipient
    message.set_content(
        f"A visitor asked to be contacted for a consultation.\n\n"
        f"Reference: {row.reference}\nName: {row.full_name}\nPhone: {row.phone or '-'}\n"
        f"E-mail: {row.email or '-'}\nOffice: {office}\nPreferred times: {row.preferred_times}\n"
        f"Conversation: {row.conversation_id}\n\n"
        "The visitor's description of the problem is in the staff console.\n"
    )
    return message


def send_email(message: EmailMessage, settings: SmtpSettings) -> None:
    """Send over SMTP; with a password, only over TLS with a verified certificate."""
    with smtplib.SMTP(settings.host, settings.port, timeout=10) as smtp:
        if settings.starttls or settings.password:
            smtp.starttls(context=ssl.create_default_context())
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.send_message(message)


def _notify_and_mark(row_id: int, db_url: str | None) -> bool:
    settings = SmtpSettings.from_env()
    if settings is None:
        return False  # e-mail not configured: the console row is the notice
    try:
        with session(db_url) as db:
            row = db.get(BookingRequest, row_id)
            if row is None or row.notified_at is not None:
                return row is not None
            send_email(staff_email(row, settings), settings)
            row.notified_at = utcnow()
        return True
    except Exception:  # noqa: BLE001 - one bad row must not stop the others or start-up
        log.exception("staff e-mail for booking %s failed; will retry", row_id)
        return False


def retry_notifications(db_url: str | None = None) -> int:
    """E-mail staff about stored requests that were not announced yet."""
    if SmtpSettings.from_env() is None:
        return 0
    try:
        with session(db_url) as db:
            pending = db.execute(select(BookingRequest.id).where(BookingRequest.notified_at.is_(None))
                                 ).scalars().all()
    except SQLAlchemyError:
        return 0
    return sum(_notify_and_mark(row_id, db_url) for row_id in pending)
