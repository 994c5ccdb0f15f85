"""Telling a citizen by email that their account's security changed: a factor added or removed, a password
reset, a recovery started or cancelled.

One Login emails its users after each such change; the point is that someone who did not make it finds out at
once, at the address the account holds, with a link to the security page where they can sign out every
device. The sentence is the caller's, already in the citizen's language; the message goes in the caller's
unit of work, so it is sent only if the change commits. Without messaging (notify absent) nothing is sent
and the change still stands: the history page records it either way.
"""

from __future__ import annotations

from govplatform.core.interfaces import MessageRefused, PlatformTemplate, UnitOfWork, current_language
from govplatform.identity.component import IdentityComponent

ACCOUNT_PATH = "/identity/account"


async def tell(uow: UnitOfWork, identity: IdentityComponent, email: str, change: str) -> bool:
    """Queue the notice to `email`; whether it was accepted. The caller commits."""
    if identity.messages is None:
        return False
    values = {"change": change, "account_link": identity.base_url + ACCOUNT_PATH}
    try:
        await identity.messages.send_email(
            uow, PlatformTemplate.CITIZEN_ACCOUNT_CHANGED, email, values, language=current_language()
        )
    except MessageRefused:
        return False
    return True
