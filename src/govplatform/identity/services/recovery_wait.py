"""A request to replace a lost second factor, while it waits: found, and cancelled.

Apart from services/factor_recovery.py because sign-in needs it: any sign-in that proves the existing second
factor shows that the factor is not lost, so it cancels the request (sign_in.finish calls `cancel_after_sign_in`),
and this module must not import sign-in back. Cancelling records the step in the citizen's history and tells the
account's email, so someone who started a recovery behind the citizen's back is seen at once.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from govplatform.core.interfaces import N_, UnitOfWork, gettext_, utcnow
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import Citizen, FactorRecovery
from govplatform.identity.services import history, notices

CANCELLED_NOTICE = N_("The request to replace the way you get security codes for your account was cancelled.")


async def live(uow: UnitOfWork, citizen_id: uuid.UUID) -> FactorRecovery | None:
    """The citizen's request under way (its email code sent, or waiting, or ready), or None."""
    found = await uow.session.scalars(
        select(FactorRecovery)
        .where(
            FactorRecovery.citizen_id == citizen_id,
            FactorRecovery.cancelled_at.is_(None),
            FactorRecovery.completed_at.is_(None),
            FactorRecovery.expires_at > utcnow(),
        )
        .order_by(FactorRecovery.created_at.desc())
        .limit(1)
    )
    return found.first()


async def cancel(uow: UnitOfWork, identity: IdentityComponent, recovery: FactorRecovery, why: str) -> None:
    """The request ends without changing the account; recorded, and told to the account's email once the wait
    had begun (before that, no notice was sent to undo). The caller commits."""
    recovery.cancelled_at = utcnow()
    recovery.code_hash, recovery.new_totp_secret_encrypted = None, None
    if recovery.email_confirmed_at is None:
        return
    history.record(uow, recovery.citizen_id, "factor_recovery_cancelled", why=why)
    citizen = await uow.session.get(Citizen, recovery.citizen_id)
    if citizen is not None:
        await notices.tell(uow, identity, citizen.email, gettext_(CANCELLED_NOTICE))


async def cancel_after_sign_in(uow: UnitOfWork, identity: IdentityComponent, citizen_id: uuid.UUID) -> None:
    """The citizen proved their existing second factor: the factor is not lost, and a request waiting to replace
    it ends. The caller commits."""
    found = await live(uow, citizen_id)
    if found is not None:
        await cancel(uow, identity, found, "signed_in")
