"""A citizen's session at the provider: signed in once, every service's /authorize is answered at once.

The browser holds a random token in an HttpOnly, SameSite=Lax cookie and the row holds its keyed hash, so a
copy of the table cannot be replayed as cookies (as for sign-ins and codes, ADR 0017). A session has an
idle limit, moved on by each use, and an absolute one it never passes (docs/adr/0018-citizen-sessions.md):

- IDLE_SECONDS, 30 minutes: One Login's session is an hour idle, but its citizens are mostly on shared
  and public computers far less often than a council's are (libraries, advice centres); half an hour
  is the GOV.UK Design System's own "timeout warning" default, and someone coming back later signs in again.
- ABSOLUTE_SECONDS, 12 hours: a working day, so a session opened in the morning on a library computer
  is over by the evening however often it is used, and no stolen cookie lives longer.

Signing in again in the same browser (a higher level, `max_age`, `prompt=login`) replaces the session with a
new token (a token known before sign-in is worth nothing after: session fixation) but keeps its `sid`, so
the services of one session stay one session for back-channel logout.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import delete

from govplatform.core.interfaces import UnitOfWork, keyed_hash, random_token, utcnow
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import CitizenSession
from govplatform.identity.services.browsers import describe

COOKIE = "govplatform_identity_session"
IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 12 * 3600
TOUCH_AFTER_SECONDS = 60  # a use moves the limits on, and is recorded as the last use, at most once a minute
LEVELS = ("Cl", "Cl.Cm")  # lowest first: a session at a level serves a request at it or below


def _hash(identity: IdentityComponent, token: str) -> str:
    return keyed_hash(identity.hash_secret, token, "identity-session")


def covers(held: str, asked: str) -> bool:
    """Whether a session signed in at `held` may answer a request for `asked` without signing in again."""
    return held in LEVELS and asked in LEVELS and LEVELS.index(held) >= LEVELS.index(asked)


async def find(uow: UnitOfWork, identity: IdentityComponent, token: str | None) -> CitizenSession | None:
    """The browser's live session, or None (no cookie, a forged one, idle too long, past its absolute limit)."""
    if not token or len(token) > 100:
        return None
    row = await uow.session.get(CitizenSession, _hash(identity, token))
    now = utcnow()
    if row is None or row.expires_at <= now or row.ends_at <= now:
        return None
    return row


def touch(row: CitizenSession) -> None:
    """Used: its idle limit moves on, never past its absolute limit, and the use is its "last used" on the
    devices page. Within a minute of the last move nothing changes, so a page that reads the session on every
    request does not write it on every request. The caller commits."""
    now = utcnow()
    moved_on = min(now + dt.timedelta(seconds=IDLE_SECONDS), row.ends_at)
    if 0 <= (moved_on - row.expires_at).total_seconds() < TOUCH_AFTER_SECONDS:
        return
    row.expires_at = moved_on
    row.last_used_at = now


async def open_session(
    uow: UnitOfWork,
    identity: IdentityComponent,
    citizen_id: uuid.UUID,
    credential: str,
    previous: str | None,
    user_agent: str | None = None,
) -> tuple[str, CitizenSession]:
    """A session for a sign-in that has just finished; returns the cookie's token and the row. The browser's
    User-Agent header names the device on the devices page (services/browsers.py keeps two plain words of it).

    The browser's previous session, if it was the same citizen's, is replaced and its sid kept; a level once
    reached in it is kept too (signing in again at Cl after Cl.Cm proves no less than before, for this
    session's life). Another citizen's previous session simply ends. The caller commits.
    """
    now = utcnow()
    await uow.session.execute(delete(CitizenSession).where(CitizenSession.ends_at <= now))
    old = await find(uow, identity, previous)
    sid, ends_at = str(uuid.uuid4()), now + dt.timedelta(seconds=ABSOLUTE_SECONDS)
    if old is not None:
        if old.citizen_id == citizen_id:
            sid, ends_at = old.sid, old.ends_at
            credential = credential if covers(credential, old.credential) else old.credential
        await uow.session.delete(old)
    token = random_token(32)
    device = describe(user_agent)
    row = CitizenSession(
        token_hash=_hash(identity, token),
        citizen_id=citizen_id,
        credential=credential,
        sid=sid,
        auth_time=now,
        created_at=now,
        expires_at=min(now + dt.timedelta(seconds=IDLE_SECONDS), ends_at),
        ends_at=ends_at,
        browser=device.browser,
        operating_system=device.operating_system,
        last_used_at=now,
    )
    uow.session.add(row)
    return token, row


def device_detail(row: CitizenSession) -> dict[str, str]:
    """The session's device for a line of the account history (services/history.py): its plain names, where known."""
    named = {"browser": row.browser, "operating_system": row.operating_system}
    return {key: value for key, value in named.items() if value}


async def end(uow: UnitOfWork, identity: IdentityComponent, token: str | None) -> CitizenSession | None:
    """Signing out: the browser's session ends; returns it (for the services to tell) or None. The caller commits."""
    row = await find(uow, identity, token)
    if row is not None:
        await uow.session.delete(row)
    return row


async def end_all(uow: UnitOfWork, citizen_id: uuid.UUID) -> None:
    """Every session of a citizen ends (the account is deleted, the password changed). The caller commits."""
    await uow.session.execute(delete(CitizenSession).where(CitizenSession.citizen_id == citizen_id))
