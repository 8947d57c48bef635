"""Visitors' "was this helpful?": the endpoint, what it refuses, and what staff see (real SQLite file)."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from assistant import chat_sessions
from assistant.store import AnswerFeedback, get_engine, session, tracker_events, tracker_metadata
from tests.conftest import STAFF_PASSWORD

PASSWORD = STAFF_PASSWORD


def add_answer(url: str, conversation_id: str, question: str, topic: str) -> None:
    """A visitor question and the bot's answer, as Rasa's tracker store keeps them."""
    now = time.time()
    with get_engine(url).begin() as connection:
        tracker_metadata.create_all(connection)
        connection.execute(insert(tracker_events), [
            {"sender_id": conversation_id, "type_name": "user", "timestamp": now,
             "data": json.dumps({"event": "user", "text": question})},
            {"sender_id": conversation_id, "type_name": "bot", "timestamp": now + 1,
             "data": json.dumps({"event": "bot", "text": "...", "data": {"custom": {
                 "kind": "answer", "topic": topic, "answer": "An answer.", "sources": []}}})},
        ])


@pytest.fixture()
def app(make_console):
    # CSRF stays on: the widget's endpoint must work without a token, the console's forms not.
    return make_console(accounts=(("alice", "admin"),), csrf=True)


def rate(client, token: object, topic: object, helpful: object):
    return client.post("/widget/feedback", json={"session_id": token, "topic": topic, "helpful": helpful})


def rows(url: str) -> list[tuple[str, str, bool]]:
    with session(url) as db:
        found = db.execute(select(AnswerFeedback).order_by(AnswerFeedback.id)).scalars().all()
        return [(r.conversation_id, r.topic, r.helpful) for r in found]


def test_a_visitor_rates_an_answer_and_can_change_their_mind(app, db_url) -> None:
    conversation_id, token = chat_sessions.issue()
    add_answer(db_url, conversation_id, "what is prolotherapy?", "prolotherapy_what")
    client = app.test_client()
    response = rate(client, token, "prolotherapy_what", False)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert rows(db_url) == [(conversation_id, "prolotherapy_what", False)]
    assert rate(client, token, "prolotherapy_what", True).status_code == 204
    assert rows(db_url) == [(conversation_id, "prolotherapy_what", True)]


def test_the_browser_preflight_is_answered(app) -> None:
    response = app.test_client().options("/widget/feedback", headers={
        "Origin": "https://other-clinic-site.test", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize(("token", "topic", "helpful", "status"), [
    ("forged", "prolotherapy_what", False, 403),  # no signature
    ("OWN", "prp_what", False, 404),  # an FAQ this conversation was not answered
    ("OTHER", "prolotherapy_what", False, 404),  # a real token, but not that conversation's answer
    ("OWN", "prolotherapy_what", "no", 400),
    ("OWN", "prolotherapy_what", None, 400),
    ("OWN", "<script>alert(1)</script>", True, 404),
    ("OWN", "x" * 5000, True, 400),
    ("OWN", ["prolotherapy_what"], True, 400),
    (None, "prolotherapy_what", True, 403),
])
def test_ratings_that_are_not_the_visitors_own_are_refused(app, db_url, token, topic, helpful, status) -> None:
    conversation_id, own = chat_sessions.issue()
    add_answer(db_url, conversation_id, "what is prolotherapy?", "prolotherapy_what")
    other_id, other = chat_sessions.issue()
    add_answer(db_url, other_id, "what is PRP?", "prp_what")
    token = {"OWN": own, "OTHER": other}.get(token, token)
    if token == "forged":
        token = f"{conversation_id}.{'0' * 32}"
    response = rate(app.test_client(), token, topic, helpful)
    assert response.status_code == status
    assert response.get_json()["error"]
    assert rows(db_url) == []


@pytest.mark.parametrize("body", [b"", b"\x00\xff\xfe binary", b"[1, 2]", b"not json", b'"a string"'])
def test_bodies_that_are_not_a_json_object_get_a_clear_error(app, db_url, body) -> None:
    response = app.test_client().post("/widget/feedback", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == {"error": "expected a JSON object"}
    assert rows(db_url) == []


def test_a_huge_body_is_refused_before_it_is_read(app, db_url) -> None:
    response = app.test_client().post("/widget/feedback", data=b"{" + b" " * 200_000 + b"}",
                                      content_type="application/json")
    assert response.status_code == 413
    assert rows(db_url) == []


def signed_in(app):
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post("/staff/login", data={"username": "alice", "password": PASSWORD,
                                                 "csrf_token": token})
    assert response.status_code == 302
    return client


def test_staff_see_ratings_as_flags_in_the_transcript_and_per_faq(app, db_url) -> None:
    unhappy, unhappy_token = chat_sessions.issue()
    happy, happy_token = chat_sessions.issue()
    silent, _ = chat_sessions.issue()
    add_answer(db_url, unhappy, "is prolotherapy painful?", "prolotherapy_what")
    add_answer(db_url, happy, "what is prolotherapy?", "prolotherapy_what")
    add_answer(db_url, silent, "what is PRP?", "prp_what")
    visitor = app.test_client()
    assert rate(visitor, unhappy_token, "prolotherapy_what", False).status_code == 204
    assert rate(visitor, happy_token, "prolotherapy_what", True).status_code == 204

    staff = signed_in(app)
    listed = staff.get("/staff/conversations?flag=unhelpful").get_data(as_text=True)
    assert unhappy in listed and happy not in listed and silent not in listed
    assert "is prolotherapy painful?" in listed
    listed = staff.get("/staff/conversations?flag=helpful").get_data(as_text=True)
    assert happy in listed and unhappy not in listed
    transcript = staff.get(f"/staff/conversations/{unhappy}").get_data(as_text=True)
    assert "Visitor rated this answer: <strong>not helpful</strong>" in transcript
    assert "Visitor rated this answer" not in staff.get(f"/staff/conversations/{silent}").get_data(as_text=True)
    overview = staff.get("/staff/overview").get_data(as_text=True)
    section = overview.split("Visitor feedback per FAQ")[1].split("</table>")[0]
    assert "<tr><td>What is prolotherapy?</td><td>1</td><td>1</td></tr>" in section  # one helpful, one not
    assert "PRP" not in section  # never rated

    # deleting the conversation (a visitor's request) deletes its rating too
    page = staff.get(f"/staff/conversations/{unhappy}").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[-1].split('"')[0]
    assert staff.post(f"/staff/conversations/{unhappy}/delete",
                      data={"csrf_token": token, "confirm": "delete"}).status_code == 302
    with session(db_url) as db:
        left = db.execute(select(func.count()).select_from(AnswerFeedback)).scalar_one()
    assert left == 1


def test_console_times_are_the_clinics_with_utc_on_hover(app, db_url, monkeypatch) -> None:
    conversation_id, _ = chat_sessions.issue()
    add_answer(db_url, conversation_id, "what is prolotherapy?", "prolotherapy_what")
    staff = signed_in(app)
    html = staff.get("/staff/conversations").get_data(as_text=True)
    stamp = re.search(r'<time datetime="([^"]+)Z" title="([^"]+) UTC">([^<]+)</time>', html)
    assert stamp is not None
    utc = datetime.fromisoformat(stamp.group(1)).replace(tzinfo=timezone.utc)
    chicago = utc.astimezone(ZoneInfo("America/Chicago"))  # data/clinic.yml
    assert stamp.group(3) == chicago.strftime("%Y-%m-%d %H:%M ") + chicago.tzname()
    assert stamp.group(2) == utc.strftime("%Y-%m-%d %H:%M")
    monkeypatch.setenv("STAFF_TIME_ZONE", "America/New_York")
    html = staff.get(f"/staff/conversations/{conversation_id}").get_data(as_text=True)
    assert utc.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M ") in html
    monkeypatch.setenv("STAFF_TIME_ZONE", "Not/AZone")  # a typo falls back to UTC, the page still works
    html = staff.get("/staff/conversations").get_data(as_text=True)
    assert utc.strftime("%Y-%m-%d %H:%M UTC</time>") in html


def test_import_labels_lists_unhelpful_answers_nobody_has_labelled(app, db_url, monkeypatch, capsys) -> None:
    from assistant.store import LabelledExample
    from assistant.tools.import_labels import main as import_labels

    unlabelled, token = chat_sessions.issue()
    labelled, other_token = chat_sessions.issue()
    for conversation_id in (unlabelled, labelled):
        add_answer(db_url, conversation_id, "is prolotherapy painful?", "prolotherapy_what")
    client = app.test_client()
    assert rate(client, token, "prolotherapy_what", False).status_code == 204
    assert rate(client, other_token, "prolotherapy_what", False).status_code == 204
    with session(db_url) as db:
        db.add(LabelledExample(conversation_id=labelled, event_id=1, text="is prolotherapy painful?",
                               faq_id="prolotherapy_what", labelled_by="alice", imported_at=datetime.now()))
    monkeypatch.setattr("subprocess.run", lambda *a, **k: None)  # no git diff of data/faq here
    assert import_labels([]) == 0
    out = capsys.readouterr().out
    assert "1 answers rated not helpful by visitors, in conversations nobody has labelled" in out
    assert f"/staff/conversations/{unlabelled}  (answered with prolotherapy_what)" in out
    assert labelled not in out
