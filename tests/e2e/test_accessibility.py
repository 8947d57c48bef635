"""Automated accessibility checks (axe-core from npm) in Chromium: no serious or critical violation.

The article page with the widget open, after each kind of reply (greeting,
answer with its sources unfolded, clarifying question, decline, urgent care,
a booking step), on a desktop and a phone; and every staff console page
(issue 31, point 9). axe catches what can be checked mechanically (names,
roles, contrast, labels); the keyboard-only walk in test_widget.py covers
what it cannot.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from assistant.paths import PROJECT_ROOT
from tests.conftest import STAFF_PASSWORD
from tests.e2e.conftest import Bot, running_web, staff_console_env
from tests.e2e.test_widget import ask, open_chat

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def violations(page: Page) -> list[str]:
    """axe's serious and critical violations on the page as it is now, one line each."""
    if not AXE.exists():
        pytest.fail(f"{AXE} not found: `make install` (npm ci) installs axe-core")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    results = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results if v.get("impact") in BLOCKING]


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_the_article_page_and_every_kind_of_reply(web: str, browser, viewport) -> None:
    context = browser.new_context(viewport=viewport, bypass_csp=True)  # axe is injected as a script
    page = context.new_page()
    found: dict[str, list[str]] = {}
    try:
        page.goto(web)
        found["article page"] = violations(page)
        open_chat(page, web)
        found["greeting"] = violations(page)
        ask(page, "Is fusion surgery really my only option?")
        details = page.locator("details.sij-sources").last
        if not details.evaluate("node => node.open"):
            details.locator("summary").click()
        found["answer with sources"] = violations(page)
        for name, text in [("clarifying question", "prolotherapy or PRP"), ("decline", "how do I change a car tyre"),
                           ("urgent care", "I can't control my bladder since this morning"),
                           ("booking step", "/book_appointment")]:
            ask(page, text)
            found[name] = violations(page)
    finally:
        context.close()
    assert {state: v for state, v in found.items() if v} == {}


@pytest.fixture(scope="module")
def console(bot: Bot, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """The console on the bot's database with a signed-up admin, and one real conversation."""
    workdir = tmp_path_factory.mktemp("a11y-console")
    with staff_console_env(bot, workdir, (("ally", "admin"),), STAFF_PASSWORD) as env:
        conversation = f"a11y-{uuid.uuid4().hex[:8]}"
        bot.send("is fusion my only option?", conversation)
        bot.send("my legs are going numb and I can't control my bladder", conversation)
        with running_web(bot.url, workdir, extra_env=env) as url:
            yield url, conversation


def test_every_staff_console_page(console, browser) -> None:
    url, conversation = console
    context = browser.new_context(bypass_csp=True)  # axe is injected as a script
    page = context.new_page()
    found: dict[str, list[str]] = {}
    try:
        page.goto(f"{url}/staff/login")
        found["sign in"] = violations(page)
        page.get_by_label("Username").fill("ally")
        page.get_by_label("Password").fill(STAFF_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Conversations")).to_be_visible()
        for path in ["/staff/conversations", f"/staff/conversations/{conversation}", "/staff/bookings",
                     "/staff/overview", "/staff/audit", "/staff/users"]:
            page.goto(f"{url}{path}")
            found[path] = violations(page)
    finally:
        context.close()
    assert {path: v for path, v in found.items() if v} == {}


def test_the_check_finds_a_violation_when_there_is_one(web: str, browser) -> None:
    """The instrument works: a button without a name on the same page is reported."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(web)
        page.evaluate("document.body.appendChild(document.createElement('button'))")
        assert any(v.startswith("button-name") for v in violations(page))
    finally:
        context.close()
