"""Console sessions live on the server: sign-out, password changes and deactivation end them for good."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from assistant.store import AuditEntry, StaffSession, session
from tests.conftest import STAFF_PASSWORD
from webapp.staff.cli import main as cli

PASSWORD = STAFF_PASSWORD
NEW_PASSWORD = "violet tractor moonlight 17"
PAGE = "/staff/conversations"


@pytest.fixture()
def app(make_console):
    return make_console()


def signed_in(app, name: str = "sam", password: str = PASSWORD):
    client = app.test_client()
    response = client.post("/staff/login", data={"username": name, "password": password, "next": ""})
    assert response.status_code == 302, response.data
    assert client.get(PAGE).status_code == 200
    return client


def cookie(client) -> str:
    return client.get_cookie("session").value


def replay(app, value: str):
    """A second browser with a copy of someone's cookie."""
    thief = app.test_client()
    thief.set_cookie("session", value)
    return thief.get(PAGE)


def refused(response) -> bool:
    return response.status_code == 302 and "/staff/login" in response.headers["Location"]


def sessions(db_url: str) -> int:
    with session(db_url) as db:
        return db.execute(select(func.count()).select_from(StaffSession)).scalar_one()


def actions(db_url: str) -> list[str]:
    with session(db_url) as db:
        return [a for (a,) in db.execute(select(AuditEntry.action).order_by(AuditEntry.id))]


def test_a_copied_cookie_works_only_while_the_session_is_open(app, db_url):
    client = signed_in(app)
    copy = cookie(client)
    assert replay(app, copy).status_code == 200  # the cookie is the session, as in any web app
    assert client.post("/staff/logout").status_code == 302
    assert refused(replay(app, copy))
    assert sessions(db_url) == 0


def test_a_password_change_ends_every_other_session_and_keeps_this_one(app, db_url):
    laptop, phone = signed_in(app), signed_in(app)
    changed = laptop.post("/staff/password", data={"current": PASSWORD, "new": NEW_PASSWORD,
                                                   "repeat": NEW_PASSWORD})
    assert changed.status_code == 302
    assert laptop.get(PAGE).status_code == 200
    assert refused(phone.get(PAGE))
    assert "password_change" in actions(db_url)
    assert app.test_client().post("/staff/login", data={"username": "sam", "password": PASSWORD}).status_code == 401
    signed_in(app, password=NEW_PASSWORD)


@pytest.mark.parametrize(("current", "new", "message"), [
    ("not my password at all", NEW_PASSWORD, b"not your current password"),
    (PASSWORD, "password1234", b"too easy to guess"),
    (PASSWORD, "sam-sam-sam-sam", b"too easy to guess"),
    (PASSWORD, "short", b"between 12 and 256 characters"),
])
def test_weak_or_unauthorised_password_changes_are_refused(app, db_url, current, new, message):
    client = signed_in(app)
    page = client.post("/staff/password", data={"current": current, "new": new, "repeat": new})
    assert page.status_code == 200 and message in page.data, page.data.decode()[-900:]
    assert "password_change" not in actions(db_url)
    signed_in(app)  # the old password still works


def test_a_reset_from_the_command_line_ends_the_accounts_sessions(app, db_url, monkeypatch):
    client = signed_in(app)
    monkeypatch.setattr("sys.stdin", io.StringIO(NEW_PASSWORD + "\n"))
    cli(["reset-password", "sam", "--password-stdin"])
    assert refused(client.get(PAGE))


def test_the_command_line_refuses_a_common_password(app, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("password1234\n"))
    with pytest.raises(SystemExit) as exited:
        cli(["create-user", "newbie", "--password-stdin"])
    assert "too easy to guess" in str(exited.value)


def test_deactivation_ends_the_accounts_sessions_at_once(app, db_url):
    sam, alice = signed_in(app), signed_in(app, "alice")
    with session(db_url) as db:
        from assistant.store import StaffUser

        sam_id = db.execute(select(StaffUser.id).where(StaffUser.username == "sam")).scalar_one()
    assert alice.post(f"/staff/users/{sam_id}/deactivate").status_code == 302
    assert refused(sam.get(PAGE))


def test_the_absolute_limit_holds_however_active_the_session(app, db_url):
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=3)
    before = time.monotonic()  # the session starts after this...
    client = signed_in(app)
    after = time.monotonic()  # ...and before this
    while time.monotonic() < before + 1.5:  # busy, never idle, well inside the limit
        assert client.get(PAGE).status_code == 200
        time.sleep(0.2)
    time.sleep(max(0.0, after + 3.3 - time.monotonic()))  # past the limit, however slow the machine
    response = client.get(PAGE)
    assert refused(response)
    assert actions(db_url)[-1] == "session_expired"
    assert refused(client.get(PAGE))  # and it stays ended


def test_the_idle_limit_is_checked_on_the_server(app, db_url):
    client = signed_in(app)
    copy = cookie(client)
    app.config["STAFF_IDLE_SECONDS"] = 0.3
    time.sleep(0.5)
    assert refused(replay(app, copy))  # the cookie itself never changed
    assert sessions(db_url) == 0


@pytest.mark.parametrize(("base", "secure"), [("https://console.clinic.test", True), ("http://localhost", False)])
def test_the_cookie_is_secure_whenever_the_console_is_served_over_https(app, base, secure):
    client = app.test_client()
    response = client.post(f"{base}/staff/login", data={"username": "sam", "password": PASSWORD})
    set_cookie = response.headers["Set-Cookie"]
    assert ("; Secure" in set_cookie) is secure
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie


def test_behind_a_trusted_proxy_https_is_recognised(db_url, tmp_path, monkeypatch, app):
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    from webapp import create_app

    proxied = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False}).test_client()
    response = proxied.post("/staff/login", data={"username": "sam", "password": PASSWORD},
                            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert "; Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
