"""Creating an account with text messages as its second factor: after the password, a mobile number, a code
texted to it, and the account made once the code comes back (services/sign_up.py has the steps before).

The number is checked by services/phone_numbers.py and kept on the sign-up, in E.164 and as typed, until the
account exists; the code is services/text_codes.py's (bound to the sign-in, no account yet, and the number), so
changing the number makes the earlier code worthless. Guesses go through the throttle on the email being
signed up, as the authenticator app's first code does. The account's history starts with "factor_added",
naming the phone by its last digits only.
"""

from __future__ import annotations

from govplatform.core.interfaces import Actor, UnitOfWork
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import SignIn, SignUp
from govplatform.identity.services import history, sign_in, text_codes
from govplatform.identity.services.citizens import create_citizen
from govplatform.identity.services.factors import TEXT
from govplatform.identity.services.phone_numbers import MobileNumber, ending, parse_mobile


async def choose_number(
    uow: UnitOfWork, identity: IdentityComponent, row: SignIn, sign_up: SignUp, typed: str, ip: str | None
) -> MobileNumber:
    """The number typed, checked and texted a code. Raises PhoneNumberRefused (nothing is counted or kept),
    TooManyGuesses or TextCodeRefused (the send is counted: the caller commits)."""
    number = parse_mobile(typed)
    await text_codes.send(uow, identity, row.token_hash, None, number.e164, ip)
    sign_up.phone_number, sign_up.phone_number_as_typed = number.e164, number.as_typed
    return number


async def send_again(
    uow: UnitOfWork, identity: IdentityComponent, row: SignIn, sign_up: SignUp, ip: str | None
) -> None:
    """A new code to the number already chosen; raises as `text_codes.send`. The caller commits."""
    assert sign_up.phone_number is not None
    await text_codes.send(uow, identity, row.token_hash, None, sign_up.phone_number, ip)


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
    """The texted code: the account is made with the phone as its second factor, and the sign-in finishes as
    a signed-in one does. Raises TooManyGuesses, TextCodeRefused, or IdentityError (if the email got an account
    meanwhile); the caller commits."""
    assert sign_up.password_hash is not None and sign_up.phone_number is not None
    await text_codes.check(uow, identity, row.token_hash, None, sign_up.phone_number, code, ip, sign_up.email)
    actor = Actor("citizen", None, "Citizen", ip)
    citizen = await create_citizen(
        uow, actor, identity.box, email=sign_up.email, password="", password_hash=sign_up.password_hash
    )
    citizen.phone_number, citizen.phone_number_as_typed = sign_up.phone_number, sign_up.phone_number_as_typed
    history.record(uow, citizen.id, "factor_added", factor=TEXT, ending=ending(sign_up.phone_number))
    await uow.session.delete(sign_up)
    row.email = sign_up.email
    row.citizen_id = citizen.id
    return await sign_in.finish(uow, identity, row, "Cl.Cm", previous_session, user_agent)
