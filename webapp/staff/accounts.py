"""Staff accounts: creation, passwords, deactivation. Shared by the console and the CLI.

No Flask here: the console (webapp/staff/views.py) and ``python -m
webapp.staff.cli`` apply the same rules (no silent take-over of an existing
name, the password policy of webapp/staff/passwords.py, sessions ending with
a new password or a deactivation); each audits in its own name.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from assistant.store import StaffRole, StaffSession, StaffUser
from assistant.store import session as db_session
from webapp.staff.passwords import check_new_password, hash_password, verify_password


class AccountExists(ValueError):
    """Creating an account must never quietly take over an existing one."""


class NoSuchAccount(ValueError):
    pass


def _find(db: Session, username: str) -> StaffUser | None:
    return db.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()


def create_user(username: str, password: str, role: StaffRole) -> None:
    """Raises AccountExists, or ValueError with the password policy's reason."""
    with db_session() as db:
        if _find(db, username) is not None:
            raise AccountExists(f"an account {username!r} already exists "
                                "(reset-password gives it a new password)")
    check_new_password(password, username)
    password_hash = hash_password(password)
    with db_session() as db:
        db.add(StaffUser(username=username, password_hash=password_hash, role=role, active=True))


def set_password(username: str, password: str) -> int:
    """A new password for an existing account; all its sessions end. Returns the account id."""
    check_new_password(password, username)
    password_hash = hash_password(password)
    with db_session() as db:
        user = _find(db, username)
        if user is None:
            raise NoSuchAccount(f"no account {username!r}")
        user.password_hash = password_hash
        user_id = user.id
        db.execute(delete(StaffSession).where(StaffSession.user_id == user_id))
    return user_id


def password_matches(user_id: int, password: str) -> bool:
    with db_session() as db:
        user = db.get(StaffUser, user_id)
        return user is not None and verify_password(user.password_hash, password)


def replace_password(user_id: int, username: str, password: str) -> None:
    """The account's own change (it knew the old one); the caller ends its other sessions."""
    check_new_password(password, username)
    password_hash = hash_password(password)
    with db_session() as db:
        user = db.get(StaffUser, user_id)
        if user is None:
            raise NoSuchAccount(f"no account {user_id}")
        user.password_hash = password_hash


def deactivate(*, user_id: int | None = None, username: str | None = None) -> str:
    """Block an account from signing in and end its sessions; returns its name."""
    with db_session() as db:
        user = db.get(StaffUser, user_id) if user_id is not None else _find(db, username or "")
        if user is None:
            raise NoSuchAccount(f"no account {username or user_id!r}")
        user.active = False
        db.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
        return user.username


def list_accounts() -> list[StaffUser]:
    with db_session() as db:
        return list(db.execute(select(StaffUser).order_by(StaffUser.username)).scalars())


def active_names() -> list[str]:
    """Who a booking request can be assigned to."""
    with db_session() as db:
        return list(db.execute(select(StaffUser.username).where(StaffUser.active.is_(True))
                               .order_by(StaffUser.username)).scalars())
