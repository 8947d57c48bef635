"""Staff passwords: argon2id hashing (argon2-cffi's defaults) and a strength check.

New passwords need 12+ characters and must not be easy to guess: zxcvbn
(Dropbox's estimator, with its lists of the most common passwords, names and
words) must score them 3 of 4 or better, with the account name counted as
known to an attacker (ASVS 2.1.7).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MIN_SCORE = 3
_CHECKED_CHARACTERS = 100  # zxcvbn's time grows with length; a longer password is not weaker
_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps the response time
# the same, so timing does not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password-for-timing")


def hash_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise ValueError(f"the password must have at least {MIN_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(password: str, username: str = "") -> None:
    """Raise ValueError, with a reason a person can act on, for a weak new password."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"the password must have at least {MIN_LENGTH} characters")
    result = zxcvbn(password[:_CHECKED_CHARACTERS], user_inputs=[username] if username else [])
    if result["score"] < MIN_SCORE:
        warning = result["feedback"].get("warning") or "It is too easy to guess."
        raise ValueError(f"this password is too easy to guess: {warning.rstrip('.')}. "
                         "A few unrelated words make a strong one.")
