"""The chat widget in a real browser (Debian's chromium, driven by Playwright).

The page is served by the web app; the widget talks to the real Rasa server
(socket.io) and action server started by conftest.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from assistant.clinic import load_clinic
from assistant.paths import PROJECT_ROOT
from tests.e2e.conftest import running_bot, running_web

SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"
XSS_STRINGS = ['<img src=x onerror="window.__xss=1">', "<script>window.__xss=1</script>"]


def open_chat(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Questions? Chat with us").click()
    expect(page.locator(".sij-bot").first).to_be_visible()


def ask(page: Page, text: str) -> None:
    bots_before = page.locator(".sij-bot").count()
    page.get_by_label("Your question").fill(text)
    page.get_by_label("Your question").press("Enter")
    expect(page.locator(".sij-bot")).not_to_have_count(bots_before)
    expect(page.locator(".sij-typing")).to_be_hidden()


def last_bot(page: Page):
    """The latest bot message, pinned (a plain ``.last`` would move on with the chat)."""
    return page.locator(".sij-bot").nth(page.locator(".sij-bot").count() - 1)


def show_sources(answer) -> None:
    """Unfold an answer's "Sources (n)" (folded unless there is one short quote)."""
    details = answer.locator("details.sij-sources")
    expect(details).to_have_count(1)
    expect(details.locator("summary")).to_have_text(re.compile(r"^Sources \(\d+\)$"))
    if not details.evaluate("node => node.open"):
        details.locator("summary").click()


def test_page_shows_article_and_greeting_with_disclaimer(web: str, page: Page) -> None:
    page.goto(web)
    title = "Sacroiliac Joint Dysfunction Treatment Options"
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("article p", has_text="Many patients that email or call our office")).to_have_count(1)
    launcher = page.get_by_role("button", name="Questions? Chat with us")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    greeting = page.locator(".sij-bot").first
    expect(greeting).to_contain_text("automated assistant")
    expect(greeting).to_contain_text("not medical advice")
    expect(greeting).to_contain_text("911")
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.get_by_label("Your question")).to_be_focused()
    assert page.problems == [], page.problems  # no CSP violation, no script error


def test_two_answers_show_quote_and_citation_then_a_button_starts_booking(web: str, page: Page) -> None:
    open_chat(page, web)
    ask(page, "Is fusion surgery really my only option?")
    answer = last_bot(page)
    show_sources(answer)
    expect(answer.locator("blockquote.sij-quote").first).to_be_visible()
    expect(answer.locator(".sij-cite").first).to_contain_text("Source:")
    # the quoted passage is verbatim article text
    article_text = re.sub(r"\s+", " ", page.locator("article").inner_text())
    quote = answer.locator("blockquote.sij-quote").first.inner_text().strip()
    assert re.sub(r"\s+", " ", quote) in article_text

    ask(page, "what is prolotherapy?")
    answer = last_bot(page)
    expect(answer).to_contain_text("Prolotherapy")
    show_sources(answer)
    expect(answer.locator("blockquote.sij-quote").first).to_be_visible()
    expect(answer.locator(".sij-cite").first).to_contain_text("Source:")
    # a study from the article's reference list, numbered as in the article
    expect(page.locator(".sij-cite", has_text=re.compile(r"\[\d+\] \w")).first).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-answer.png"))

    bots = page.locator(".sij-bot").count()
    answer.get_by_role("button", name="Book a consultation").click()
    expect(page.locator(".sij-user").last).to_have_text(re.compile("Book a consultation"))
    expect(page.locator(".sij-bot")).not_to_have_count(bots)
    expect(page.locator(".sij-bot").last).to_contain_text("What is your full name?")
    # buttons of earlier messages are retired once the visitor moved on
    expect(answer.get_by_role("button", name="Book a consultation")).to_be_disabled()
    assert page.problems == [], page.problems


def test_history_survives_reload_and_start_over_begins_again(web: str, page: Page) -> None:
    open_chat(page, web)
    ask(page, "what is the SI joint?")
    count = page.locator(".sij-msg").count()
    page.reload()
    expect(page.get_by_role("dialog")).to_be_visible()  # stays open
    expect(page.locator(".sij-msg")).to_have_count(count)
    expect(page.locator(".sij-user").last).to_contain_text("what is the SI joint?")
    # the same conversation continues on the server: "start over" gives a new one
    ask(page, "what is PRP?")
    show_sources(last_bot(page))
    expect(last_bot(page).locator("blockquote.sij-quote").first).to_be_visible()
    # starting over clears the chat, so it asks first; "keep" changes nothing
    count = page.locator(".sij-msg").count()
    page.get_by_role("button", name="Start over").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("Start a new conversation?")
    confirm.get_by_role("button", name="Keep this chat").click()
    expect(confirm).to_be_hidden()
    expect(page.locator(".sij-msg")).to_have_count(count)
    page.get_by_role("button", name="Start over").click()
    confirm.get_by_role("button", name="Yes, start over").click()
    expect(page.locator(".sij-user")).to_have_count(0)
    expect(page.locator(".sij-bot")).to_have_count(1)
    expect(page.locator(".sij-bot").first).to_contain_text("not medical advice")


def test_crisis_message_gets_tap_to_call_988_and_911(web: str, page: Page) -> None:
    open_chat(page, web)
    ask(page, "honestly this pain makes me not want to live anymore")
    reply = last_bot(page)
    expect(reply).to_contain_text("988")
    expect(reply.locator('a[href="tel:988"]')).to_have_count(1)
    expect(reply.locator('a[href="tel:911"]')).to_have_count(1)
    assert page.problems == [], page.problems


@pytest.mark.parametrize("hostile", XSS_STRINGS)
def test_markup_in_messages_is_shown_as_text(web: str, page: Page, hostile: str) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_chat(page, web)
    ask(page, hostile)
    expect(page.locator(".sij-user").last).to_have_text(f"You said: {hostile}")
    assert page.locator(".sij-log img, .sij-log script").count() == 0
    assert page.evaluate("window.__xss") is None
    page.reload()  # history is re-rendered from storage: still text
    expect(page.locator(".sij-user").last).to_have_text(f"You said: {hostile}")
    assert page.locator(".sij-log img, .sij-log script").count() == 0
    assert page.evaluate("window.__xss") is None
    assert dialogs == []


def test_content_security_policy_forbids_inline_script(web: str, page: Page) -> None:
    response = page.goto(web)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.__inline = 1';
        document.body.appendChild(s);
    }""")
    assert page.evaluate("window.__inline") is None


def test_phone_screen_and_keyboard_only(web: str, browser) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(web)
        # keyboard alone: skip link, then the launcher is reachable with Tab
        launcher = page.get_by_role("button", name="Questions? Chat with us")
        for _ in range(40):
            page.keyboard.press("Tab")
            if launcher.evaluate("el => el === document.activeElement"):
                break
        expect(launcher).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator(".sij-bot").first).to_be_visible()
        box = page.get_by_role("dialog").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
        expect(page.get_by_label("Your question")).to_be_focused()
        page.keyboard.type("what is prolotherapy?")
        page.keyboard.press("Enter")
        expect(page.locator(".sij-sources").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog")).to_be_hidden()
        expect(launcher).to_be_focused()
    finally:
        context.close()


def test_offline_message_with_phones_then_reconnects(tmp_path: Path, browser) -> None:
    with running_bot(tmp_path / "bot") as bot, running_web(bot.url, tmp_path) as url:
        context = browser.new_context()
        page = context.new_page()
        try:
            open_chat(page, url)
            bot.stop_rasa()
            status = page.get_by_role("status").filter(has_text="offline")
            expect(status).to_be_visible(timeout=30_000)
            for office in load_clinic().offices:
                expect(status).to_contain_text(office.phone)
            # a question typed while offline is kept, not lost, and sent once the bot is back
            page.get_by_label("Your question").fill("what is PRP?")
            page.get_by_label("Your question").press("Enter")
            expect(page.get_by_label("Your question")).to_have_value("what is PRP?")
            expect(page.get_by_role("status").filter(has_text="Not sent yet")).to_be_visible()
            expect(page.locator(".sij-user")).to_have_count(0)
            bot.start_rasa()
            expect(page.locator(".sij-user")).to_have_text(["You said: what is PRP?"], timeout=60_000)
            expect(page.locator(".sij-sources").first).to_be_visible()
            expect(page.get_by_label("Your question")).to_have_value("")
            expect(page.locator(".sij-user")).to_have_count(1)  # sent once
        finally:
            context.close()


def test_a_second_browser_with_a_known_conversation_id_gets_nothing_of_it(web: str, page: Page, browser,
                                                                          bot) -> None:
    import json
    import sqlite3

    stored = "JSON.parse(sessionStorage.getItem('sij-chat-v1')).sessionId"
    open_chat(page, web)
    ask(page, "is fusion my only option?")
    conversation_id = page.evaluate(stored).split(".")[0]  # the id staff see in e-mails and URLs

    context = browser.new_context()
    thief = context.new_page()
    try:
        thief.goto(web)
        thief.evaluate("(id) => sessionStorage.setItem('sij-chat-v1', "
                       "JSON.stringify({sessionId: id, open: false, messages: []}))", conversation_id)
        open_chat(thief, web)
        ask(thief, "I'd like to book an appointment")
        assert thief.evaluate(stored).split(".")[0] != conversation_id
        thief.wait_for_timeout(2000)  # the thief's own replies have all arrived
        seen_by_thief = thief.locator(".sij-bot").count()
        ask(page, "what is prolotherapy?")
        victims_answer = last_bot(page).inner_text().strip()[:80]
        thief.wait_for_timeout(2000)
        assert thief.locator(".sij-bot").count() == seen_by_thief
        assert victims_answer not in thief.locator(".sij-messages, body").first.inner_text()
    finally:
        context.close()
    with sqlite3.connect(bot.db_path) as db:
        rows = db.execute("select data from events where sender_id = ? and type_name = 'user' order by id",
                          (conversation_id,)).fetchall()
    typed = [json.loads(data)["text"] for (data,) in rows]
    assert [t for t in typed if not t.startswith("/")] == ["is fusion my only option?", "what is prolotherapy?"]


def test_feedback_is_stored_and_a_source_opens_its_passage_in_the_article(web: str, page: Page, bot) -> None:
    import sqlite3

    open_chat(page, web)
    ask(page, "what is prolotherapy?")
    answer = last_bot(page)
    feedback = answer.get_by_role("group", name="Was this answer helpful?")
    feedback.get_by_role("button", name="No").click()
    expect(feedback).to_contain_text("Staff read this")
    expect(feedback.get_by_role("button", name="No")).to_have_attribute("aria-pressed", "true")
    session_token = page.evaluate("JSON.parse(sessionStorage.getItem('sij-chat-v1')).sessionId")
    conversation_id = session_token.split(".")[0]
    with sqlite3.connect(bot.db_path) as db:
        stored = db.execute("select topic, helpful from answer_feedback where conversation_id = ?",
                            (conversation_id,)).fetchall()
    assert stored == [("prolotherapy_what", 0)]
    # a change of mind replaces the rating, and the choice survives a reload
    feedback.get_by_role("button", name="Yes").click()
    expect(feedback.get_by_role("button", name="Yes")).to_have_attribute("aria-pressed", "true")
    expect(feedback.get_by_role("button", name="No")).to_have_attribute("aria-pressed", "false")
    page.reload()
    expect(last_bot(page).get_by_role("button", name="Yes")).to_have_attribute("aria-pressed", "true")
    with sqlite3.connect(bot.db_path) as db:
        stored = db.execute("select topic, helpful from answer_feedback where conversation_id = ?",
                            (conversation_id,)).fetchall()
    assert stored == [("prolotherapy_what", 1)]

    answer = last_bot(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-feedback.png"))
    show_sources(answer)
    quote = re.sub(r"\s+", " ", answer.locator("blockquote.sij-quote").first.inner_text()).strip()
    messages = page.locator(".sij-msg").count()
    # Same tab: the conversation goes on beside the marked passage (issue 31, point 3).
    answer.get_by_role("link", name="Show in the article").first.click()
    page.wait_for_url(re.compile(r"\?quote="))
    passage = page.locator("mark#passage")
    expect(passage).to_be_in_viewport()
    marked = " ".join(page.locator("mark.passage").all_inner_texts())
    assert re.sub(r"\s+", " ", marked).strip() == quote
    expect(page.get_by_role("dialog")).to_be_visible()
    expect(page.locator(".sij-msg")).to_have_count(messages)
    assert not overlaps(passage.bounding_box(), page.get_by_role("dialog").bounding_box()), \
        "the open chat covers the marked passage"
    assert page.evaluate("JSON.parse(sessionStorage.getItem('sij-chat-v1')).sessionId") == session_token
    ask(page, "how many sessions would I need?")  # the same conversation goes on
    page.screenshot(path=str(SCREENSHOTS / "article-passage.png"))
    assert page.problems == [], page.problems


def overlaps(a: dict | None, b: dict | None) -> bool:
    assert a is not None and b is not None
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_on_a_phone_show_in_the_article_closes_the_chat_and_the_launcher_brings_it_back(web: str, browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_chat(page, web)
        ask(page, "what is prolotherapy?")
        answer = last_bot(page)
        show_sources(answer)
        messages = page.locator(".sij-msg").count()
        answer.get_by_role("link", name="Show in the article").first.click()
        page.wait_for_url(re.compile(r"\?quote="))
        expect(page.locator("mark#passage")).to_be_in_viewport()
        expect(page.get_by_role("dialog")).to_be_hidden()
        page.get_by_role("button", name="Questions? Chat with us").click()
        expect(page.locator(".sij-msg")).to_have_count(messages)
        page.screenshot(path=str(SCREENSHOTS / "phone-article-passage.png"))
    finally:
        context.close()


def test_a_message_over_the_limit_is_announced_and_not_sent(web: str, page: Page) -> None:
    open_chat(page, web)
    box = page.get_by_label("Your question")
    counter = page.locator("#sij-counter")
    box.fill("is prolotherapy safe? " * 10)
    expect(counter).to_be_hidden()
    box.fill("x" * 1700)
    expect(counter).to_have_text("1700 / 2000 characters")
    long_text = "my back hurts. " * 150  # 2,250 characters, as a paste
    box.fill(long_text)
    expect(counter).to_contain_text("Too long to send: 2249 of 2000 characters")
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    box.press("Enter")
    expect(page.locator(".sij-user")).to_have_count(0)
    expect(box).to_have_value(long_text)  # nothing cut, nothing lost
    box.fill("what is PRP?")
    expect(counter).to_be_hidden()
    box.press("Enter")
    expect(page.locator(".sij-user")).to_have_count(1)


def test_a_late_payload_completes_its_message_even_after_the_visitor_typed(web: str, page: Page) -> None:
    """The {custom} half of a bot message may arrive after the visitor has sent the next
    message (a fast typist after the greeting): it completes that bot message, never an
    empty bubble of its own (CI once pinned such an empty bubble as "the reply")."""
    open_chat(page, web)
    expect(page.locator(".sij-bot").first).to_have_class(re.compile(r"\bsij-kind-smalltalk\b"))
    page.evaluate("""() => {
        const chat = window.sijChat;
        chat.receive({text: "The clinic's staff are happy to help."});
        chat.addMessage({from: "user", text: "and the fax?"});
        chat.receive({custom: {kind: "handoff"}});
    }""")
    bots = page.locator(".sij-bot")
    expect(bots).to_have_count(2)
    expect(bots.nth(1)).to_have_class(re.compile(r"\bsij-kind-handoff\b"))
    expect(bots.nth(1)).to_contain_text("happy to help")
    expect(page.locator(".sij-msg").last).to_contain_text("and the fax?")
    page.reload()  # the completed message is what the tab keeps
    expect(page.locator(".sij-bot").nth(1)).to_have_class(re.compile(r"\bsij-kind-handoff\b"))


def test_office_phones_in_replies_are_tap_to_call(web: str, page: Page) -> None:
    open_chat(page, web)
    ask(page, "can I talk to a real person please")
    reply = last_bot(page)
    for office in load_clinic().offices:
        digits = re.sub(r"\D", "", office.phone)
        expect(reply.locator(f'a[href="tel:+1{digits}"]')).to_have_text(office.phone)


def test_a_booking_reference_stays_on_one_line_and_one_click_selects_it(web: str, browser) -> None:
    """Issue 31, point 4: on a phone the reference broke as "SIJ-" / "WY5M22A5"."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_chat(page, web)
        for text in ["/book_appointment", "Jane Doe", "708 555 0123", '/choose_office{"office": "oak_park"}',
                     "weekday mornings", "skip", "/affirm", "/confirm_booking"]:
            ask(page, text)
        reference = page.locator(".sij-reference").last
        expect(reference).to_have_text(re.compile(r"^SIJ-[A-Z0-9]{8}$"))
        style = reference.evaluate("el => [getComputedStyle(el).whiteSpace, getComputedStyle(el).userSelect]")
        assert style == ["nowrap", "all"], style
        line = reference.evaluate("el => parseFloat(getComputedStyle(el.parentElement).lineHeight) || 24")
        box = reference.bounding_box()
        assert box is not None and box["height"] < 1.5 * line, f"the reference wraps: {box}"
        reference.click()
        assert page.evaluate("String(window.getSelection())") == reference.inner_text()
    finally:
        context.close()


def test_phone_numbers_are_tap_targets_of_at_least_44_pixels_on_a_phone(web: str, browser) -> None:
    """Issue 31, point 5 (WCAG 2.5.5): the inline 911 link was 31x19 px."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_chat(page, web)
        ask(page, "honestly this pain makes me not want to live anymore")
        ask(page, "what are your phone numbers")
        calls = page.locator('.sij-bot a[href^="tel:"]:visible')  # not those folded under "Sources"
        assert calls.count() >= 3
        for index in range(calls.count()):
            box = calls.nth(index).bounding_box()
            assert box is not None and box["width"] >= 44 and box["height"] >= 44, (
                calls.nth(index).inner_text(), box)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "widget-phone-numbers.png"))
    finally:
        context.close()


def test_an_idle_chat_keeps_polling_with_the_servers_ping(web: str, page: Page) -> None:
    """Issue 31, point 8: Engine.IO pings reach an idle tab, so a lost connection is noticed."""
    import time

    open_chat(page, web)
    ask(page, "what is prolotherapy?")
    polls: list[float] = []
    page.on("request", lambda request: polls.append(time.monotonic())
            if "/socket.io/" in request.url and request.method == "GET" else None)
    started = time.monotonic()
    page.wait_for_timeout(65_000)
    answered = [t - started for t in polls]
    assert len(answered) >= 2, f"an idle tab polled {len(answered)} times in 65 s: {answered}"
