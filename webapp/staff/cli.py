"""Staff accounts from the command line (there is no default account).

    python -m webapp.staff.cli create-user alice --role admin   # asks for the password
    python -m webapp.staff.cli create-user bob --password-stdin < file
    python -m webapp.staff.cli reset-password alice             # an existing account
    python -m webapp.staff.cli deactivate bob
    python -m webapp.staff.cli list
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import delete, select

from assistant.store import StaffRole, StaffSession, StaffUser, audit, migrate
from assistant.store import session as db_session
from webapp.staff.passwords import MIN_LENGTH, check_new_password, hash_password


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(f"Password (at least {MIN_LENGTH} characters): ")
    if getpass.getpass("Repeat the password: ") != first:
        sys.exit("The passwords differ.")
    return first


class AccountExists(ValueError):
    """Creating an account must never quietly take over an existing one."""


def _find(db, username: str) -> StaffUser | None:
    return db.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one_or_none()


def create_user(username: str, password: str, role: StaffRole) -> None:
    with db_session() as db:
        if _find(db, username) is not None:
            raise AccountExists(f"an account {username!r} already exists "
                                "(reset-password gives it a new password)")
    check_new_password(password, username)
    password_hash = hash_password(password)
    with db_session() as db:
        db.add(StaffUser(username=username, password_hash=password_hash, role=role, active=True))


def set_password(username: str, password: str) -> int:
    """A new password for an existing account; its sessions end. Returns the account id."""
    check_new_password(password, username)
    password_hash = hash_password(password)
    with db_session() as db:
        user = _find(db, username)
        if user is None:
            raise ValueError(f"no account {username!r}")
        user.password_hash = password_hash
        user_id = user.id
        db.execute(delete(StaffSession).where(StaffSession.user_id == user_id))
    return user_id


def audit_cli(action: str, target: str, detail: str = "") -> None:
    """Account changes from the command line are audited like those in the console."""
    audit("cli", action, target, detail)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m webapp.staff.cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-user", help="create an account (refused if the name exists)")
    create.add_argument("username")
    create.add_argument("--role", choices=[r.value for r in StaffRole], default="staff")
    create.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    reset = commands.add_parser("reset-password", help="give an existing account a new password")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    deactivate = commands.add_parser("deactivate", help="block an account from signing in")
    deactivate.add_argument("username")
    commands.add_parser("list", help="list the accounts")
    args = parser.parse_args(argv)

    migrate()
    if args.command == "create-user":
        username = args.username.strip()
        if not username or len(username) > 64:
            sys.exit("The username must have 1 to 64 characters.")
        try:
            create_user(username, read_password(args.password_stdin), StaffRole(args.role))
        except ValueError as error:
            sys.exit(str(error))
        audit_cli("create_user", username, args.role)
        print(f"account {username!r} ({args.role}) is ready")
    elif args.command == "reset-password":
        try:
            set_password(args.username, read_password(args.password_stdin))
        except ValueError as error:
            sys.exit(str(error))
        audit_cli("reset_password", args.username)
        print(f"account {args.username!r} has a new password")
    elif args.command == "deactivate":
        with db_session() as db:
            query = select(StaffUser).where(StaffUser.username == args.username)
            user = db.execute(query).scalar_one_or_none()
            if user is None:
                sys.exit(f"no account {args.username!r}")
            user.active = False
            db.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
        audit_cli("deactivate_user", args.username)
        print(f"account {args.username!r} deactivated")
    else:
        with db_session() as db:
            for user in db.execute(select(StaffUser).order_by(StaffUser.username)).scalars():
                print(f"{user.username}\t{user.role.value}\t{'active' if user.active else 'inactive'}")


if __name__ == "__main__":
    main()
