"""Standard socket.io clients: the community widget rasa-webchat, from npm, in Chromium.

A clinic may embed rasa-webchat instead of this project's widget. It renders
only ``{text}`` and ``{text, buttons}`` events, and its socket.io client tries
a WebSocket upgrade by default (the server offers none: assistant/channels.py).
The package is fetched from the npm registry once, checked against the
integrity hash pinned in ``third_party.json`` and cached under ``var/cache``.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from assistant.paths import PROJECT_ROOT
from tests.e2e.conftest import free_port

PINS = json.loads((Path(__file__).with_name("third_party.json")).read_text(encoding="utf-8"))
CACHE = PROJECT_ROOT / "var" / "cache" / "npm"
IDLE_SECONDS = 10
MAX_IDLE_REQUESTS_PER_SECOND = 2


def npm_file(name: str) -> bytes:
    """One file of a pinned npm package, from the cache or the registry (integrity checked)."""
    pin = PINS[name]
    tarball = CACHE / f"{name}-{pin['version']}.tgz"
    if not tarball.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        data = requests.get(pin["tarball"], timeout=120).content
        tarball.with_suffix(".part").write_bytes(data)
        tarball.with_suffix(".part").replace(tarball)
    data = tarball.read_bytes()
    algorithm, expected = pin["integrity"].split("-", 1)
    assert base64.b64encode(hashlib.new(algorithm, data).digest()).decode() == expected, \
        f"{tarball} does not match the pinned integrity"
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        member = archive.extractfile(pin["file"])
        assert member is not None
        return member.read()


PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>rasa-webchat</title></head>
<body><div id="webchat"></div><script src="index.js"></script>
<script>window.WebChat.default({{selector: "#webchat", socketUrl: "{rasa}", socketPath: "/socket.io/",
  initPayload: "/greet", embedded: true, title: "Clinic", params: {{storage: "session"}}}}, null);</script>
</body></html>"""


@pytest.fixture(scope="module")
def webchat_page(bot, tmp_path_factory) -> Iterator[str]:
    """A plain page embedding rasa-webchat, on its own origin like a clinic's site."""
    root = tmp_path_factory.mktemp("rasa-webchat")
    (root / "index.js").write_bytes(npm_file("rasa-webchat"))
    (root / "index.html").write_text(PAGE.format(rasa=bot.url), encoding="utf-8")
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
    server.shutdown()


def socketio_requests(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url) if "/socket.io/" in request.url else None)
    return seen


def test_rasa_webchat_shows_answers_and_buttons_and_idles_quietly(webchat_page: str, page: Page) -> None:
    seen = socketio_requests(page)
    page.goto(webchat_page)
    # the greeting (initPayload) with its buttons
    expect(page.locator(".rw-response").first).to_be_visible()
    expect(page.locator(".rw-reply").first).to_be_visible()
    page.locator(".rw-new-message").fill("what is prolotherapy?")
    page.locator(".rw-new-message").press("Enter")
    expect(page.locator(".rw-response", has_text="Prolotherapy").first).to_be_visible()
    # a button sends its payload like a typed message
    responses = page.locator(".rw-response").count()
    page.locator(".rw-reply").last.click()
    expect(page.locator(".rw-response")).not_to_have_count(responses)
    expect(page.locator(".rw-response").last).not_to_have_text("undefined")

    page.wait_for_timeout(2_000)  # let the last reply's poll settle
    before = len(seen)
    page.wait_for_timeout(IDLE_SECONDS * 1000)
    idle = len(seen) - before
    assert idle <= MAX_IDLE_REQUESTS_PER_SECOND * IDLE_SECONDS, f"{idle} requests in {IDLE_SECONDS} s"
    assert not [url for url in seen if "transport=websocket" in url]


def test_the_project_widget_idles_quietly(web: str, page: Page) -> None:
    seen = socketio_requests(page)
    page.goto(web)
    page.get_by_role("button", name="Questions? Chat with us").click()
    expect(page.locator(".sij-bot").first).to_be_visible()
    page.wait_for_timeout(2_000)
    before = len(seen)
    page.wait_for_timeout(IDLE_SECONDS * 1000)
    idle = len(seen) - before
    assert idle <= MAX_IDLE_REQUESTS_PER_SECOND * IDLE_SECONDS, f"{idle} requests in {IDLE_SECONDS} s"
