"""Proving the second factor: the one step every path that reaches Cl.Cm goes through after the password.

Today the second factor is the authenticator app (RFC 6238 codes, each time step accepted once, section 5.2).
Recovery asks for it here, by name, so that when text-message codes and passkeys arrive the one function learns
them and every caller (a password reset today; sign-in may follow) accepts the same factors. A refused code is
counted by core's throttle per client address and per account under the same name as sign-in's codes
(sign_in.CITIZEN_CODE), so guessing through the recovery pages draws on the same allowance as guessing at
sign-in, and is written to the citizen's own history.
"""

from __future__ import annotations

from govplatform.core.interfaces import UnitOfWork, totp_step
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import Citizen
from govplatform.identity.services import history
from govplatform.identity.services.sign_in import CITIZEN_CODE, WRONG_CODE, SignInFailed


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
