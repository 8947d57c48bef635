"""The console says things plainly (issue 31, point 6): e-mail state, mailto links, sign-out, one "Top topics"."""

from __future__ import annotations

import pytest

from assistant.store import BookingRequest, BookingStatus, session, utcnow
from tests.conftest import STAFF_PASSWORD


@pytest.fixture()
def staff(make_console, db_url):
    app = make_console()
    with session(db_url) as db:
        db.add(BookingRequest(reference="SIJ-ABCDEFGH", submission_key="k1", conversation_id="c1",
                              full_name="Jo Doe", phone="(708) 555-0123", email="jo@example.com",
                              office="oak_park", preferred_times="mornings", consent=True,
                              status=BookingStatus.new, created_at=utcnow(), updated_at=utcnow()))
    client = app.test_client()
    name = "alice"
    assert client.post("/staff/login", data={"username": name, "password": STAFF_PASSWORD,
                                             "next": ""}).status_code == 302
    return client


def test_without_staff_email_a_booking_says_it_is_listed_here_only(staff, monkeypatch):
    monkeypatch.delenv("SMTP_HOST", raising=False)
    page = staff.get("/staff/bookings").get_data(as_text=True)
    assert "listed here only (no staff e-mail set up)" in page
    assert "not e-mailed yet" not in page


def test_with_staff_email_an_unsent_notice_is_flagged(staff, monkeypatch):
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("STAFF_EMAIL", "desk@example.com")
    assert "not e-mailed yet" in staff.get("/staff/bookings").get_data(as_text=True)


def test_a_visitors_email_address_is_a_mailto_link(staff):
    assert '<a href="mailto:jo@example.com">jo@example.com</a>' in staff.get("/staff/bookings").get_data(as_text=True)


def test_signing_out_says_so(staff):
    page = staff.post("/staff/logout", follow_redirects=True).get_data(as_text=True)
    assert "You are signed out." in page


def test_top_topics_appears_once_on_the_overview(staff):
    assert staff.get("/staff/overview").get_data(as_text=True).count("Top topics") == 1


def test_the_list_and_the_transcript_count_visitor_messages_the_same_way(staff, db_url):
    """Issue 31, point 2: typed messages are counted everywhere; button clicks are shown apart."""
    import json
    import time

    from sqlalchemy import insert

    from assistant import chat_sessions
    from assistant.store import get_engine, tracker_events

    conversation_id, _ = chat_sessions.issue()
    texts = ["what is prp?", '/choose_topic{"topic": "prp_what"}', "thanks", "/affirm"]
    now = time.time()
    with get_engine(db_url).begin() as connection:
        connection.execute(insert(tracker_events), [
            {"sender_id": conversation_id, "type_name": "user", "timestamp": now + i,
             "data": json.dumps({"event": "user", "text": text})} for i, text in enumerate(texts)])
    listed = staff.get("/staff/conversations").get_data(as_text=True)
    at = listed.index(conversation_id)
    row = listed[listed.rfind("<tr>", 0, at):listed.index("</tr>", at)]
    assert "<td>2</td>" in row
    assert "Visitor messages (typed)" in listed
    transcript = staff.get(f"/staff/conversations/{conversation_id}").get_data(as_text=True)
    assert "2 visitor messages typed, 2 button clicks" in transcript


def test_the_list_says_when_conversations_wait_in_the_tracker_journal(staff, monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_JOURNAL_DIR", str(tmp_path / "journal"))
    assert "kept in the journal" not in staff.get("/staff/conversations").get_data(as_text=True)
    (tmp_path / "journal").mkdir()
    (tmp_path / "journal" / "0123.json").write_text('{"sender_id": "x", "events": []}')
    page = staff.get("/staff/conversations").get_data(as_text=True)
    assert "1 conversation with turns the database refused, kept in the journal" in page
