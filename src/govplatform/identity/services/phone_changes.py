"""Adding, changing and removing the phone that gets a citizen's security codes, from the security page.

The number is checked as at sign-up (services/phone_numbers.py) and a code is texted to the NEW number with
services/text_codes.py's machinery; the phone changes only when that code comes back. So nobody can put a
number they do not hold on an account, and a typing mistake cannot lock the citizen out.

The code is bound, as every text code is, to a key, the account and the number: here the key is a keyed hash
of the citizen's session (never a sign-in's token hash, so a code sent at sign-in counts nowhere here and the
reverse), so a code sent to another number, in another session or for another account is refused; it is used
once and guesses meet core's throttle on the account. Sends meet TEXT_SEND, per address and per number.

Every change is announced to the account's email (services/notices.py) and written in the history with the
number's last 4 digits only. Removing keeps the rule that an account always has a second factor
(services/factors.py check_removable). The security pages check that both factors were proven just now.
"""

from __future__ import annotations

from govplatform.core.interfaces import UnitOfWork, gettext_, keyed_hash
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import Citizen, CitizenSession
from govplatform.identity.services import factors, history, notices, text_codes
from govplatform.identity.services.phone_numbers import MobileNumber, ending, parse_mobile


def _key(identity: IdentityComponent, session: CitizenSession) -> str:
    """The text code's key for a phone change in this session: 64 hex characters, as a sign-in's hash is."""
    return keyed_hash(identity.hash_secret, session.token_hash, "identity-phone-change")


async def send_code(
    uow: UnitOfWork, identity: IdentityComponent, session: CitizenSession, citizen: Citizen, typed: str,
    ip: str | None,
) -> MobileNumber:  # fmt: skip
    """The number typed, checked and texted a code. Raises PhoneNumberRefused (nothing is sent or counted),
    TooManyGuesses or TextCodeRefused (the send is counted: the caller commits)."""
    number = parse_mobile(typed)
    await text_codes.send(uow, identity, _key(identity, session), citizen.id, number.e164, ip)
    return number


async def confirm(
    uow: UnitOfWork, identity: IdentityComponent, session: CitizenSession, citizen: Citizen, typed_number: str,
    code: str, ip: str | None,
) -> None:  # fmt: skip
    """The code texted to the number typed: the account's phone becomes that number. Raises PhoneNumberRefused,
    TooManyGuesses or TextCodeRefused (a code sent to another number is wrong); the caller commits either way
    (a wrong guess is counted)."""
    number = parse_mobile(typed_number)
    await text_codes.check(uow, identity, _key(identity, session), citizen.id, number.e164, code, ip, str(citizen.id))
    old = citizen.phone_number
    citizen.phone_number, citizen.phone_number_as_typed = number.e164, number.as_typed
    if old is None:
        history.record(uow, citizen.id, "factor_added", factor=factors.TEXT, ending=number.ending)
        change = gettext_("A phone number for security codes was added to your account.")
    else:
        history.record(uow, citizen.id, "factor_changed", factor=factors.TEXT, ending=number.ending)
        change = gettext_("The phone number for security codes on your account was changed.")
    await notices.tell(uow, identity, citizen.email, change)


async def remove(uow: UnitOfWork, identity: IdentityComponent, citizen: Citizen) -> None:
    """Raises LastFactor when the phone is the account's only second factor. The caller commits."""
    if citizen.phone_number is None:
        return
    await factors.check_removable(uow, citizen, factors.TEXT)
    gone = ending(citizen.phone_number)
    citizen.phone_number, citizen.phone_number_as_typed = None, None
    history.record(uow, citizen.id, "factor_removed", factor=factors.TEXT, ending=gone)
    await notices.tell(
        uow, identity, citizen.email, gettext_("The phone number for security codes was removed from your account.")
    )
