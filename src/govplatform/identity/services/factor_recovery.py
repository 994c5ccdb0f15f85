"""A lost second factor: the email, the password, then a waiting period with notice, then a new factor.

Which factors are proven, and when: the citizen reaches this from the second-factor page of a sign-in, so the
**password** was just checked (the sign-in row holds the account only after `sign_in.check_password`); then a
6-digit code emailed to the account's address proves the **mailbox** (as creating an account does: keyed hash,
single use, CODE_MINUTES, MAX_WRONG_CODES, throttled). Neither of these is the second factor, so nothing above
Cl is issued: this module opens no session and issues no code. Then a **waiting period** begins
(`IdentityComponent.factor_recovery_wait_seconds`, 72 hours by default), and the account's email is sent a
notice with a cancel link (single use; only its keyed hash is kept). During the wait the account is unchanged:
the old factor still works, and any sign-in that proves it cancels the request (services/recovery_wait.py), as
does the cancel link. A session the browser already had keeps its level and gains none.

The citizen may start from the second-factor page of any kind (the app's code, the texted code, the passkey: each
has its "I cannot use ..." link); the request is the same whichever it was. After the wait, the citizen signs in
with email and password again and is offered a new authenticator app (the sign-up page's set-up, reused). Only
when its first code is proven are **all the old second factors** replaced (the old app's secret overwritten, the
phone and its texted codes removed, every passkey deleted: the citizen proved none of them in days of waiting,
and a lost phone or device may be in someone else's hands; ADR 0022 says why all and not only the kind named),
every other session ended, the email told, factor_recovery_completed recorded (and each phone or passkey removed), the
sign-in finished at Cl.Cm: the
factors proven then are the **password** (this sign-in) and the **new authenticator app** (its first code).
**Never a path where one factor alone gives Cl.Cm**: the set-up page is refused (recorded) before the wait is
over, without a password proven in the current sign-in, and for a request that was cancelled.

Why a wait: an attacker who has the password and the mailbox (the same breach often gives both) could otherwise
replace the second factor at once and hold the account; the wait and the notice give the real citizen time to
see the email and cancel. One Login has no self-service recovery of the factor; mature providers that do (e.g.
account recovery with a waiting period) use days, not minutes. docs/adr/0022-identity-recovery.md.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
import uuid

from sqlalchemy import select

from govplatform.core.interfaces import (
    N_,
    BackOff,
    Guessing,
    MessageRefused,
    PlatformTemplate,
    UnitOfWork,
    UserFacingError,
    constant_time_equal,
    gettext_,
    keyed_hash,
    new_totp_secret,
    random_token,
    record_audit,
    totp_step,
    utcnow,
)
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import Citizen, FactorRecovery, SignIn
from govplatform.identity.services import history, notices, passkeys, recovery_wait, sessions, sign_in, text_codes
from govplatform.identity.services.accounts import CITIZEN
from govplatform.identity.services.factors import TEXT
from govplatform.identity.services.phone_numbers import ending

CODE_MINUTES = 15
MAX_WRONG_CODES = 5
SET_UP_DAYS = 14  # after the wait, how long the citizen has to set up the new factor before asking again
CANCEL_PATH = "/identity/recovery/cancel"  # the emailed cancel link: CANCEL_PATH?token=...
_ADDRESS = BackOff(free=10, first_wait=60.0, longest_wait=60 * 60.0, forgive_every=10 * 60.0)
SENDING = Guessing(
    "identity.factor_recovery_send",
    _ADDRESS,
    BackOff(free=5, first_wait=60.0, longest_wait=3600.0, forgive_every=600.0),
)
GUESSING = Guessing(
    "identity.factor_recovery_code", BackOff(free=10, first_wait=1.0, longest_wait=15 * 60.0, forgive_every=600.0),
    BackOff(free=5, first_wait=1.0, longest_wait=15 * 60.0, forgive_every=600.0),
)  # fmt: skip
REFUSALS = {
    "not_sent": N_("The email could not be sent. Try again later"),
    "wrong_code": N_("The code you entered is not correct, or may have expired, try again"),
    "too_many": N_("You entered the wrong code too many times. Ask for a new code"),
    "unknown": N_("This link does not work. Check that you opened the whole link from the email."),
    "cancelled": N_("This request has already been cancelled. Nothing about your account has changed."),
    "completed": N_(
        "This request has already been completed, so it cannot be cancelled. Sign in to check your account."
    ),
    "not_ready": N_(
        "You cannot set up a new way to get security codes yet. Come back when the waiting period is over."
    ),
    "no_request": N_("There is no request to replace your way to get security codes."),
    "wrong_app_code": N_(
        "The code you entered is not correct, try again with the code your authenticator app shows now"
    ),
}
COMPLETED_NOTICE = N_(
    "A new authenticator app was set up for your account. It replaces the ways you had to get security codes: "
    "any phone number and passkeys were removed. You can add them again on your account's security page."
)


class RecoveryRefused(UserFacingError):
    """A step of replacing a lost factor was refused; `reason` names the check, the message says it."""

    def __init__(self, reason: str) -> None:
        super().__init__(REFUSALS[reason])
        self.reason = reason


def _code_hash(identity: IdentityComponent, recovery: FactorRecovery, code: str) -> str:
    return keyed_hash(identity.hash_secret, f"{recovery.id}:{code}", "identity-factor-recovery-code")


def _cancel_hash(identity: IdentityComponent, token: str) -> str:
    return keyed_hash(identity.hash_secret, token, "identity-factor-recovery-cancel")


def _refuse(uow: UnitOfWork, citizen_id: uuid.UUID | None, step: str, reason: str) -> RecoveryRefused:
    """The refusal, recorded in the audit log (no personal data) and the account's history when it is known."""
    record_audit(uow, CITIZEN, "identity.recovery_refused", "citizen", citizen_id, step=step, reason=reason)
    if citizen_id is not None:
        history.record(uow, citizen_id, "recovery_refused")
    return RecoveryRefused(reason)


def state(recovery: FactorRecovery | None) -> str:
    """ "none", "email" (the code was sent), "waiting" or "ready" (the wait is over)."""
    if recovery is None:
        return "none"
    if recovery.email_confirmed_at is None or recovery.ready_at is None:
        return "email"
    return "ready" if recovery.ready_at <= utcnow() else "waiting"


async def start(
    uow: UnitOfWork, identity: IdentityComponent, row: SignIn, ip: str | None, language: str
) -> FactorRecovery:
    """Email a code to the account of a sign-in whose password was proven; a request already waiting is kept
    as it is (asking again never shortens a wait). Raises TooManyGuesses or RecoveryRefused; the caller
    commits in every case (a send counts)."""
    assert row.citizen_id is not None
    current = await recovery_wait.live(uow, row.citizen_id)
    if current is not None and current.email_confirmed_at is not None:
        return current
    citizen = await uow.session.get(Citizen, row.citizen_id)
    if citizen is None or identity.messages is None:
        raise RecoveryRefused("not_sent")
    await identity.throttle.attempt(uow, SENDING, ip, str(citizen.id))  # never given back: every send counts
    now = utcnow()
    until = now + dt.timedelta(minutes=CODE_MINUTES)
    recovery = FactorRecovery(
        id=uuid.uuid4(), citizen_id=citizen.id, code_expires_at=until, wrong_codes=0, created_at=now, expires_at=until
    )
    code = f"{secrets.randbelow(1_000_000):06d}"
    try:  # sent first: a refused message leaves nothing changed for the caller's commit
        await identity.messages.send_email(
            uow, PlatformTemplate.CITIZEN_SIGN_IN_CODE, citizen.email, {"code": code}, language=language
        )
    except MessageRefused:
        raise RecoveryRefused("not_sent") from None
    recovery.code_hash = _code_hash(identity, recovery, code)
    if current is not None:
        current.cancelled_at = now  # a newer code replaces it (nothing had been announced)
    uow.session.add(recovery)
    return recovery


async def confirm_email(
    uow: UnitOfWork, identity: IdentityComponent, recovery: FactorRecovery, code: str, ip: str | None, language: str
) -> None:
    """The emailed code: the wait begins, the account's email gets the notice with the cancel link, and the
    history records it. Raises TooManyGuesses or RecoveryRefused; the caller commits in every case."""
    attempt = await identity.throttle.attempt(uow, GUESSING, ip, str(recovery.citizen_id))
    code = "".join(code.split())
    if recovery.wrong_codes >= MAX_WRONG_CODES:
        raise RecoveryRefused("too_many")
    given = _code_hash(identity, recovery, code)
    expected, now = recovery.code_hash, utcnow()
    if expected is None or recovery.code_expires_at <= now or not constant_time_equal(expected, given):
        recovery.wrong_codes += 1
        if recovery.wrong_codes >= MAX_WRONG_CODES:
            recovery.code_hash = None
            raise RecoveryRefused("too_many")
        raise RecoveryRefused("wrong_code")
    await identity.throttle.succeeded(uow, attempt)
    citizen = await uow.session.get(Citizen, recovery.citizen_id)
    if citizen is None or identity.messages is None:
        raise RecoveryRefused("not_sent")
    wait = identity.factor_recovery_wait_seconds
    token = random_token(32)
    values = {"cancel_link": f"{identity.base_url}{CANCEL_PATH}?token={token}", "hours": math.ceil(wait / 3600)}
    try:  # sent first: no wait ever begins without its notice (a refused message leaves the request as it was)
        await identity.messages.send_email(
            uow, PlatformTemplate.CITIZEN_FACTOR_RECOVERY, citizen.email, values, language=language
        )
    except MessageRefused:
        raise RecoveryRefused("not_sent") from None
    recovery.code_hash, recovery.email_confirmed_at = None, now
    recovery.ready_at = now + dt.timedelta(seconds=wait)
    recovery.expires_at = recovery.ready_at + dt.timedelta(days=SET_UP_DAYS)
    recovery.cancel_token_hash = _cancel_hash(identity, token)
    history.record(uow, citizen.id, "factor_recovery_requested")


async def check_cancel_link(uow: UnitOfWork, identity: IdentityComponent, token: str | None) -> FactorRecovery:
    """The request a cancel link names, still cancellable; raises RecoveryRefused (recorded; the caller commits)."""
    found = None
    if token and len(token) <= 100:
        found = await uow.session.scalar(
            select(FactorRecovery).where(FactorRecovery.cancel_token_hash == _cancel_hash(identity, token))
        )
    if found is None:
        raise _refuse(uow, None, "factor_recovery_cancel", "unknown")
    if found.cancelled_at is not None:
        raise _refuse(uow, found.citizen_id, "factor_recovery_cancel", "cancelled")
    if found.completed_at is not None:
        raise _refuse(uow, found.citizen_id, "factor_recovery_cancel", "completed")
    return found


async def cancel_with_link(uow: UnitOfWork, identity: IdentityComponent, token: str | None) -> None:
    """The cancel link, used (single use): the request ends and the account stays as it was."""
    found = await check_cancel_link(uow, identity, token)
    await recovery_wait.cancel(uow, identity, found, "cancel_link")


async def ready_for(uow: UnitOfWork, row: SignIn) -> FactorRecovery:
    """The request of a sign-in's account whose wait is over; raises RecoveryRefused (recorded) otherwise.

    The sign-in's password must have been proven in it (`row.citizen_id` is set only then)."""
    if row.citizen_id is None:
        raise RecoveryRefused("no_request")
    recovery = await recovery_wait.live(uow, row.citizen_id)
    if recovery is None:
        raise _refuse(uow, row.citizen_id, "factor_recovery_set_up", "no_request")
    if state(recovery) != "ready":
        raise _refuse(uow, row.citizen_id, "factor_recovery_set_up", "not_ready")
    return recovery


def new_secret(identity: IdentityComponent, recovery: FactorRecovery) -> str:
    """The new authenticator's secret: made once per request, kept encrypted until it is proven."""
    if recovery.new_totp_secret_encrypted is None:
        secret = new_totp_secret()
        recovery.new_totp_secret_encrypted = identity.box.encrypt_text(secret, str(recovery.id))
        return secret
    return identity.box.decrypt_text(recovery.new_totp_secret_encrypted, str(recovery.id))


async def complete(
    uow: UnitOfWork, identity: IdentityComponent, row: SignIn, code: str, ip: str | None, previous_session: str | None
) -> sign_in.Finished:
    """The new app's first code: it replaces the old factor, every other session ends, the email is told, and the
    sign-in finishes at Cl.Cm (the password of this sign-in and the new app, both just proven). Raises
    RecoveryRefused or TooManyGuesses; the caller commits in every case."""
    recovery = await ready_for(uow, row)
    citizen = await uow.session.get(Citizen, recovery.citizen_id)
    if citizen is None or recovery.new_totp_secret_encrypted is None:
        raise _refuse(uow, recovery.citizen_id, "factor_recovery_set_up", "no_request")
    attempt = await identity.throttle.attempt(uow, sign_in.CITIZEN_CODE, ip, str(citizen.id))
    secret = new_secret(identity, recovery)
    step = totp_step(lambda: secret, code, None)
    if step is None:
        raise RecoveryRefused("wrong_app_code")
    await identity.throttle.succeeded(uow, attempt)
    await _remove_old_factors(uow, citizen)
    citizen.totp_secret_encrypted = identity.box.encrypt_text(secret, str(citizen.id))
    citizen.totp_last_step = step  # the code that proved the app cannot sign in too
    recovery.completed_at, recovery.new_totp_secret_encrypted = utcnow(), None
    await sessions.end_all(uow, citizen.id)
    history.record(uow, citizen.id, "factor_recovery_completed")
    record_audit(uow, CITIZEN, "identity.citizen_factor_replaced", "citizen", citizen.id)
    await notices.tell(uow, identity, citizen.email, gettext_(COMPLETED_NOTICE))
    return await sign_in.finish(uow, identity, row, "Cl.Cm", previous_session)


async def _remove_old_factors(uow: UnitOfWork, citizen: Citizen) -> None:
    """The phone (with any code texted to it) and every passkey go, each a line of the history as the security
    page records them (the phone's last digits, the passkey's name); the old app is overwritten by the caller."""
    if citizen.phone_number is not None:
        history.record(uow, citizen.id, "factor_removed", factor=TEXT, ending=ending(citizen.phone_number))
        citizen.phone_number, citizen.phone_number_as_typed = None, None
        await text_codes.forget(uow, citizen.id)
    for passkey in await passkeys.of_citizen(uow, citizen.id):
        history.record(uow, citizen.id, "passkey_removed", name=passkey.name)
    await passkeys.forget(uow, citizen.id)


def wait_hours(identity: IdentityComponent) -> int:
    return math.ceil(identity.factor_recovery_wait_seconds / 3600)
