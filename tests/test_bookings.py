"""Booking validation, storage in a real SQLite file, outbox and staff e-mail."""

from __future__ import annotations

import sqlite3

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from assistant.bookings import (
    BookingForm,
    Invalid,
    clean_contact,
    clean_free_text,
    clean_name,
    flush_outbox,
    match_office,
    retry_notifications,
    submit,
)
from assistant.store import BookingRequest, BookingStatus, session


def form(**changes) -> BookingForm:
    values = dict(conversation_id="conv-1", full_name="Zoë O'Neill-Smith", phone="(708) 555-0123",
                  email=None, office="oak_park", preferred_times="Tuesday mornings",
                  problem="<script>alert(1)</script> SI pain after fusion", consent=True)
    values.update(changes)
    return BookingForm(**values)


@pytest.mark.parametrize("name", ["Zoë O'Neill-Smith", "José Álvarez", "Anne-Marie D’Arcy", "Dr. Li Wei"])
def test_real_names_are_accepted(name):
    assert clean_name(f"  {name} ") == name


@pytest.mark.parametrize("name", ["", "12345", "<script>alert(1)</script>", "x", "a" * 101])
def test_non_names_are_refused_with_a_hint(name):
    with pytest.raises(Invalid):
        clean_name(name)


@pytest.mark.parametrize("text,phone,email", [
    ("708-555-0123", "(708) 555-0123", None),
    ("call me at (239) 555 0199 please", "(239) 555-0199", None),
    ("+1 708 555 0123", "(708) 555-0123", None),
    ("Jane.Doe@Example.com", None, "Jane.Doe@example.com"),
    ("7085550123 or jane@example.org", "(708) 555-0123", "jane@example.org"),
])
def test_contacts_are_found_and_normalised(text, phone, email):
    contact = clean_contact(text)
    assert (contact.phone, contact.email) == (phone, email)


@pytest.mark.parametrize("text,hint", [
    ("call me maybe", "couldn't find a phone number"),
    ("jane@", "looks incomplete"),
    ("jane@localhost", "looks incomplete"),
    ("555-1234", "couldn't find a phone number"),
])
def test_bad_contacts_are_re_asked_with_a_helpful_hint(text, hint):
    with pytest.raises(Invalid, match=hint):
        clean_contact(text)


def test_offices_are_matched_from_free_text():
    assert match_office("Oak Park").id == "oak_park"
    assert match_office("the florida one").id == "fort_myers"
    assert match_office("fort_myers").id == "fort_myers"
    assert match_office("Chicago please").id == "oak_park"
    assert match_office("Fort Myers, FL").id == "fort_myers"
    with pytest.raises(Invalid, match="Oak Park, IL or Fort Myers, FL"):
        match_office("Dallas")


def test_free_text_limits_and_skip():
    assert clean_free_text("skip", "problem", optional=True) is None
    assert clean_free_text("<b>mornings</b>", "times") == "<b>mornings</b>"
    with pytest.raises(Invalid, match="too long"):
        clean_free_text("x" * 10_000, "problem", optional=True)


def test_a_confirmed_request_is_stored_once_with_an_unguessable_reference(db_url):
    first = submit(form(), db_url=db_url)
    again = submit(form(), db_url=db_url)
    assert first.status == "saved" and not first.duplicate
    assert again.duplicate and again.reference == first.reference
    assert first.reference.startswith("SIJ-") and len(first.reference) == 12
    with session(db_url) as db:
        rows = db.execute(select(BookingRequest)).scalars().all()
    assert len(rows) == 1
    row = rows[0]
    assert row.status == BookingStatus.new
    assert row.problem.startswith("<script>")  # stored as text, exactly as typed
    assert row.full_name == "Zoë O'Neill-Smith"


def test_references_differ_between_requests(db_url):
    refs = {submit(form(conversation_id=f"c{i}"), db_url=db_url).reference for i in range(20)}
    assert len(refs) == 20


def test_staff_are_emailed_through_a_real_smtp_server(db_url, smtp_server):
    inbox, _ = smtp_server
    result = submit(form(), db_url=db_url)
    assert result.staff_notified
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert result.reference in mail["Subject"]
    body = mail.get_payload(decode=True).decode()
    assert "Zoë O'Neill-Smith" in body and "(708) 555-0123" in body
    assert "<script>" not in body  # the problem description is not e-mailed


def test_smtp_down_keeps_the_request_and_retries_later(db_url, smtp_server, tmp_path):
    inbox, controller = smtp_server
    controller.stop()
    result = submit(form(), db_url=db_url)
    assert result.status == "saved" and not result.staff_notified
    restarted = Controller(inbox, hostname=controller.hostname, port=controller.port)
    restarted.start()
    try:
        assert retry_notifications(db_url) == 1
        assert len(inbox.messages) == 1
        assert retry_notifications(db_url) == 0
    finally:
        restarted.stop()


def test_database_down_queues_to_the_outbox_and_flushes_when_back(db_url, tmp_path):
    outbox = tmp_path / "outbox.jsonl"
    db_file = tmp_path / "db" / "rasa.db"
    db_file.rename(tmp_path / "moved.db")
    db_file.parent.rmdir()
    db_file.parent.write_text("not a directory")  # the database cannot be opened now
    result = submit(form(), db_url=db_url, outbox=outbox)
    assert result.status == "queued" and result.reference
    assert result.reference in outbox.read_text()
    # The database comes back: the queued request is inserted once, with its reference.
    db_file.parent.unlink()
    db_file.parent.mkdir()
    (tmp_path / "moved.db").rename(db_file)
    assert flush_outbox(db_url, outbox) == 1
    assert outbox.read_text() == ""
    with sqlite3.connect(db_file) as db:
        assert db.execute("select reference from booking_requests").fetchall() == [(result.reference,)]


def test_nothing_to_store_and_no_outbox_is_reported_as_failed(tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    result = submit(form(), db_url=f"sqlite:///{blocked / 'x.db'}", outbox=blocked / "outbox.jsonl")
    assert result == result.__class__(None, "failed")


def test_migrations_match_the_models(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from assistant.store import Base, get_engine

    with get_engine(db_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "include_object": lambda obj, name, type_, *_: type_ != "table" or name in Base.metadata.tables})
        assert compare_metadata(context, Base.metadata) == []


@pytest.mark.parametrize("changes", [
    {"office": "oak_park\nBcc: everyone@example.com"},
    {"office": "mars"},
    {"full_name": "<script>alert(1)</script>"},
    {"phone": "not a phone", "email": None},
    {"preferred_times": ""},
    {"consent": False},
])
def test_submit_checks_every_answer_again_and_stores_nothing_invalid(db_url, changes):
    result = submit(form(**changes), db_url=db_url)
    assert result.status == "invalid" and result.reference is None
    with session(db_url) as db:
        assert db.execute(select(BookingRequest)).first() is None


def test_one_row_that_cannot_be_emailed_does_not_stop_the_others(db_url, smtp_server):
    inbox, _ = smtp_server
    with session(db_url) as db:  # a row stored before submit() re-checked its answers
        db.add(BookingRequest(reference="BAD-ROW", submission_key="bad", conversation_id="c",
                              full_name="Bad\nRow", phone=None, email="x@example.com",
                              office="oak_park\nBcc: x", preferred_times="any", problem=None,
                              consent=True))
    result = submit(form(), db_url=db_url)
    assert result.status == "saved" and result.staff_notified
    assert [m["Subject"] for m in inbox.messages] == [f"New booking request {result.reference} (Oak Park, IL)"]
    assert retry_notifications(db_url) == 0  # the bad row fails alone, again, without raising


def test_database_and_outbox_files_are_private(tmp_path):
    from assistant.bookings import _queue
    from assistant.store import migrate

    db = tmp_path / "private.db"
    migrate(f"sqlite:///{db}")
    assert db.stat().st_mode & 0o777 == 0o600
    outbox = tmp_path / "outbox.jsonl"
    assert _queue(form(), "SIJ-TEST0001", outbox)
    assert outbox.stat().st_mode & 0o777 == 0o600


def test_a_password_is_never_sent_without_tls(db_url, monkeypatch):
    """A server that would take the password in clear text gets neither it nor the e-mail."""
    from aiosmtpd.smtp import AuthResult

    from tests.conftest import Inbox, free_port

    logins = []

    def authenticator(server, session_, envelope, mechanism, auth_data):
        logins.append(mechanism)
        return AuthResult(success=True)

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_require_tls=False)
    controller.start()
    try:
        for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_USER": "assistant",
                           "SMTP_PASSWORD": "secret", "STAFF_EMAIL": "desk@clinic.test"}.items():
            monkeypatch.setenv(key, value)
        result = submit(form(), db_url=db_url)
    finally:
        controller.stop()
    assert result.status == "saved" and not result.staff_notified
    assert logins == [] and inbox.messages == []


def test_one_conversation_cannot_send_unlimited_requests(db_url, smtp_server, monkeypatch):
    inbox, _ = smtp_server
    monkeypatch.setenv("BOOKING_LIMIT_PER_CONVERSATION", "2")
    results = [submit(form(preferred_times=f"day {i}"), db_url=db_url) for i in range(4)]
    assert [r.status for r in results] == ["saved", "saved", "limited", "limited"]
    assert results[2].reference is None
    # the repeated confirmation of an earlier request is still found, not refused
    assert submit(form(preferred_times="day 0"), db_url=db_url).duplicate
    assert len(inbox.messages) == 2  # the staff got two e-mails, not four
    assert submit(form(conversation_id="another-visitor"), db_url=db_url).status == "saved"


def test_migrating_a_live_database_keeps_its_write_ahead_log(tmp_path):
    """``migrate()`` on a database another process is using (the staff CLI beside a running bot).

    Closing any descriptor of the database file drops this process's SQLite locks
    on it; the next process to close its last connection then believes it is the
    only user, checkpoints and deletes the ``-wal`` file under our open
    connection, whose later commits go to a deleted file ("database disk image
    is malformed", lost rows). That happened once in CI.
    """
    import subprocess
    import sys

    from assistant.store import migrate

    db = tmp_path / "live.db"
    url = f"sqlite:///{db}"
    migrate(url)
    live = sqlite3.connect(db, isolation_level=None)
    live.execute("create table notes (x)")
    other = ("import sqlite3, sys; d = sqlite3.connect(sys.argv[1], isolation_level=None); "
             "d.execute('insert into notes values (1)'); d.close()")
    for _ in range(3):
        subprocess.run([sys.executable, "-c", other, str(db)], check=True)
        migrate(url)
        live.execute("insert into notes values (2)")
        assert (tmp_path / "live.db-wal").exists()
    live.close()
    with sqlite3.connect(db) as check:
        assert check.execute("pragma integrity_check").fetchone() == ("ok",)
        assert check.execute("select count(*) from notes").fetchone() == (6,)


def test_every_alias_in_clinic_yml_names_its_own_office_only():
    from assistant.clinic import load_clinic

    clinic = load_clinic()
    aliases = [(alias, office) for office in clinic.offices for alias in office.aliases]
    assert aliases, "data/clinic.yml lists no aliases"
    for alias, office in aliases:
        assert [o.id for o in clinic.offices if o.named_in(f"the {alias} office")] == [office.id]
        assert clinic.office_named(alias, exact=True) is None  # "Myers" alone may be a surname
    assert clinic.office_named("I'll come in") is None  # "il" only as a word of its own
