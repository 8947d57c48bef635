"""Sign-in, sessions, throttling and roles for the staff console.

Sessions live on the server (``staff_sessions``): the signed cookie (HttpOnly,
SameSite=Strict, Secure when STAFF_COOKIE_SECURE=1) carries only a random
token, and every request looks it up. So a sign-out, a password change or
reset and a deactivation end sessions for good, even for a copied cookie, and
the limits really apply: STAFF_IDLE_MINUTES without a request (30) and
STAFF_SESSION_HOURS in all (8), neither moved by activity in the cookie.
Failed sign-ins are stored in the database (``login_attempts``) so the
throttle holds across processes and restarts.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Flask, abort, current_app, flash, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, current_user
from sqlalchemy import delete, func, select

from assistant.paths import PROJECT_ROOT
from assistant.store import LoginAttempt, StaffRole, StaffSession, StaffUser, utcnow
from assistant.store import session as db_session
from webapp.staff.passwords import verify_password

MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20
THROTTLE_WINDOW = timedelta(minutes=15)

login_manager = LoginManager()
login_manager.login_view = "staff.login"
login_manager.login_message = "Please sign in to see the staff console."
login_manager.session_protection = "strong"


class StaffIdentity(UserMixin):
    """What the session needs to know about a signed-in account."""

    def __init__(self, user: StaffUser):
        self.id = str(user.id)
        self.username = user.username
        self.role = StaffRole(user.role)

    @property
    def is_admin(self) -> bool:
        return self.role is StaffRole.admin


SESSION_TOKEN = "sid"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user_id: int) -> None:
    """A new server-side session; the cookie starts afresh (no session fixation)."""
    token = secrets.token_urlsafe(32)
    with db_session() as db:
        db.add(StaffSession(token_hash=_token_hash(token), user_id=user_id))
    session.clear()
    session[SESSION_TOKEN] = token
    session.permanent = True


def end_session() -> None:
    token = session.get(SESSION_TOKEN)
    if token:
        with db_session() as db:
            db.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    session.clear()


def end_user_sessions(user_id: int, keep_current: bool = False) -> int:
    """End every session of an account (all but this one with ``keep_current``)."""
    query = delete(StaffSession).where(StaffSession.user_id == user_id)
    token = session.get(SESSION_TOKEN) if keep_current else None
    if token:
        query = query.where(StaffSession.token_hash != _token_hash(token))
    with db_session() as db:
        return db.execute(query).rowcount or 0


@login_manager.user_loader
def load_user(user_id: str) -> StaffIdentity | None:
    """The signed-in account, if the cookie's session is still open on the server."""
    token = session.get(SESSION_TOKEN)
    if not user_id.isdigit() or not isinstance(token, str):
        return None
    now = utcnow()
    with db_session() as db:
        row = db.get(StaffSession, _token_hash(token))
        if row is None or row.user_id != int(user_id):
            return None
        idle = timedelta(seconds=current_app.config["STAFF_IDLE_SECONDS"])
        if now - row.last_seen_at > idle or now - row.created_at > current_app.permanent_session_lifetime:
            db.delete(row)
            g.staff_session_expired = True
            return None
        user = db.get(StaffUser, row.user_id)
        if user is None or not user.active:
            return None
        row.last_seen_at = now
        return StaffIdentity(user)


def secret_key() -> str:
    """STAFF_SECRET_KEY, or a random key kept in var/secret_key (created once, mode 600)."""
    if os.environ.get("STAFF_SECRET_KEY"):
        return os.environ["STAFF_SECRET_KEY"]
    path = Path(os.environ.get("STAFF_SECRET_FILE", PROJECT_ROOT / "var" / "secret_key"))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def init_auth(app: Flask) -> None:
    if not app.config.get("SECRET_KEY"):  # Flask's default is None
        app.config["SECRET_KEY"] = secret_key()
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        # "auto" (default): Secure whenever the request came over HTTPS.
        SESSION_COOKIE_SECURE=os.environ.get("STAFF_COOKIE_SECURE", "auto"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=float(os.environ.get("STAFF_SESSION_HOURS", "8"))),
        REMEMBER_COOKIE_DURATION=timedelta(seconds=0),
    )
    app.config.setdefault("STAFF_IDLE_SECONDS", float(os.environ.get("STAFF_IDLE_MINUTES", "30")) * 60)
    app.session_interface = AutoSecureSessionInterface()
    login_manager.init_app(app)


class AutoSecureSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with ``Secure`` set per request when configured "auto".

    One setting then fits ``make run`` on http://localhost and the same
    console behind HTTPS, where the cookie must never travel in clear text.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        setting = str(app.config["SESSION_COOKIE_SECURE"]).lower()
        if setting == "auto":
            return request.is_secure
        return setting in {"1", "true"}


def expired_session_redirect() -> Any:
    """After an idle or absolute limit: audited, explained, back to sign-in."""
    if not g.get("staff_session_expired"):
        return None
    from webapp.staff import audit

    audit.record("session_expired")
    session.clear()
    flash("Your session expired. Please sign in again.")
    return redirect(url_for("staff.login", next=request.path))


def remote_addr() -> str:
    return (request.remote_addr or "unknown")[:64]


def throttled(username: str) -> bool:
    since = utcnow() - THROTTLE_WINDOW
    with db_session() as db:
        def failures(*conditions: Any) -> int:
            query = select(func.count()).select_from(LoginAttempt).where(
                LoginAttempt.succeeded.is_(False), LoginAttempt.at >= since, *conditions)
            return db.execute(query).scalar_one()

        return (failures(LoginAttempt.username == username) >= MAX_FAILURES_PER_USER
                or failures(LoginAttempt.remote_addr == remote_addr()) >= MAX_FAILURES_PER_ADDRESS)


def check_credentials(username: str, password: str) -> StaffIdentity | None:
    """Verify and record the attempt; None when the user, password or account is wrong."""
    with db_session() as db:
        user = db.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()
        ok = verify_password(user.password_hash if user else None, password) and bool(user and user.active)
        db.add(LoginAttempt(username=username[:64], remote_addr=remote_addr(), succeeded=ok))
        if ok and user is not None:
            user.last_login_at = utcnow()
            return StaffIdentity(user)
    return None


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not (current_user.is_authenticated and current_user.is_admin):
            abort(403)
        return view(*args, **kwargs)

    return wrapper
