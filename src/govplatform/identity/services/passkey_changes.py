"""What a citizen does with their passkeys: create an account with one, add another, rename and remove them.

Names are the citizen's own words (a default says what kind of authenticator made it), at most 60 characters,
unique within the account so the list and the history can tell them apart. Adding and removing are security
changes: each is recorded in the account history and announced by email to the account's address
(services/notices.py), so someone who did not make it finds out. A passkey may not be removed when it is the
citizen's last second factor (no authenticator app, no phone and no other passkey): an account never drops to
a password alone.
"""

from __future__ import annotations

import uuid

from govplatform.core.interfaces import N_, Actor, UnitOfWork, gettext_
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import Citizen, Passkey, SignIn, SignUp
from govplatform.identity.services import history, notices, sign_in
from govplatform.identity.services.citizens import create_citizen
from govplatform.identity.services.passkeys import NewPasskey, PasskeyRefused, of_citizen
from govplatform.identity.services.passkeys import add as add_passkey

MAX_NAME = 60
DEFAULT_NAMES = {
    "device": N_("Passkey on this device"),
    "phone": N_("Passkey on a phone or tablet"),
    "key": N_("Security key"),
    "passkey": N_("Passkey"),
}
LAST_FACTOR = N_(
    "You cannot remove this passkey because it is the only way you have to prove it is you when you sign in. "
    "Add another passkey or an authenticator app first"
)
NAME_MISSING = N_("Enter a name for your passkey")
NAME_TOO_LONG = N_("The name must be 60 characters or fewer")
NAME_TAKEN = N_("You already have a passkey called %(name)s. Enter a different name")


def _clean(name: str) -> str:
    return " ".join("".join(ch for ch in name if ch.isprintable()).split())


def check_name(name: str, taken: list[str]) -> str:
    """The name as kept (spaces tidied); raises PasskeyRefused when it is empty, too long or already used."""
    cleaned = _clean(name)
    if not cleaned:
        raise PasskeyRefused(NAME_MISSING)
    if len(cleaned) > MAX_NAME:
        raise PasskeyRefused(NAME_TOO_LONG)
    if cleaned.casefold() in {other.casefold() for other in taken}:
        raise PasskeyRefused(NAME_TAKEN, name=cleaned)
    return cleaned


def _name_for(new: NewPasskey, typed: str, taken: list[str]) -> str:
    """The typed name, or the default for its kind, numbered when the citizen has one of that name already."""
    if _clean(typed):
        return check_name(typed, taken)
    default = gettext_(DEFAULT_NAMES.get(new.kind, DEFAULT_NAMES["passkey"]))
    name, number = default, 2
    while name.casefold() in {other.casefold() for other in taken}:
        name, number = f"{default} ({number})", number + 1
    return name


async def create_account(
    uow: UnitOfWork,
    identity: IdentityComponent,
    row: SignIn,
    sign_up: SignUp,
    new: NewPasskey,
    typed_name: str,
    ip: str | None,
    previous_session: str | None,
) -> sign_in.Finished:
    """Sign-up's last step with a passkey instead of an authenticator app: the account is made with the passkey
    as its second factor, and the sign-in finishes at Cl.Cm as after the app's first code. Raises PasskeyRefused
    or IdentityError (the email got an account meanwhile); the caller commits."""
    assert sign_up.password_hash is not None
    name = _name_for(new, typed_name, [])
    actor = Actor("citizen", None, "Citizen", ip)
    citizen = await create_citizen(
        uow, actor, identity.box, email=sign_up.email, password="", password_hash=sign_up.password_hash
    )
    add_passkey(uow, citizen.id, new, name)
    history.record(uow, citizen.id, "passkey_added", name=name)
    await uow.session.delete(sign_up)
    row.email, row.citizen_id = sign_up.email, citizen.id
    return await sign_in.finish(uow, identity, row, "Cl.Cm", previous_session)


async def add(uow: UnitOfWork, identity: IdentityComponent, citizen: Citizen, new: NewPasskey, typed_name: str) -> str:
    """Another passkey for a signed-in citizen; returns its name. Raises PasskeyRefused; the caller commits."""
    taken = [passkey.name for passkey in await of_citizen(uow, citizen.id)]
    name = _name_for(new, typed_name, taken)
    add_passkey(uow, citizen.id, new, name)
    history.record(uow, citizen.id, "passkey_added", name=name)
    sentence = gettext_("A passkey called %(name)s was added to your account.") % {"name": name}
    await notices.tell(uow, identity, citizen.email, sentence)
    return name


async def find_own(uow: UnitOfWork, citizen_id: uuid.UUID, passkey_id: str) -> Passkey | None:
    """One of the citizen's passkeys by the id in a link, or None (someone else's, unknown or malformed)."""
    try:
        wanted = uuid.UUID(passkey_id)
    except ValueError:
        return None
    passkey = await uow.session.get(Passkey, wanted)
    return passkey if passkey is not None and passkey.citizen_id == citizen_id else None


async def rename(uow: UnitOfWork, citizen_id: uuid.UUID, passkey: Passkey, typed: str) -> str:
    """Raises PasskeyRefused for a name that may not be used; the caller commits."""
    taken = [other.name for other in await of_citizen(uow, citizen_id) if other.id != passkey.id]
    passkey.name = check_name(typed, taken)
    return passkey.name


def is_last_factor(citizen: Citizen, passkeys: list[Passkey]) -> bool:
    """Whether the citizen's passkeys are their only second factor and there is just one of them."""
    return citizen.totp_secret_encrypted is None and citizen.phone_number is None and len(passkeys) <= 1


async def remove(uow: UnitOfWork, identity: IdentityComponent, citizen: Citizen, passkey: Passkey) -> None:
    """Raises PasskeyRefused(LAST_FACTOR) when it is the last second factor; the caller commits."""
    if is_last_factor(citizen, await of_citizen(uow, citizen.id)):
        raise PasskeyRefused(LAST_FACTOR)
    name = passkey.name
    await uow.session.delete(passkey)
    history.record(uow, citizen.id, "passkey_removed", name=name)
    sentence = gettext_("The passkey called %(name)s was removed from your account.") % {"name": name}
    await notices.tell(uow, identity, citizen.email, sentence)
