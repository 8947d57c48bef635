"""The staff console over conversations made through the real running bot.

The conversations below go through the Rasa server and action server (REST);
the console reads them from the same SQLite tracker store.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Bot, running_web, staff_console_env
from tests.e2e.test_widget import SCREENSHOTS

PASSWORD = "correct horse battery staple"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'
SQLI = "x' OR '1'='1'; DROP TABLE events; --"


def book(bot: Bot, sender: str) -> str:
    for text in ["I'd like to book an appointment", "Zoë O'Neill-Smith", "708-555-0123",
                 '/choose_office{"office": "oak_park"}', "weekday mornings", "skip", "/affirm"]:
        bot.send(text, sender)
    confirmation = bot.send("/confirm_booking", sender)
    return bot.custom(confirmation)["booking_reference"]


@pytest.fixture(scope="module")
def chats(bot: Bot) -> dict[str, str]:
    """Real conversations: an answer, a fallback, a red flag, hostile text, a booking."""
    ids = {name: f"console-{name}-{uuid.uuid4().hex[:8]}"
           for name in ("answer", "fallback", "urgent", "xss", "booking", "formula", "error")}
    bot.send("is fusion my only option?", ids["answer"])
    bot.send("what is prolotherapy?", ids["answer"])
    bot.send("what's the weather in Paris tomorrow?", ids["fallback"])
    bot.send("my legs are going numb and I can't control my bladder", ids["urgent"])
    bot.send(XSS, ids["xss"])
    bot.send(SQLI, ids["xss"])
    bot.send('=HYPERLINK("http://evil.example","is fusion needed?")', ids["formula"])
    ids["reference"] = book(bot, ids["booking"])
    bot.stop_actions()  # a turn that fails: no reply from the bot, so the channel apologises
    try:
        bot.send("what is prolotherapy?", ids["error"])
    finally:
        bot.start_actions()
    return ids


@pytest.fixture(scope="module")
def console_env(bot: Bot, tmp_path_factory) -> Iterator[dict[str, str]]:
    """Point the web app (in this process and as a server) at the bot's database."""
    with staff_console_env(bot, tmp_path_factory.mktemp("console"), (("alice", "admin"), ("sam", "staff")),
                           PASSWORD) as env:
        yield env


@pytest.fixture()
def client(console_env):
    from webapp import create_app

    return create_app({"TESTING": True}).test_client()


def csrf(client, path: str = "/staff/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def sign_in(client, username: str = "alice", password: str = PASSWORD):
    return client.post("/staff/login", data={"username": username, "password": password,
                                              "csrf_token": csrf(client)})


def sign_in_page(page: Page, url: str, username: str) -> None:
    """Sign in through the console's form, as staff do."""
    page.goto(f"{url}/staff/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def staff_urls(chats: dict[str, str]) -> list[str]:
    return ["/staff/", "/staff/conversations", f"/staff/conversations/{chats['answer']}",
            "/staff/bookings", "/staff/audit", "/staff/overview", "/staff/export/conversations.csv",
            "/staff/export/bookings.csv", "/staff/vendor/chart.umd.min.js", "/staff/users"]


def test_every_staff_page_needs_a_session(client, chats) -> None:
    for url in staff_urls(chats):
        response = client.get(url)
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"], url
    for url in [f"/staff/conversations/{chats['answer']}/review", f"/staff/conversations/{chats['answer']}/label",
                f"/staff/conversations/{chats['answer']}/delete", "/staff/bookings/1/status", "/staff/logout"]:
        assert client.post(url, data={}).status_code in {302, 400}, url
        assert client.post(url, data={}).status_code != 200


def test_posts_without_csrf_token_are_refused(client, chats) -> None:
    assert sign_in(client).status_code == 302
    response = client.post(f"/staff/conversations/{chats['answer']}/review",
                           data={"tags": "follow up", "note": "x"})
    assert response.status_code == 400
    response = client.post("/staff/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400


def test_wrong_passwords_are_rate_limited(client) -> None:
    for _ in range(5):
        assert sign_in(client, "sam", "not the password at all").status_code == 401
    # now even the right password is refused for this account, for a while
    response = sign_in(client, "sam", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)
    assert sign_in(client, "alice").status_code == 302  # other accounts are unaffected
    with sqlite3.connect(console_env_db(client)) as db:
        db.execute("delete from login_attempts where username = 'sam'")


def console_env_db(client) -> str:
    import os

    return os.environ["DATABASE_URL"].removeprefix("sqlite:///")


def test_list_shows_flags_topics_and_first_question(client, chats) -> None:
    sign_in(client)
    html = client.get("/staff/conversations").get_data(as_text=True)
    for key in ("answer", "fallback", "urgent", "booking"):
        assert chats[key] in html
    row = html[html.index(chats["answer"]):].split("</tr>")[0]
    assert "is fusion my only option?" in row and "Is SI fusion my only option?" in row  # titles, not ids
    urgent = client.get("/staff/conversations?flag=urgent").get_data(as_text=True)
    assert chats["urgent"] in urgent and chats["answer"] not in urgent
    fallback = client.get("/staff/conversations?flag=fallback").get_data(as_text=True)
    assert chats["fallback"] in fallback
    booked = client.get("/staff/conversations?flag=booking").get_data(as_text=True)
    assert chats["booking"] in booked and chats["fallback"] not in booked
    errors = client.get("/staff/conversations?flag=error").get_data(as_text=True)
    assert chats["error"] in errors and chats["answer"] not in errors and "Bot error" in errors
    found = client.get("/staff/conversations?q=PROLOTHERAPY").get_data(as_text=True)
    assert chats["answer"] in found and chats["urgent"] not in found
    future = client.get("/staff/conversations?from=2999-01-01").get_data(as_text=True)
    assert "No conversations match." in future


def test_hostile_text_is_escaped_and_search_is_not_sql(client, chats) -> None:
    sign_in(client)
    html = client.get(f"/staff/conversations/{chats['xss']}").get_data(as_text=True)
    assert "<img src=x" not in html and "<script>window" not in html
    assert "&lt;img src=x onerror=" in html
    found = client.get("/staff/conversations", query_string={"q": SQLI}).get_data(as_text=True)
    assert chats["xss"] in found and chats["answer"] not in found  # matched as text
    for hostile in ["' OR 1=1 --", "%", "_", "\x00", "😀" * 50]:
        assert client.get("/staff/conversations", query_string={"q": hostile}).status_code == 200
    with sqlite3.connect(console_env_db(client)) as db:
        assert db.execute("select count(*) from events").fetchone()[0] > 0


def test_transcript_review_label_and_audit(client, chats) -> None:
    sign_in(client)
    url = f"/staff/conversations/{chats['answer']}"
    html = client.get(url).get_data(as_text=True)
    assert "intent <code>faq</code>" in html and "<blockquote>" in html
    event_id = int(re.search(r'name="event_id" value="(\d+)"', html).group(1))
    token = csrf(client, url)
    assert client.post(f"{url}/review", data={"tags": ["wrong answer", "follow up"], "note": "check <b>",
                                              "reviewed": "y", "csrf_token": token}).status_code == 302
    assert client.post(f"{url}/label", data={"event_id": event_id, "faq_id": "prolotherapy_what",
                                             "csrf_token": token}).status_code == 302
    # relabelling replaces the label instead of adding a second one
    assert client.post(f"{url}/label", data={"event_id": event_id, "faq_id": "__new_faq__",
                                             "csrf_token": token}).status_code == 302
    # a label for an event of another conversation is refused
    assert client.post(f"/staff/conversations/{chats['urgent']}/label",
                       data={"event_id": event_id, "faq_id": "prp_what", "csrf_token": token}).status_code == 404
    with sqlite3.connect(console_env_db(client)) as db:
        assert db.execute("select tags, note, reviewed_by from conversation_reviews where conversation_id = ?",
                          (chats["answer"],)).fetchall() == [("wrong answer,follow up", "check <b>", "alice")]
        assert db.execute("select text, faq_id, labelled_by from labelled_examples where event_id = ?",
                          (event_id,)).fetchall() == [("is fusion my only option?", "__new_faq__", "alice")]
        viewed = db.execute("select username from audit_log where action = 'view_conversation' "
                            "and target = ?", (chats["answer"],)).fetchall()
    assert ("alice",) in viewed
    assert "check &lt;b&gt;" in client.get(url).get_data(as_text=True)


def test_overview_and_csv_export(client, chats) -> None:
    sign_in(client)
    html = client.get("/staff/overview").get_data(as_text=True)
    assert 'id="chart-days"' in html and "Is SI fusion my only option?: " in html
    assert "what&#39;s the weather in paris tomorrow?" in html  # a top unanswered question
    export = client.get("/staff/export/conversations.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    text = export.get_data(as_text=True)
    assert text.startswith("conversation_id,started_at_utc,visitor_messages,first_question,topics,flags")
    assert chats["answer"] in text and "fusion_only_option" in text
    assert "'=HYPERLINK" in text  # formulas are neutralised
    bookings = client.get("/staff/export/bookings.csv").get_data(as_text=True)
    assert chats["reference"] in bookings
    with sqlite3.connect(console_env_db(client)) as db:
        exports = db.execute("select target from audit_log where action = 'export' and username = 'alice'").fetchall()
    assert ("conversations",) in exports and ("bookings",) in exports


def test_admin_manages_accounts(client) -> None:
    sign_in(client)
    token = csrf(client, "/staff/users")
    assert client.post("/staff/users", data={"username": "temp", "password": "short", "role": "staff",
                                             "csrf_token": token}).status_code == 200  # refused: too short
    assert client.post("/staff/users", data={"username": "temp", "password": PASSWORD, "role": "staff",
                                             "csrf_token": token}).status_code == 302
    with sqlite3.connect(console_env_db(client)) as db:
        (user_id, role, active), = db.execute("select id, role, active from staff_users where username = 'temp'")
    assert (role, active) == ("staff", 1)
    assert client.post(f"/staff/users/{user_id}/deactivate", data={"csrf_token": token}).status_code == 302
    other = client.application.test_client()
    assert sign_in(other, "temp").status_code == 401  # a deactivated account cannot sign in


def test_staff_role_cannot_see_audit_export_or_delete(client, chats) -> None:
    sign_in(client, "sam")
    assert client.get("/staff/users").status_code == 403
    assert client.get("/staff/conversations").status_code == 200
    assert client.get("/staff/overview").status_code == 200
    assert client.get("/staff/audit").status_code == 403
    assert client.get("/staff/export/conversations.csv").status_code == 403
    assert client.get("/staff/export/bookings.csv").status_code == 403
    token = csrf(client, "/staff/conversations")
    assert client.post(f"/staff/conversations/{chats['fallback']}/delete",
                       data={"csrf_token": token, "confirm": "delete"}).status_code == 403


def test_booking_status_change_and_link_to_conversation(client, chats) -> None:
    sign_in(client)
    html = client.get("/staff/bookings").get_data(as_text=True)
    assert chats["reference"] in html and f"/staff/conversations/{chats['booking']}" in html
    booking_id = int(re.search(rf'<tr id="b(\d+)">\s*<td><span class="reference">{chats["reference"]}<',
                               html).group(1))
    token = csrf(client, "/staff/bookings")
    assert client.post(f"/staff/bookings/{booking_id}/status",
                       data={"status": "contacted", "csrf_token": token}).status_code == 302
    assert client.post(f"/staff/bookings/{booking_id}/status",
                       data={"status": "bogus", "csrf_token": token}).status_code == 400
    with sqlite3.connect(console_env_db(client)) as db:
        assert db.execute("select status from booking_requests where id = ?", (booking_id,)).fetchone() == (
            "contacted",)
    # who handles it and a note; an assignee who is not an active account is refused
    assert client.post(f"/staff/bookings/{booking_id}/status", data={
        "status": "contacted", "assignee": "sam", "note": "<b>call back</b> after 3pm", "csrf_token": token,
    }).status_code == 302
    assert client.post(f"/staff/bookings/{booking_id}/status", data={
        "status": "contacted", "assignee": "mallory", "csrf_token": token}).status_code == 400
    with sqlite3.connect(console_env_db(client)) as db:
        assert db.execute("select assignee, staff_note from booking_requests where id = ?",
                          (booking_id,)).fetchone() == ("sam", "<b>call back</b> after 3pm")
    html = client.get("/staff/bookings").get_data(as_text=True)
    row = html[html.index(f'<tr id="b{booking_id}">'):].split("</tr>")[0]
    assert "Chicagoland Office (Oak Park, IL)" in row  # the office's name, not its id
    assert ">oak_park<" not in row
    assert "consent given" in row and "&lt;b&gt;call back&lt;/b&gt; after 3pm" in row
    assert '<option value="sam" selected>sam</option>' in row


def test_sessions_expire_when_idle(client, chats) -> None:
    client.application.config["STAFF_IDLE_SECONDS"] = 0
    sign_in(client)
    import time

    time.sleep(0.05)
    response = client.get("/staff/conversations")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_admin_deletes_one_conversation_and_nothing_else(client, chats, bot: Bot) -> None:
    victim = f"console-delete-{uuid.uuid4().hex[:8]}"
    bot.send("what is PRP?", victim)
    sign_in(client)
    with sqlite3.connect(console_env_db(client)) as db:
        before = db.execute("select count(*) from events where sender_id != ?", (victim,)).fetchone()[0]
        assert db.execute("select count(*) from events where sender_id = ?", (victim,)).fetchone()[0] > 0
    assert victim in client.get("/staff/conversations", query_string={"q": "what is prp"}).get_data(as_text=True)
    token = csrf(client, f"/staff/conversations/{victim}")
    # without "delete" typed into the box nothing goes, and the refusal is audited
    for typed in ["", "yes", "del"]:
        response = client.post(f"/staff/conversations/{victim}/delete", data={"csrf_token": token, "confirm": typed})
        assert response.status_code == 302
    with sqlite3.connect(console_env_db(client)) as db:
        assert db.execute("select count(*) from events where sender_id = ?", (victim,)).fetchone()[0] > 0
        assert db.execute("select count(*) from audit_log where action = 'delete_refused' and target = ?",
                          (victim,)).fetchone()[0] == 3
    assert client.post(f"/staff/conversations/{victim}/delete",
                       data={"csrf_token": token, "confirm": "delete"}).status_code == 302
    assert victim not in client.get("/staff/conversations", query_string={"q": "what is prp"}).get_data(as_text=True)
    with sqlite3.connect(console_env_db(client)) as db:
        assert db.execute("select count(*) from audit_log where action = 'delete_conversation' and target = ?",
                          (victim,)).fetchone()[0] == 1
        assert db.execute("select count(*) from events where sender_id = ?", (victim,)).fetchone()[0] == 0
        assert db.execute("select count(*) from events where sender_id != ?", (victim,)).fetchone()[0] == before
    assert client.get(f"/staff/conversations/{victim}").status_code == 404


def console_env_db_path(env: dict[str, str]) -> str:
    return env["DATABASE_URL"].removeprefix("sqlite:///")


def test_console_in_the_browser(console_env, chats, browser, tmp_path: Path, bot: Bot) -> None:
    book(bot, f"console-browser-booking-{uuid.uuid4().hex[:8]}")  # one request nobody has handled yet
    with running_web(bot.url, tmp_path, extra_env=console_env) as url:
        page: Page = browser.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(f"{url}/staff/conversations")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.get_by_label("Username").fill("alice")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Conversations")).to_be_visible()
        page.get_by_label("Flag").select_option("urgent")
        page.get_by_role("button", name="Filter").click()
        expect(page.locator("table.conversations tbody tr")).to_contain_text(["my legs are going numb"])
        page.get_by_label("Flag").select_option("")
        page.get_by_label("Visitor said").fill("onerror")
        page.get_by_role("button", name="Filter").click()
        page.locator("table.conversations tbody a").first.click()
        expect(page.locator(".turn.visitor .text").first).to_have_text(XSS)
        assert page.evaluate("window.__xss") is None
        page.get_by_label("wrong answer").check()
        page.get_by_label("Reviewed").check()
        page.get_by_role("button", name="Save review").click()
        expect(page.get_by_role("status")).to_have_text("Review saved.")
        page.get_by_label("Right FAQ").first.select_option("prp_what")
        page.get_by_role("button", name="Save label").first.click()
        expect(page.locator(".labelled").first).to_contain_text("labelled")
        with sqlite3.connect(console_env_db_path(console_env)) as db:
            waiting = db.execute("select count(*) from booking_requests where status = 'new'").fetchone()[0]
        nav = page.get_by_role("navigation", name="Console")
        expect(nav.get_by_role("link", name=re.compile("^Booking requests"))).to_have_text(
            f"Booking requests {waiting} new" if waiting else "Booking requests")
        page.get_by_role("link", name=re.compile("^Booking requests")).click()
        statuses = page.get_by_role("navigation", name="Status")
        expect(statuses.get_by_role("link")).to_have_count(5)
        if waiting:  # the navigation opens the new ones
            expect(statuses.get_by_role("link", name=re.compile(r"^new \(\d+\)"))).to_have_attribute(
                "aria-current", "page")
            statuses.get_by_role("link", name=re.compile(r"^all \(\d+\)")).click()
        row = page.locator(f"tr:has-text('{chats['reference']}')")
        expect(row.locator("td.office")).to_have_text("Chicagoland Office (Oak Park, IL)")
        expect(row.locator("td.consent")).to_contain_text("consent given")
        page.get_by_label(f"Note on {chats['reference']}").fill("Left a voicemail")
        row.get_by_label("Handled by").select_option("alice")
        page.get_by_label(f"Status of {chats['reference']}").select_option("booked")
        page.locator(f"tr:has-text('{chats['reference']}')").get_by_role("button", name="Save").click()
        expect(page.get_by_role("status")).to_contain_text("is now booked")
        row = page.locator(f"tr:has-text('{chats['reference']}')")
        expect(row.get_by_label("Handled by")).to_have_value("alice")
        reference = row.locator(".reference")  # one line, as the visitor reads it out on the phone
        line = reference.evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || 20")
        assert reference.bounding_box()["height"] < 1.5 * line, "the booking reference breaks across lines"
        expect(page.get_by_label(f"Note on {chats['reference']}")).to_have_value("Left a voicemail")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "console-bookings.png"), full_page=True)
        page.get_by_role("link", name="Overview").click()
        expect(page.locator("#chart-days")).to_have_attribute("height", re.compile(r"\d+"))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "console-overview.png"), full_page=True)
        assert problems == [], problems
        page.close()


def test_a_visitors_feedback_click_reaches_the_console(console_env, browser, tmp_path: Path, bot: Bot) -> None:
    """The widget's "No" under an answer, then staff find it by flag, in the transcript and per FAQ."""
    with running_web(bot.url, tmp_path, extra_env=console_env) as url:
        visitor = browser.new_context()
        chat = visitor.new_page()
        chat.goto(url)
        chat.get_by_role("button", name="Questions? Chat with us").click()
        expect(chat.locator(".sij-bot").first).to_be_visible()
        question = "So what exactly is prolotherapy?"  # only this test asks it
        chat.get_by_label("Your question").fill(question)
        chat.get_by_label("Your question").press("Enter")
        answer = chat.locator(".sij-bot.sij-kind-answer").first
        answer.get_by_role("button", name="No").click()
        expect(answer.get_by_role("group", name="Was this answer helpful?")).to_contain_text("Thank you")
        visitor.close()

        staff = browser.new_context()
        page = staff.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        sign_in_page(page, url, "sam")
        page.goto(f"{url}/staff/conversations")
        page.get_by_label("Flag").select_option("unhelpful")
        page.get_by_role("button", name="Filter").click()
        row = page.locator("table.conversations tbody tr", has_text=question)
        expect(row).to_contain_text("Visitor: answer not helpful")
        row.get_by_role("link").click()
        expect(page.locator(".rating-unhelpful")).to_have_text("Visitor rated this answer: not helpful")
        page.get_by_role("link", name="Overview").click()
        ratings = page.locator("table.ratings")
        expect(ratings.locator("tr", has_text="What is prolotherapy?")).to_be_visible()
        assert int(ratings.locator("tr", has_text="What is prolotherapy?").locator("td").nth(2).inner_text()) >= 1
        assert problems == [], problems
        staff.close()


def test_booking_form_replies_get_no_label_box_and_labels_start_unchosen(client, chats) -> None:
    sign_in(client)
    html = client.get(f"/staff/conversations/{chats['booking']}").get_data(as_text=True)
    turns = html.split('<li class="turn visitor"')[1:]

    def turn(text: str) -> str:
        return next(t for t in turns if text in t.split("</li>")[0]).split("</li>")[0]

    assert "label-form" in turn("I&#39;d like to book an appointment")
    for typed in ("Zoë O&#39;Neill-Smith", "708-555-0123", "weekday mornings"):
        assert "label-form" not in turn(typed), typed  # a name, a phone number: nothing to label
    first = turn("I&#39;d like to book an appointment")
    assert '<option value="" >— choose —</option>' in first or re.search(r'<option value=""\s*>', first)
    assert "selected" not in first
    event_id = re.search(r'name="event_id" value="(\d+)"', first).group(1)
    response = client.post(f"/staff/conversations/{chats['booking']}/label",
                           data={"event_id": event_id, "faq_id": "", "csrf_token": csrf(client)},
                           follow_redirects=True)
    assert "Not saved: choose the FAQ" in response.get_data(as_text=True)
    assert "labelled:" not in response.get_data(as_text=True)


def test_delete_needs_the_word_and_the_overview_links_to_unanswered(console_env, chats, browser, tmp_path: Path,
                                                                    bot: Bot) -> None:
    victim = f"console-confirm-{uuid.uuid4().hex[:8]}"
    bot.send("what is PRP?", victim)
    with running_web(bot.url, tmp_path, extra_env=console_env) as url:
        context = browser.new_context()
        page = context.new_page()
        sign_in_page(page, url, "alice")
        # the overview's unanswered questions open the conversations that asked them
        page.goto(f"{url}/staff/overview")
        link = page.locator("h2:has-text('Top unanswered questions') + ol a", has_text="weather in paris")
        link.click()
        expect(page.locator("table.conversations tbody tr", has_text="weather in Paris")).to_have_count(1)

        page.goto(f"{url}/staff/conversations/{victim}")
        page.get_by_role("link", name="Review this conversation").click()
        expect(page.get_by_role("heading", name="Review")).to_be_in_viewport()
        page.get_by_role("button", name="Delete conversation").click()  # nothing typed
        expect(page.get_by_role("status")).to_contain_text('Not deleted: type "delete"')
        page.get_by_label('Type "delete" to confirm').fill("delete")
        page.get_by_role("button", name="Delete conversation").click()
        expect(page.get_by_role("status")).to_contain_text("Conversation deleted")
        assert page.request.get(f"{url}/staff/conversations/{victim}").status == 404
        context.close()


def test_console_details_in_the_browser(console_env, chats, browser, tmp_path: Path, bot: Bot) -> None:
    """FAQ titles, local times with UTC on hover, unchosen labels, no label box in the booking form,
    and chart labels that fit."""
    with running_web(bot.url, tmp_path, extra_env=console_env) as url:
        context = browser.new_context()
        page = context.new_page()
        sign_in_page(page, url, "sam")
        row = page.locator("table.conversations tbody tr", has_text="is fusion my only option?").first
        expect(row).to_contain_text("Is SI fusion my only option?")  # a title, not fusion_only_option
        stamp = row.locator("time")
        expect(stamp).to_have_attribute("title", re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$"))
        expect(stamp).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d C[SD]T$"))  # America/Chicago

        page.goto(f"{url}/staff/conversations/{chats['booking']}")
        visitor = page.locator(".turn.visitor")
        first = visitor.filter(has_text="I'd like to book an appointment")
        expect(first.get_by_label("Right FAQ")).to_have_value("")
        for typed in ("Zoë O'Neill-Smith", "708-555-0123"):
            expect(visitor.filter(has_text=typed).locator("form.label-form")).to_have_count(0)

        page.goto(f"{url}/staff/overview")
        fit = page.evaluate("""() => {
            const chart = window.Chart.getChart(document.getElementById('chart-topics'));
            const ctx = chart.ctx;
            ctx.save();
            ctx.font = window.Chart.helpers.toFont(chart.scales.y.options.ticks.font).string;
            const lines = chart.data.labels.flat();
            const widest = Math.max(...lines.map(line => ctx.measureText(line).width));
            ctx.restore();
            return {widest, room: chart.chartArea.left, lines: lines.length, labels: chart.data.labels.length};
        }""")
        assert fit["labels"] >= 1 and fit["lines"] >= fit["labels"]
        assert fit["widest"] <= fit["room"], fit
        context.close()
