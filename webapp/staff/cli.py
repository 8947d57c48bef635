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

from assistant.store import StaffRole, audit, migrate
from webapp.staff import accounts
from webapp.staff.passwords import MIN_LENGTH


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(f"Password (at least {MIN_LENGTH} characters): ")
    if getpass.getpass("Repeat the password: ") != first:
        sys.exit("The passwords differ.")
    return first


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
            accounts.create_user(username, read_password(args.password_stdin), StaffRole(args.role))
        except ValueError as error:
            sys.exit(str(error))
        audit_cli("create_user", username, args.role)
        print(f"account {username!r} ({args.role}) is ready")
    elif args.command == "reset-password":
        try:
            accounts.set_password(args.username, read_password(args.password_stdin))
        except ValueError as error:
            sys.exit(str(error))
        audit_cli("reset_password", args.username)
        print(f"account {args.username!r} has a new password")
    elif args.command == "deactivate":
        try:
            accounts.deactivate(username=args.username)
        except accounts.NoSuchAccount as error:
            sys.exit(str(error))
        audit_cli("deactivate_user", args.username)
        print(f"account {args.username!r} deactivated")
    else:
        for user in accounts.list_accounts():
            print(f"{user.username}\t{user.role.value}\t{'active' if user.active else 'inactive'}")


if __name__ == "__main__":
    main()
