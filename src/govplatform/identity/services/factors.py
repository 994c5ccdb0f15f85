"""A citizen's second factors, whatever their kind: what the security page lists and what may be removed.

Cl.Cm needs a second factor, so an account always keeps at least one: removing the last is refused, on every
path (the security page, a recovery), and the rule lives here so no path can forget it. The kinds: an
authenticator app (at most one, as One Login has), a phone for text message codes (at most one), passkeys
(several, each named).

The list's order is also the sign-in's: the first is the one a sign-in asks for (the app, when the account has
one: it needs no signal and costs nothing), the others are offered under "Use another way to get a security
code" (pages/sign_in_text.py), so a new kind is one more entry here for every page.
"""

from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy import select

from govplatform.core.interfaces import N_, UnitOfWork, UserFacingError
from govplatform.identity.models import Citizen, Passkey
from govplatform.identity.services.phone_numbers import ending

APP, TEXT, PASSKEY = "app", "text", "passkey"
LAST_FACTOR = N_(
    "You cannot remove this because it is the only way you have to prove it is you when you sign in. "
    "Add another way first."
)


class LastFactor(UserFacingError):
    """Removing this factor would leave the account with a password alone."""


@dataclasses.dataclass(frozen=True)
class SecondFactor:
    kind: str  # APP, TEXT (and passkeys)
    shown_as: str  # what the page shows: a phone number as the citizen typed it, a passkey's name, or ""
    ending: str = ""  # a phone's last 4 digits: all a sign-in page shows of it (One Login's "ending 0123")


async def second_factors(uow: UnitOfWork, citizen: Citizen) -> list[SecondFactor]:
    """The citizen's second factors, in the order the security page lists them."""
    found: list[SecondFactor] = []
    if citizen.totp_secret_encrypted is not None:
        found.append(SecondFactor(APP, ""))
    if citizen.phone_number is not None:
        shown = citizen.phone_number_as_typed or citizen.phone_number
        found.append(SecondFactor(TEXT, shown, ending(citizen.phone_number)))
    names = await uow.session.scalars(
        select(Passkey.name).where(Passkey.citizen_id == citizen.id).order_by(Passkey.created_at)
    )
    found.extend(SecondFactor(PASSKEY, name) for name in names)
    return found


async def of_account(uow: UnitOfWork, citizen_id: uuid.UUID | None) -> list[SecondFactor]:
    """The second factors of the account a sign-in has reached (empty for none), the default first."""
    citizen = await uow.session.get(Citizen, citizen_id) if citizen_id is not None else None
    return await second_factors(uow, citizen) if citizen is not None else []


async def default_kind(uow: UnitOfWork, citizen_id: uuid.UUID | None) -> str:
    """The kind a sign-in asks for first (an account with none is asked for an app's code, which then fails)."""
    found = await of_account(uow, citizen_id)
    return found[0].kind if found else APP


async def check_removable(uow: UnitOfWork, citizen: Citizen, kind: str) -> None:
    """Raises LastFactor unless the account keeps another second factor once one of `kind` is gone."""
    others = [factor for factor in await second_factors(uow, citizen) if factor.kind != kind]
    if not others:
        raise LastFactor(LAST_FACTOR)
