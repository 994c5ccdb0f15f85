"""The second factors an account holds, in the order a sign-in offers them: the first is the one used by
default, the others are listed under "Use another way to get a security code".

One place lists them so that each page asking "which way?" (sign-in, and later the account's security page
and recovery) agrees, and so that a new kind (passkeys) is one more entry here: `of` is async so that a kind
kept in a table of its own can be looked up. The authenticator app comes first when an account has one, as the
task's design says (it works without signal and costs nothing to use); a text message is the other way.
"""

from __future__ import annotations

import dataclasses
import uuid

from govplatform.core.interfaces import UnitOfWork
from govplatform.identity.models import Citizen
from govplatform.identity.services.phone_numbers import ending

APP, TEXT = "app", "text"


@dataclasses.dataclass(frozen=True)
class SecondFactor:
    """One way the citizen can prove it is them after their password; `ending` names a phone by its last digits."""

    kind: str  # APP or TEXT (a passkey will add its own)
    ending: str | None = None


async def of(uow: UnitOfWork, citizen_id: uuid.UUID | None) -> list[SecondFactor]:
    """The account's second factors, the default first; empty for no account."""
    citizen = await uow.session.get(Citizen, citizen_id) if citizen_id is not None else None
    if citizen is None:
        return []
    found: list[SecondFactor] = []
    if citizen.totp_secret_encrypted is not None:
        found.append(SecondFactor(APP))
    if citizen.phone_number is not None:
        found.append(SecondFactor(TEXT, ending(citizen.phone_number)))
    return found


async def default(uow: UnitOfWork, citizen_id: uuid.UUID | None) -> str:
    """The kind a sign-in asks for first (an account with none is asked for an app's code, which then fails)."""
    found = await of(uow, citizen_id)
    return found[0].kind if found else APP
