"""Citizen accounts, as far as part 1 of the issue needs them: made by command (for demos and tests) and
checked at sign-in, and made by the citizen through the sign-up pages (services/sign_up.py).

The email is normalised (trimmed, lower case) and unique; the password is an argon2id hash (core's hasher);
the TOTP secret is encrypted under core's field cipher with the account id as associated data.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import secrets
import uuid

from sqlalchemy import select

from govplatform.core.interfaces import N_, Actor, SecretBox, UnitOfWork, hash_password, record_audit
from govplatform.identity.errors import IdentityError
from govplatform.identity.models import Citizen
from govplatform.identity.services import history

_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
MIN_PASSWORD_LENGTH = 8  # One Login's minimum


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 320 or not _EMAIL.match(email) or not email.isprintable():
        raise IdentityError(N_("Enter an email address in the correct format, like name@example.com"))
    return email


def check_totp_secret(secret: str) -> str:
    secret = secret.strip().replace(" ", "").upper()
    try:
        raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    except (binascii.Error, ValueError):
        raise IdentityError(N_("The authenticator secret must be base32, as authenticator apps show it")) from None
    if len(raw) < 10:
        raise IdentityError(N_("The authenticator secret must be 16 base32 characters (80 bits) or more"))
    return secret


async def find_by_email(uow: UnitOfWork, email: str) -> Citizen | None:
    try:
        normal = normalise_email(email)
    except IdentityError:
        return None
    return await uow.session.scalar(select(Citizen).where(Citizen.email == normal))


async def create_citizen(
    uow: UnitOfWork,
    actor: Actor,
    box: SecretBox,
    *,
    email: str,
    password: str,
    totp_secret: str | None = None,
    given_name: str | None = None,
    family_name: str | None = None,
    birth_date: dt.date | None = None,
    password_hash: str | None = None,
) -> Citizen:
    """A citizen with a password and, when `totp_secret` is given, an authenticator app; the caller commits.

    A citizen whose second factor is another kind (a phone, a passkey) is made without one, and the factor
    added in the same unit of work, so no account exists with a password alone.

    Sign-up passes `password_hash` (its argon2id hash of a password checked when it was chosen) and an empty
    `password`, so the password itself is never kept while the account is being made.
    """
    normal = normalise_email(email)
    if password_hash is None and (len(password) < MIN_PASSWORD_LENGTH or len(password) > 256):
        raise IdentityError(N_("The password must be between 8 and 256 characters"))
    if password_hash is None and password.strip().lower() == normal:
        raise IdentityError(N_("The password must not be the email address"))
    secret = check_totp_secret(totp_secret) if totp_secret is not None else None
    if await find_by_email(uow, normal) is not None:
        raise IdentityError(N_("There is already an account with this email address"))
    citizen_id = uuid.uuid4()
    citizen = Citizen(
        id=citizen_id,
        email=normal,
        email_verified=True,
        password_hash=password_hash or hash_password(password),
        totp_secret_encrypted=box.encrypt_text(secret, str(citizen_id)) if secret is not None else None,
        given_name=(given_name or "").strip() or None,
        family_name=(family_name or "").strip() or None,
        birth_date=birth_date,
        subject_salt=secrets.token_urlsafe(32),
    )
    uow.session.add(citizen)
    await uow.session.flush()  # a second account for the email fails here, as the caller's error
    record_audit(uow, actor, "identity.citizen_created", "citizen", citizen_id)
    history.record(uow, citizen_id, "account_created")
    return citizen
