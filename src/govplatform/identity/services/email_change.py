"""A signed-in citizen changes their email address: a 6-digit code is sent to the new address, and the change is
made only when that code comes back, so the address the account holds is always one the citizen can read.

The new address never reveals whether it already has an account: when it does, that address is sent a notice
instead of a code (PlatformTemplate.CITIZEN_EMAIL_IN_USE), and the page that follows is the same; the code kept
is the hash of one never sent, so nothing entered there can match. The code is single use (the row goes when
it is used), lives CODE_MINUTES (One Login's email code lifetime, 15 minutes), and is kept only as a keyed hash.
Two throttles: sending (so the form cannot be used to send a stranger mail without end) and guessing the code
(as at sign-in, per address and per account). Messages go through core's Messages in the same unit of work, so
one is sent only if the change to the table commits.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from sqlalchemy import delete

from govplatform.core.interfaces import (
    N_,
    BackOff,
    Guessing,
    PlatformTemplate,
    UnitOfWork,
    UserFacingError,
    constant_time_equal,
    keyed_hash,
    record_audit,
    utcnow,
)
from govplatform.identity.component import IdentityComponent
from govplatform.identity.errors import IdentityError
from govplatform.identity.models import Citizen, EmailChange
from govplatform.identity.services import history
from govplatform.identity.services.accounts import CITIZEN
from govplatform.identity.services.citizens import find_by_email, normalise_email
from govplatform.identity.services.sign_in import CITIZEN_CODE

CODE_MINUTES = 15
# Per account five codes sent without waiting (ten per client address), then a minute, doubling to an hour;
# one forgiven every ten minutes. Sends are never given back, so this limits mail to strangers' addresses.
SENDING = Guessing(
    "identity.email_change_send",
    BackOff(free=10, first_wait=60.0, longest_wait=3600.0, forgive_every=10 * 60.0),
    BackOff(free=5, first_wait=60.0, longest_wait=3600.0, forgive_every=10 * 60.0),
)
WRONG_CODE = N_("The code you entered is not correct, or may have expired, try again")


class EmailChangeRefused(UserFacingError):
    """The address or the code was not accepted; nothing was changed."""


def _hash(identity: IdentityComponent, code: str) -> str:
    return keyed_hash(identity.hash_secret, code, "identity-email-change")


async def request_change(
    uow: UnitOfWork, identity: IdentityComponent, citizen_id: uuid.UUID, typed: str, language: str, ip: str | None
) -> str:
    """Send the code (or the notice) for a new address; returns the address as normalised. Raises
    EmailChangeRefused or TooManyGuesses. The caller commits in every case (a send is counted)."""
    citizen = await uow.session.get(Citizen, citizen_id)
    if citizen is None or identity.messages is None:
        raise EmailChangeRefused(N_("You cannot change your email address at the moment"))
    if not typed.strip():
        raise EmailChangeRefused(N_("Enter your new email address"))
    try:
        new_email = normalise_email(typed)
    except IdentityError as error:
        raise EmailChangeRefused(error.template, **error.params) from None
    if new_email == citizen.email:
        raise EmailChangeRefused(N_("This is already your email address. Enter a different one"))
    await identity.throttle.attempt(uow, SENDING, ip, str(citizen_id))  # never given back: every send counts
    code = f"{secrets.randbelow(1_000_000):06d}"
    taken = await find_by_email(uow, new_email) is not None
    if taken:
        await identity.messages.send_email(uow, PlatformTemplate.CITIZEN_EMAIL_IN_USE, new_email, {}, language=language)
        code = secrets.token_urlsafe(16)  # kept hashed, never sent: nothing typed can match
    else:
        values = {"code": code, "minutes": CODE_MINUTES}
        await identity.messages.send_email(
            uow, PlatformTemplate.CITIZEN_EMAIL_CHANGE_CODE, new_email, values, language=language
        )
    await uow.session.execute(delete(EmailChange).where(EmailChange.citizen_id == citizen_id))
    uow.session.add(
        EmailChange(
            citizen_id=citizen_id,
            new_email=new_email,
            code_hash=_hash(identity, code),
            expires_at=utcnow() + dt.timedelta(minutes=CODE_MINUTES),
        )
    )
    return new_email


async def pending(uow: UnitOfWork, citizen_id: uuid.UUID) -> EmailChange | None:
    row = await uow.session.get(EmailChange, citizen_id)
    return row if row is not None and row.expires_at > utcnow() else None


async def confirm(
    uow: UnitOfWork, identity: IdentityComponent, citizen_id: uuid.UUID, code: str, ip: str | None
) -> None:
    """Make the change if the code is the one sent. Raises EmailChangeRefused or TooManyGuesses. The caller
    commits in every case (a wrong guess is counted)."""
    code = "".join(code.split())
    if not code:
        raise EmailChangeRefused(N_("Enter the 6-digit code we sent to your new email address"))
    row = await pending(uow, citizen_id)
    citizen = await uow.session.get(Citizen, citizen_id)
    if row is None or citizen is None:
        raise EmailChangeRefused(WRONG_CODE)
    attempt = await identity.throttle.attempt(uow, CITIZEN_CODE, ip, str(citizen_id))
    if len(code) != 6 or not code.isdigit() or not constant_time_equal(_hash(identity, code), row.code_hash):
        raise EmailChangeRefused(WRONG_CODE)
    if await find_by_email(uow, row.new_email) is not None:  # taken since the code was sent
        raise EmailChangeRefused(WRONG_CODE)
    await identity.throttle.succeeded(uow, attempt)
    citizen.email = row.new_email
    citizen.email_verified = True
    await uow.session.delete(row)  # single use
    history.record(uow, citizen_id, "email_changed")
    record_audit(uow, CITIZEN, "identity.citizen_email_changed", "citizen", citizen_id)


async def forget(uow: UnitOfWork, citizen_id: uuid.UUID) -> None:
    await uow.session.execute(delete(EmailChange).where(EmailChange.citizen_id == citizen_id))
