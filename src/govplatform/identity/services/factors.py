"""A citizen's second factors, whatever their kind: what the security page lists and what may be removed.

Cl.Cm needs a second factor, so an account always keeps at least one: removing the last is refused, on every
path (the security page, a recovery), and the rule lives here so no path can forget it. The kinds: an
authenticator app (at most one, as One Login has), a phone for text message codes (at most one), passkeys
(several, each named).
"""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from govplatform.core.interfaces import N_, UnitOfWork, UserFacingError
from govplatform.identity.models import Citizen, Passkey

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


async def second_factors(uow: UnitOfWork, citizen: Citizen) -> list[SecondFactor]:
    """The citizen's second factors, in the order the security page lists them."""
    found: list[SecondFactor] = []
    if citizen.totp_secret_encrypted is not None:
        found.append(SecondFactor(APP, ""))
    if citizen.phone_number is not None:
        found.append(SecondFactor(TEXT, citizen.phone_number))
    names = await uow.session.scalars(
        select(Passkey.name).where(Passkey.citizen_id == citizen.id).order_by(Passkey.created_at)
    )
    found.extend(SecondFactor(PASSKEY, name) for name in names)
    return found


async def check_removable(uow: UnitOfWork, citizen: Citizen, kind: str) -> None:
    """Raises LastFactor unless the account keeps another second factor once one of `kind` is gone."""
    others = [factor for factor in await second_factors(uow, citizen) if factor.kind != kind]
    if not others:
        raise LastFactor(LAST_FACTOR)
