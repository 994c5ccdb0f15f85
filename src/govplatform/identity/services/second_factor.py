"""Proving the second factor on a password reset, whatever its kind: the account's authenticator app (RFC 6238
codes, each time step accepted once, section 5.2), a code texted to the account's phone, or one of its passkeys.

The text code and the passkey reuse the sign-in's machinery (services/text_codes.py, services/passkeys.py) with
the reset link in place of the sign-in: the code is texted for, and counts only on, this reset (its row is keyed
by the reset's token hash, single use, MAX_WRONG_GUESSES, the send throttled per number); the passkey's challenge
is issued for the purpose RESET and bound to this reset, so a challenge of a sign-in or of another reset finds
nothing. Either way the factor must be the account's own (its phone now, its passkeys). A refused code is
counted by core's throttle per client address and per account under the same name as sign-in's codes
(sign_in.CITIZEN_CODE), so guessing through the recovery pages draws on the same allowance as guessing at
sign-in, and is written to the citizen's own history.
"""

from __future__ import annotations

from govplatform.core.interfaces import UnitOfWork, totp_step
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import Citizen
from govplatform.identity.services import history, passkeys, text_codes
from govplatform.identity.services.sign_in import CITIZEN_CODE, WRONG_CODE, SignInFailed

RESET = "password_reset"  # the purpose of a passkey challenge issued on a reset's second-factor page


async def prove_second_factor(
    uow: UnitOfWork, identity: IdentityComponent, citizen: Citizen, code: str, ip: str | None
) -> None:
    """The citizen's second factor, proven now (the authenticator app's code), or an exception.

    Raises TooManyGuesses (before anything is checked) or SignInFailed; the caller commits either way, so a
    wrong code is counted and recorded.
    """
    attempt = await identity.throttle.attempt(uow, CITIZEN_CODE, ip, str(citizen.id))
    encrypted = citizen.totp_secret_encrypted
    step = None
    if encrypted is not None:
        step = totp_step(lambda: identity.box.decrypt_text(encrypted, str(citizen.id)), code, citizen.totp_last_step)
    if step is None:
        history.record(uow, citizen.id, "refused_second_factor")
        raise SignInFailed(WRONG_CODE)
    await identity.throttle.succeeded(uow, attempt)
    citizen.totp_last_step = step  # the code is spent: it cannot sign in too


async def send_text_code(
    uow: UnitOfWork, identity: IdentityComponent, citizen: Citizen, bound_to: str, ip: str | None
) -> None:
    """A code texted to the account's phone for this reset (`bound_to`, the reset's token hash), replacing any
    sent on it before. Raises TooManyGuesses or TextCodeRefused (no phone); the caller commits."""
    if citizen.phone_number is None:
        raise text_codes.TextCodeRefused(text_codes.NOT_SENT)
    await text_codes.send(uow, identity, bound_to, citizen.id, citizen.phone_number, ip)


async def prove_text_code(
    uow: UnitOfWork, identity: IdentityComponent, citizen: Citizen, bound_to: str, code: str, ip: str | None
) -> None:
    """The code texted on this reset, to the account's phone now; used up when right. Raises TooManyGuesses or
    TextCodeRefused; a wrong code is recorded, and the caller commits either way."""
    try:
        await text_codes.check(
            uow, identity, bound_to, citizen.id, citizen.phone_number or "", code, ip, str(citizen.id)
        )
    except text_codes.TextCodeRefused:
        history.record(uow, citizen.id, "refused_second_factor")
        raise


async def passkey_options(uow: UnitOfWork, identity: IdentityComponent, citizen: Citizen, bound_to: str) -> str:
    """The options for the reset's passkey page: the account's passkeys, a challenge bound to this reset."""
    return await passkeys.authentication_options(uow, identity, purpose=RESET, bound_to=bound_to, citizen_id=citizen.id)


async def prove_passkey(
    uow: UnitOfWork, identity: IdentityComponent, citizen: Citizen, bound_to: str, credential: str, ip: str | None
) -> None:
    """A passkey of the account, answering a challenge of this reset. Raises TooManyGuesses or PasskeyRefused
    (recorded in the history by services/passkeys.py); the caller commits either way."""
    await passkeys.authenticate(
        uow, identity, credential, purpose=RESET, bound_to=bound_to, citizen_id=citizen.id, ip=ip
    )
