"""Security codes texted to a citizen's phone: sent through core's messaging, checked, used once.

The rules come from One Login's SMS code (identity.md section 6: 6 digits, 900 seconds, 5 retries) and from
the email codes of services/sign_up.py, so both kinds of code behave alike:
- A code is 6 random digits, kept only as a keyed hash of the sign-in it was sent for, the account (none while
  an account is being made), the number and the code; so a code counts only in the sign-in it was sent in, for
  the account and number it was sent for. A copy of the table is worth no codes.
- It is used once (the hash is cleared by one conditional UPDATE, so two requests at once cannot both use it),
  expires after CODE_SECONDS, and is void after MAX_WRONG_GUESSES; a new code is then asked for, and sending
  again replaces the code (one code a sign-in).
- Each guess first goes through core's throttle with CITIZEN_CODE, the authenticator app's, on the same
  account: changing the way the code comes gives no extra guesses. A refused guess at sign-in is a line of the
  account's history ("refused_second_factor").
- Each send goes through the throttle too (TEXT_SEND), per client address and per number, whoever's account it
  is, so no one can use the platform to flood a phone, and none is given back: a send costs money.
The message is queued in the caller's unit of work, so it is sent only if the caller commits; a code is
stored only once the message was accepted. No code or number is logged.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from sqlalchemy import delete, update

from govplatform.core.interfaces import (
    N_,
    BackOff,
    Guessing,
    MessageRefused,
    PlatformTemplate,
    UnitOfWork,
    UserFacingError,
    constant_time_equal,
    current_language,
    keyed_hash,
    utcnow,
)
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import Citizen, SignIn, TextCode
from govplatform.identity.services import history
from govplatform.identity.services.factors import TEXT
from govplatform.identity.services.phone_numbers import ending
from govplatform.identity.services.sign_in import CITIZEN_CODE

CODE_SECONDS = 900  # One Login's SMS code lifetime (identity.md section 6)
MAX_WRONG_GUESSES = 5  # One Login's SMS code retries
# Ten texts from one address, four to one number, before a wait of a minute that doubles to an hour: a person
# needs one, two when the first is slow; anything more is someone else's doing.
TEXT_SEND = Guessing(
    "identity.text_send",
    BackOff(free=10, first_wait=60.0, longest_wait=60 * 60.0, forgive_every=10 * 60.0),
    BackOff(free=4, first_wait=60.0, longest_wait=60 * 60.0, forgive_every=15 * 60.0),
)
WRONG_CODE = N_("The code you entered is not correct, or may have expired, try again")
CODE_EXPIRED = N_("The code has expired. Request a new code")
TOO_MANY_WRONG = N_("You entered the wrong code too many times. Request a new code")
ENTER_CODE = N_("Enter the 6-digit code from the text message")
NOT_SENT = N_("The text message could not be sent. Check the number, or choose another way to get security codes")


class TextCodeRefused(UserFacingError):
    """A text code was not sent or not accepted; the message says why and what to do next."""


def _hash(identity: IdentityComponent, code: TextCode, typed: str) -> str:
    bound = f"{code.sign_in_hash}:{code.citizen_id or ''}:{code.phone_number}:{typed}"
    return keyed_hash(identity.hash_secret, bound, "identity-text-code")


async def send(
    uow: UnitOfWork,
    identity: IdentityComponent,
    sign_in_hash: str,
    citizen_id: uuid.UUID | None,
    e164: str,
    ip: str | None,
) -> TextCode:
    """Texts a new code to `e164` for this sign-in (and account), replacing any code sent before in it.

    Raises TooManyGuesses while sends from this address or to this number must wait (nothing is sent), or
    TextCodeRefused if the message was not accepted. The caller commits in every case, so the send is counted.
    """
    await identity.throttle.attempt(uow, TEXT_SEND, ip, e164)
    if identity.messages is None:
        raise TextCodeRefused(NOT_SENT)
    code = f"{secrets.randbelow(1_000_000):06d}"
    try:
        await identity.messages.send_text(
            uow, PlatformTemplate.CITIZEN_SIGN_IN_CODE, e164, {"code": code}, language=current_language()
        )
    except MessageRefused:
        raise TextCodeRefused(NOT_SENT) from None
    now = utcnow()
    row = await uow.session.get(TextCode, sign_in_hash)
    if row is None:
        row = TextCode(sign_in_hash=sign_in_hash)
        uow.session.add(row)
    row.citizen_id, row.phone_number, row.wrong_guesses = citizen_id, e164, 0
    row.sent_at, row.expires_at = now, now + dt.timedelta(seconds=CODE_SECONDS)
    row.code_hash = _hash(identity, row, code)
    return row


async def sent(uow: UnitOfWork, sign_in_hash: str) -> TextCode | None:
    """The code texted in this sign-in, if one was and it has not expired."""
    row = await uow.session.get(TextCode, sign_in_hash)
    return row if row is not None and row.expires_at > utcnow() else None


async def check(
    uow: UnitOfWork,
    identity: IdentityComponent,
    sign_in_hash: str,
    citizen_id: uuid.UUID | None,
    e164: str,
    typed: str,
    ip: str | None,
    account: str,
) -> None:
    """The code typed, for this sign-in, account and number; used up when right.

    Raises TooManyGuesses (before anything is checked; `account` names the throttle's tally) or
    TextCodeRefused. The caller commits in every case, so a wrong guess is counted.
    """
    attempt = await identity.throttle.attempt(uow, CITIZEN_CODE, ip, account)
    typed = "".join(typed.split())
    row = await uow.session.get(TextCode, sign_in_hash)
    if row is None or row.citizen_id != citizen_id or row.phone_number != e164:
        raise TextCodeRefused(WRONG_CODE)  # no code was sent in this sign-in, for this account and number
    if row.expires_at <= utcnow():
        raise TextCodeRefused(CODE_EXPIRED)
    if row.wrong_guesses >= MAX_WRONG_GUESSES:
        raise TextCodeRefused(TOO_MANY_WRONG)
    given = _hash(identity, row, typed)
    if row.code_hash is None or len(typed) != 6 or not typed.isdigit() or not constant_time_equal(row.code_hash, given):
        row.wrong_guesses += 1
        if row.wrong_guesses >= MAX_WRONG_GUESSES:
            row.code_hash = None  # void: a new code must be asked for
            raise TextCodeRefused(TOO_MANY_WRONG)
        raise TextCodeRefused(WRONG_CODE)
    # Used up by one conditional UPDATE, as authorisation codes are (ADR 0017): of two requests with the same
    # code at once, only the one whose UPDATE finds the hash still there goes on.
    claimed = await uow.session.execute(
        update(TextCode)
        .where(TextCode.sign_in_hash == row.sign_in_hash, TextCode.code_hash == given)
        .values(code_hash=None)
        .execution_options(synchronize_session="fetch")
    )
    if int(getattr(claimed, "rowcount", 0) or 0) != 1:
        raise TextCodeRefused(WRONG_CODE)
    await identity.throttle.succeeded(uow, attempt)


async def _phone_of(uow: UnitOfWork, row: SignIn) -> Citizen | None:
    citizen = await uow.session.get(Citizen, row.citizen_id) if row.citizen_id else None
    return citizen if citizen is not None and citizen.phone_number else None


async def send_for_sign_in(uow: UnitOfWork, identity: IdentityComponent, row: SignIn, ip: str | None) -> TextCode:
    """After the right password: a code to the account's phone. Raises as `send`; the caller commits."""
    citizen = await _phone_of(uow, row)
    if citizen is None or citizen.phone_number is None:
        raise TextCodeRefused(NOT_SENT)
    return await send(uow, identity, row.token_hash, citizen.id, citizen.phone_number, ip)


async def check_for_sign_in(
    uow: UnitOfWork, identity: IdentityComponent, row: SignIn, typed: str, ip: str | None
) -> uuid.UUID:
    """The second factor by text; returns the citizen's id (sign_in.finish then ends the sign-in).

    A wrong code is a line of the account's history. Raises TooManyGuesses or TextCodeRefused; the caller
    commits either way.
    """
    citizen = await _phone_of(uow, row)
    if citizen is None or citizen.phone_number is None:
        raise TextCodeRefused(WRONG_CODE)
    try:
        await check(uow, identity, row.token_hash, citizen.id, citizen.phone_number, typed, ip, str(citizen.id))
    except TextCodeRefused:
        history.record(uow, citizen.id, "refused_second_factor", factor=TEXT, ending=ending(citizen.phone_number))
        raise
    return citizen.id


async def forget(uow: UnitOfWork, citizen_id: uuid.UUID) -> None:
    """The account is being deleted: codes sent to its phone go with it. The caller commits."""
    await uow.session.execute(delete(TextCode).where(TextCode.citizen_id == citizen_id))
