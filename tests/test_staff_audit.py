"""Every view of visitor data, every refused or failed access and every account change leaves an audit row."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from assistant.store import AuditEntry, session
from tests.conftest import STAFF_PASSWORD
from webapp.staff.cli import main as cli

PASSWORD = STAFF_PASSWORD


@pytest.fixture()
def console(make_console):
    return make_console()


def audit_rows(db_url: str) -> list[tuple[str, str, str, str]]:
    with session(db_url) as db:
        rows = db.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
        return [(r.username, r.action, r.target, r.detail) for r in rows]


def sign_in(client, name: str, password: str = PASSWORD):
    return client.post("/staff/login", data={"username": name, "password": password, "next": ""})


def test_account_changes_from_the_command_line_are_audited(console, db_url):
    assert [(u, a, t) for u, a, t, _ in audit_rows(db_url)] == [
        ("cli", "create_user", "alice"), ("cli", "create_user", "sam")]


def test_creating_an_existing_account_fails_and_changes_nothing(console, db_url, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("another long passphrase 99\n"))
    with pytest.raises(SystemExit) as exited:
        cli(["create-user", "sam", "--role", "admin", "--password-stdin"])
    assert "already exists" in str(exited.value)
    client = console.test_client()
    assert sign_in(client, "sam").status_code == 302  # old password still works
    assert client.get("/staff/users").status_code == 403  # and sam is still not an admin


def test_reset_password_is_the_way_to_a_new_password(console, db_url, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("another long passphrase 99\n"))
    cli(["reset-password", "sam", "--password-stdin"])
    client = console.test_client()
    assert sign_in(client, "sam").status_code == 401
    assert sign_in(client, "sam", "another long passphrase 99").status_code == 302
    assert ("cli", "reset_password", "sam") in [(u, a, t) for u, a, t, _ in audit_rows(db_url)]


def test_lists_overview_failed_sign_ins_and_refusals_are_audited(console, db_url):
    client = console.test_client()
    assert sign_in(client, "sam", "wrong password").status_code == 401
    assert sign_in(client, "sam").status_code == 302
    assert client.get("/staff/conversations?q=fusion&flag=fallback").status_code == 200
    assert client.get("/staff/bookings?status=new").status_code == 200
    assert client.get("/staff/overview").status_code == 200
    assert client.get("/staff/audit").status_code == 403
    rows = audit_rows(db_url)[2:]  # after the two create_user rows
    actions = [(u, a) for u, a, _, _ in rows]
    assert actions == [("-", "login_failed"), ("sam", "login"), ("sam", "list_conversations"),
                       ("sam", "list_bookings"), ("sam", "view_overview"), ("sam", "forbidden")]
    assert rows[0][2] == "sam"  # the name tried
    assert "q='fusion'" in rows[2][3] and "flag='fallback'" in rows[2][3]
    assert "status='new'" in rows[3][3]
    assert rows[5][2] == "/staff/audit"


def test_an_admin_creating_an_existing_name_gets_an_error(console, db_url):
    client = console.test_client()
    sign_in(client, "alice")
    page = client.post("/staff/users", data={"username": "sam", "password": "x" * 20,
                                             "confirm": "x" * 20, "role": "admin"})
    assert page.status_code == 200 and b"exists already" in page.data
    assert ("alice", "create_user") not in [(u, a) for u, a, _, _ in audit_rows(db_url)]
