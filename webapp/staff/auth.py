"""Sign-in, sessions, throttling and roles for the staff console.

Flask-Login keeps the signed-in user in Flask's signed session cookie
(HttpOnly, SameSite=Strict, Secure when STAFF_COOKIE_SECURE=1). Sessions end
after STAFF_IDLE_MINUTES without a request (30) and after
STAFF_SESSION_HOURS in all (8). Failed sign-ins are stored in the database
(``login_attempts``) so the throttle holds across processes and restarts.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Flask, abort, flash, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, logout_user
from sqlalchemy import func, select

from assistant.knowledge import PROJECT_ROOT
from assistant.store import LoginAttempt, StaffRole, StaffUser, utcnow
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


@login_manager.user_loader
def load_user(user_id: str) -> StaffIdentity | None:
    if not user_id.isdigit():
        return None
    with db_session() as db:
        user = db.get(StaffUser, int(user_id))
        return StaffIdentity(user) if user is not None and user.active else None


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
        SESSION_COOKIE_SECURE=os.environ.get("STAFF_COOKIE_SECURE", "0") == "1",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=float(os.environ.get("STAFF_SESSION_HOURS", "8"))),
        REMEMBER_COOKIE_DURATION=timedelta(seconds=0),
    )
    app.config.setdefault("STAFF_IDLE_SECONDS", float(os.environ.get("STAFF_IDLE_MINUTES", "30")) * 60)
    login_manager.init_app(app)


def enforce_idle_timeout() -> Any:
    """Run before every staff request: sign out sessions idle for too long."""
    from flask import current_app

    if current_user.is_authenticated:
        now = time.time()
        last = session.get("seen", now)
        if now - last > current_app.config["STAFF_IDLE_SECONDS"]:
            logout_user()
            session.clear()
            flash("Your session expired. Please sign in again.")
            return redirect(url_for("staff.login", next=request.path))
        session["seen"] = now
    return None


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
