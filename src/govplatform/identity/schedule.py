"""Identity's periodic work, run by every worker process as a background loop: forget what has expired.

Codes, access tokens, sign-ins, citizens' sessions, pending email changes, passkey challenges and texted codes
are worth nothing once expired, and a client assertion's jti need be remembered only until the assertion itself
expires (after which it is refused for that reason). Codes and
access tokens are kept a day past expiry so a replayed code still revokes its tokens and says so, rather
than looking unknown. Deleting by expiry is safe in several workers at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt

import structlog
from sqlalchemy import delete

from govplatform.core.interfaces import UnitOfWork, utcnow
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import (
    AccessToken,
    AuthorisationCode,
    CitizenSession,
    EmailChange,
    FactorRecovery,
    PasskeyChallenge,
    PasswordReset,
    ProvingAttempt,
    SignIn,
    SignUp,
    TextCode,
    UsedAssertion,
)

log = structlog.get_logger("govplatform.identity.schedule")
REPLAYS_NOTICED_FOR = dt.timedelta(days=1)


async def purge_expired(uow: UnitOfWork, now: dt.datetime) -> int:
    """Delete what expired; returns how many rows went. The caller commits."""
    gone = 0
    for table, kept_until in (
        (UsedAssertion, now),
        (SignIn, now),
        (SignUp, now),
        (CitizenSession, now),  # idle past its limit (which never passes the absolute one): ended
        (EmailChange, now),
        (TextCode, now),
        (PasswordReset, now),  # a used, expired or superseded link is refused as unknown once gone
        (FactorRecovery, now),  # kept SET_UP_DAYS past its wait, so a cancel link used again is recognised
        (PasskeyChallenge, now),
        (ProvingAttempt, now),  # what was typed goes with it; the outcomes (no personal data) stay
        (AuthorisationCode, now - REPLAYS_NOTICED_FOR),
        (AccessToken, now - REPLAYS_NOTICED_FOR),
    ):
        result = await uow.session.execute(delete(table).where(table.expires_at <= kept_until))
        gone += int(getattr(result, "rowcount", 0) or 0)
    return gone


@dataclasses.dataclass
class IdentitySchedule:
    identity: IdentityComponent
    interval_seconds: float = 60.0

    async def run_once(self, now: dt.datetime | None = None) -> None:
        async with self.identity.uow() as uow:
            gone = await purge_expired(uow, now or utcnow())
            await uow.commit()
        if gone:
            log.info("identity.housekeeping", expired_rows_deleted=gone)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception as error:  # the loop must outlive a database outage
                log.warning("identity.schedule_failed", error=type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval_seconds)
