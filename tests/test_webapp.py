"""The web app's pages and headers, through Flask's test client."""

from __future__ import annotations

import json
import re

import pytest

from assistant.clinic import load_clinic
from webapp import create_app


@pytest.fixture()
def client():
    return create_app({"TESTING": True}).test_client()


def test_article_page_has_widget_config_and_strict_csp(client) -> None:
    response = client.get("/", base_url="http://clinic.test:8000")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self';" in csp and "unsafe" not in csp
    # the widget may reach the Rasa server (polling and WebSocket) and nothing else
    assert "connect-src 'self' http://clinic.test:5005 ws://clinic.test:5005;" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    html = response.get_data(as_text=True)
    config = json.loads(re.search(r'id="sij-chat-config">(.*?)</script>', html, re.S).group(1))
    assert config["serverUrl"] == "http://clinic.test:5005"
    assert config["initialPayload"] == "/greet"
    assert "<script>" not in html.replace('<script type="application/json"', "")  # no inline code
    for office in load_clinic().offices:
        assert office.phone in html


def test_rasa_public_url_setting_is_used(client, monkeypatch) -> None:
    monkeypatch.setenv("RASA_PUBLIC_URL", "https://bot.example.org/")
    response = create_app().test_client().get("/")
    assert "connect-src 'self' https://bot.example.org wss://bot.example.org;" in \
        response.headers["Content-Security-Policy"]


def test_contacts_come_from_clinic_file(client) -> None:
    data = client.get("/widget/clinic.json").get_json()
    assert [o["phone"] for o in data["offices"]] == [o.phone for o in load_clinic().offices]
    assert data["emergencyNumber"] == "911"


def test_widget_files_are_served_and_nothing_else(client) -> None:
    assert client.get("/widget/widget.js").status_code == 200
    assert client.get("/widget/widget.css").status_code == 200
    vendor = client.get("/widget/vendor/socket.io.min.js")
    assert vendor.status_code == 200 and b"io" in vendor.data
    assert client.get("/widget/../settings.py").status_code == 404
    assert client.get("/widget/%2e%2e/settings.py").status_code == 404
    assert client.get("/widget/nope.js").status_code == 404


def test_oversized_request_bodies_are_refused(client) -> None:
    assert client.post("/", data=b"x" * (128 * 1024)).status_code in {405, 413}


def test_staff_pages_are_never_cached_and_https_gets_hsts(client) -> None:
    staff = client.get("/staff/login")
    assert staff.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in staff.headers  # plain HTTP: HSTS would be ignored
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    secure = client.get("/staff/login", base_url="https://clinic.test")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def _marked(html: str) -> str:
    return " ".join(re.findall(r'<mark class="passage"[^>]*>(.*?)</mark>', html, flags=re.S))


def test_every_source_link_marks_its_whole_passage_once(client) -> None:
    """Every quote of every FAQ, including those that run across paragraphs."""
    from html import unescape

    from assistant.faq import faq_index
    from assistant.text import collapse_space

    quotes = {source.quote for faq in faq_index().values() for source in faq.sources}
    assert len(quotes) > 50
    for quote in quotes:
        html = client.get("/", query_string={"quote": quote}).get_data(as_text=True)
        assert collapse_space(unescape(_marked(html))) == collapse_space(quote), quote[:60]
        assert html.count('id="passage"') == 1
        assert "could not be found" not in html


def test_a_passage_that_is_not_in_the_article_marks_nothing(client) -> None:
    for quote in ["Stem cells cure everything.", '<script>alert(1)</script>', "x" * 100_000, "\x00\ufffd"]:
        response = client.get("/", query_string={"quote": quote})
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "could not be found" in html and 'id="passage"' not in html
        assert "<script>alert(1)" not in html
    assert "could not be found" not in client.get("/").get_data(as_text=True)
