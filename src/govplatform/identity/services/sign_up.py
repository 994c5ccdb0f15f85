"""Creating an account during a sign-in, in One Login's order: email, a code emailed to it, a password, an
authenticator app; then the authorisation goes on as a finished sign-in's does.

Whether an email has an account shows nowhere. The email step answers the same either way and sends the
address a message either way: a code to a new address, a notice ("someone tried to create an account, here
is how to sign in") to a known one, whose sign-up row then has no code, so every code typed for it is wrong,
counted and throttled as any wrong code is. The throttle counts sends per address and per email typed (so
no one can use the platform to flood an inbox) and code guesses likewise.

The code: 6 digits, kept as a keyed hash, single use, 15 minutes, 5 wrong guesses and it is void (One
Login's email OTP: 900 seconds, 5 retries; identity.md section 6). The password is checked by
services/passwords.py when chosen and kept as its argon2id hash; the authenticator secret is kept
encrypted; neither leaves the row except into the account. The row is keyed by its sign-in's token hash
and dies with it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets

import pyotp
from sqlalchemy import delete

from govplatform.core.interfaces import (
    N_,
    Actor,
    BackOff,
    Guessing,
    MessageRefused,
    PlatformTemplate,
    UnitOfWork,
    UserFacingError,
    constant_time_equal,
    current_language,
    hash_password,
    keyed_hash,
    new_totp_secret,
    totp_step,
    utcnow,
)
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import SignIn, SignUp
from govplatform.identity.services import sign_in
from govplatform.identity.services.citizens import create_citizen, find_by_email, normalise_email
from govplatform.identity.services.passwords import check_new_password

CODE_SECONDS = 15 * 60
MAX_WRONG_CODES = 5
_ADDRESS = BackOff(free=10, first_wait=1.0, longest_wait=15 * 60.0, forgive_every=10 * 60.0)
# Five emails to one address before a wait, then a long one: a person needs two or three at most.
SIGN_UP_EMAIL = Guessing(
    "identity.sign_up_email", _ADDRESS, BackOff(free=5, first_wait=60.0, longest_wait=60 * 60.0, forgive_every=600.0)
)
SIGN_UP_CODE = Guessing(
    "identity.sign_up_code", _ADDRESS, BackOff(free=5, first_wait=1.0, longest_wait=15 * 60.0, forgive_every=600.0)
)
WRONG_CODE = N_("The code you entered is not correct, or may have expired, try again")
CODE_EXPIRED = N_("The code has expired. Request a new code")
TOO_MANY_WRONG = N_("You entered the wrong code too many times. Request a new code")
PASSWORDS_DIFFER = N_("Enter the same password in both fields")
WRONG_APP_CODE = N_("The code you entered is not correct, try again with the code your authenticator app shows now")
NOT_SENT = N_("The email could not be sent. Try again later")


class SignUpFailed(UserFacingError):
    """A step of creating an account was refused; the message says why, never whether the email is known."""


def _code_hash(identity: IdentityComponent, sign_in_hash: str, code: str) -> str:
    return keyed_hash(identity.hash_secret, f"{sign_in_hash}:{code}", "identity-sign-up-code")


async def find(uow: UnitOfWork, row: SignIn) -> SignUp | None:
    found = await uow.session.get(SignUp, row.token_hash)
    if found is None or found.expires_at <= utcnow():
        return None
    return found


async def send_code(uow: UnitOfWork, identity: IdentityComponent, row: SignIn, email: str, ip: str | None) -> SignUp:
    """Starts (or restarts, with a fresh code) creating an account for `email`; the caller commits.

    Raises IdentityError for an email that is not one, TooManyGuesses while sends to it or from this address
    must wait, SignUpFailed if the message could not be queued.
    """
    normal = normalise_email(email)
    await identity.throttle.attempt(uow, SIGN_UP_EMAIL, ip, normal)  # every send counts; none is given back
    now = utcnow()
    await uow.session.execute(delete(SignUp).where(SignUp.expires_at <= now))
    found = await uow.session.get(SignUp, row.token_hash)
    if found is None:
        found = SignUp(sign_in_hash=row.token_hash, expires_at=row.expires_at, created_at=now)
        uow.session.add(found)
    found.email, found.wrong_codes, found.code_expires_at = normal, 0, now + dt.timedelta(seconds=CODE_SECONDS)
    found.email_confirmed_at, found.password_hash, found.totp_secret_encrypted = None, None, None
    found.phone_number, found.phone_number_as_typed = None, None
    service_name = sign_in.request_of(row).client_name
    known = await find_by_email(uow, normal) is not None
    if known:
        found.code_hash = None
        template, values = PlatformTemplate.CITIZEN_ACCOUNT_EXISTS, {"service_name": service_name}
    else:
        code = f"{secrets.randbelow(1_000_000):06d}"
        found.code_hash = _code_hash(identity, row.token_hash, code)
        template, values = PlatformTemplate.CITIZEN_SIGN_UP_CODE, {"code": code, "service_name": service_name}
    if identity.messages is None:
        raise SignUpFailed(NOT_SENT)
    try:
        await identity.messages.send_email(uow, template, normal, values, language=current_language())
    except MessageRefused:
        raise SignUpFailed(NOT_SENT) from None
    return found


async def confirm_email(
    uow: UnitOfWork, identity: IdentityComponent, sign_up: SignUp, code: str, ip: str | None
) -> None:
    """The emailed code; raises TooManyGuesses or SignUpFailed. The caller commits either way."""
    attempt = await identity.throttle.attempt(uow, SIGN_UP_CODE, ip, sign_up.email)
    code = "".join(code.split())
    if sign_up.code_expires_at <= utcnow():
        raise SignUpFailed(CODE_EXPIRED)
    if sign_up.wrong_codes >= MAX_WRONG_CODES:
        raise SignUpFailed(TOO_MANY_WRONG)
    expected = sign_up.code_hash
    given = _code_hash(identity, sign_up.sign_in_hash, code)
    if expected is None or len(code) != 6 or not code.isdigit() or not constant_time_equal(expected, given):
        sign_up.wrong_codes += 1
        if sign_up.wrong_codes >= MAX_WRONG_CODES:
            sign_up.code_hash = None  # void: the next code must be asked for
            raise SignUpFailed(TOO_MANY_WRONG)
        raise SignUpFailed(WRONG_CODE)
    await identity.throttle.succeeded(uow, attempt)
    sign_up.code_hash = None  # single use
    sign_up.email_confirmed_at = utcnow()


async def choose_password(sign_up: SignUp, password: str, again: str) -> None:
    """Raises WeakPassword or SignUpFailed; keeps only the argon2id hash. The caller commits."""
    check_new_password(password, email=sign_up.email)
    if password != again:  # both typed by the citizen: nothing secret to time
        raise SignUpFailed(PASSWORDS_DIFFER)
    sign_up.password_hash = await asyncio.to_thread(hash_password, password)
    sign_up.totp_secret_encrypted = None


def authenticator_secret(identity: IdentityComponent, sign_up: SignUp) -> str:
    """The secret the authenticator app is set up with: made once per sign-up, kept encrypted."""
    if sign_up.totp_secret_encrypted is None:
        secret = new_totp_secret()
        sign_up.totp_secret_encrypted = identity.box.encrypt_text(secret, sign_up.sign_in_hash)
        return secret
    return identity.box.decrypt_text(sign_up.totp_secret_encrypted, sign_up.sign_in_hash)


def authenticator_uri(secret: str, email: str, issuer: str) -> str:
    """The otpauth:// URI the QR code holds (Google Authenticator's key URI format, which every app reads)."""
    return str(pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer))


async def finish(
    uow: UnitOfWork,
    identity: IdentityComponent,
    row: SignIn,
    sign_up: SignUp,
    code: str,
    ip: str | None,
    previous_session: str | None,
    user_agent: str | None = None,
) -> sign_in.Finished:
    """The authenticator's first code: the account is made and the sign-in finishes as a signed-in one does
    (the citizen's session opens and the service gets its code).

    Raises TooManyGuesses, SignUpFailed, or IdentityError (if the email got an account meanwhile); the
    caller commits.
    """
    assert sign_up.password_hash is not None and sign_up.totp_secret_encrypted is not None
    attempt = await identity.throttle.attempt(uow, sign_in.CITIZEN_CODE, ip, sign_up.email)
    secret = identity.box.decrypt_text(sign_up.totp_secret_encrypted, sign_up.sign_in_hash)
    step = totp_step(lambda: secret, code, None)
    if step is None:
        raise SignUpFailed(WRONG_APP_CODE)
    await identity.throttle.succeeded(uow, attempt)
    actor = Actor("citizen", None, "Citizen", ip)
    citizen = await create_citizen(
        uow, actor, identity.box, email=sign_up.email, password="", totp_secret=secret,
        password_hash=sign_up.password_hash,
    )  # fmt: skip
    citizen.totp_last_step = step  # the code that confirmed the app cannot sign in too
    await uow.session.delete(sign_up)
    row.email = sign_up.email
    row.citizen_id = citizen.id
    return await sign_in.finish(uow, identity, row, "Cl.Cm", previous_session, user_agent)
