"""The citizen's signed-in devices: each live session of their account, named by its browser and operating system
(services/browsers.py), with when it was signed in and last used; signing one out, or every one.

A device is named on the page, and in the form that signs it out, by its session's `sid`, never by the row's key
(the keyed hash of the cookie's token, which is worth keeping to ourselves even though it cannot be turned back
into a cookie). Only the signed-in citizen's own sessions are ever looked at: a `sid` of another account's
session matches nothing, is refused as "no longer signed in", audited, and nothing changes.

Ending a session tells each service that was issued tokens in it by back-channel logout (One Login's logout token,
services/back_channel.py; one job per (client, sid), through core's queue). The token carries no `sid`, as One
Login's carries none, so a service signs the citizen out of every session it holds for them: a lost phone signed
out here is signed out at its services too, at the price of the same services on the citizen's other devices.
Each job carries the citizen's pairwise subject at that client, worked out now, and the `sid` that ended, which
is what makes one job per session and service, and what the queue shows if a job fails.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from sqlalchemy import ColumnElement, and_, delete, select

from govplatform.core.interfaces import N_, Actor, UnitOfWork, UserFacingError, enqueue_job, record_audit, utcnow
from govplatform.identity.models import AuthorisationCode, Citizen, CitizenSession, RelyingParty
from govplatform.identity.services import back_channel, history, sessions
from govplatform.identity.services.browsers import describe
from govplatform.identity.services.subjects import pairwise_subject

CITIZEN = Actor("citizen", None, "Citizen")  # the audit log's actor: no name, no email, no account id
NOT_SIGNED_IN = N_("That device is no longer signed in to your account")
MAX_SID = 64  # the column's width: a longer value cannot name a session


class DeviceNotSignedIn(UserFacingError):
    """The device asked for is not a live session of this account (signed out already, or never this account's)."""


@dataclasses.dataclass(frozen=True)
class Device:
    sid: str  # what the page's "Sign out" button sends back
    browser: str | None  # None: the page says "an unknown browser"
    operating_system: str | None
    signed_in_at: dt.datetime
    last_used_at: dt.datetime
    this_device: bool


def _live(citizen_id: uuid.UUID) -> ColumnElement[bool]:
    now = utcnow()
    return and_(CitizenSession.citizen_id == citizen_id, CitizenSession.expires_at > now, CitizenSession.ends_at > now)


async def signed_in(uow: UnitOfWork, citizen_id: uuid.UUID, current: CitizenSession) -> list[Device]:
    """The citizen's live sessions: this browser's first, then the most recently used."""
    rows = await uow.session.scalars(select(CitizenSession).where(_live(citizen_id)))
    devices = [
        Device(
            sid=row.sid,
            browser=row.browser,
            operating_system=row.operating_system,
            signed_in_at=row.auth_time,
            last_used_at=row.last_used_at or row.auth_time,  # a session opened before devices were recorded
            this_device=row.token_hash == current.token_hash,
        )
        for row in rows
    ]
    return sorted(devices, key=lambda device: (not device.this_device, -device.last_used_at.timestamp()))


async def _queue_logouts(uow: UnitOfWork, citizen: Citizen, sids: list[str]) -> int:
    """A logout token job for each (client, sid) among `sids` whose service was issued tokens and takes
    back-channel logout; how many. The caller commits."""
    if not sids:
        return 0
    pairs = await uow.session.execute(
        select(RelyingParty.client_id, RelyingParty.sector, AuthorisationCode.sid)
        .join(AuthorisationCode, AuthorisationCode.client_id == RelyingParty.client_id)
        .where(
            AuthorisationCode.citizen_id == citizen.id,
            AuthorisationCode.sid.in_(sids),
            AuthorisationCode.used_at.is_not(None),
            RelyingParty.back_channel_logout_uri.is_not(None),
            RelyingParty.active.is_(True),
        )
        .distinct()
        .order_by(AuthorisationCode.sid, RelyingParty.client_id)
    )
    queued = 0
    for client_id, sector, sid in pairs:
        subject = pairwise_subject(sector, citizen.id, citizen.subject_salt)
        payload = {"client_id": client_id, "subject": subject, "sid": sid}
        await enqueue_job(uow, back_channel.LOGOUT_TASK, payload, max_attempts=back_channel.ATTEMPTS)
        queued += 1
    return queued


async def sign_out(uow: UnitOfWork, citizen: Citizen, sid: str) -> CitizenSession:
    """End one of the citizen's live sessions (this browser's too, if asked) and tell its services; returns the
    ended session. Raises DeviceNotSignedIn when `sid` names no live session of theirs (audited; the caller
    commits either way)."""
    row = None
    if sid and len(sid) <= MAX_SID:
        row = await uow.session.scalar(select(CitizenSession).where(_live(citizen.id), CitizenSession.sid == sid))
    if row is None:
        record_audit(uow, CITIZEN, "identity.citizen_session_end_refused", "citizen", citizen.id)
        raise DeviceNotSignedIn(NOT_SIGNED_IN)
    await _queue_logouts(uow, citizen, [row.sid])
    await uow.session.delete(row)
    history.record(uow, citizen.id, "session_ended", **sessions.device_detail(row))
    record_audit(uow, CITIZEN, "identity.citizen_session_ended", "citizen", citizen.id)
    return row


async def sign_out_everywhere(uow: UnitOfWork, citizen: Citizen) -> int:
    """End every session of the account, this browser's included, and tell every service of each; how many
    logout tokens were queued. The caller commits."""
    rows = list(await uow.session.scalars(select(CitizenSession).where(CitizenSession.citizen_id == citizen.id)))
    queued = await _queue_logouts(uow, citizen, sorted({row.sid for row in rows}))
    await uow.session.execute(delete(CitizenSession).where(CitizenSession.citizen_id == citizen.id))
    history.record(uow, citizen.id, "signed_out_everywhere")
    record_audit(uow, CITIZEN, "identity.citizen_signed_out_everywhere", "citizen", citizen.id, services=queued)
    return queued


def name_unnamed(row: CitizenSession, user_agent: str | None) -> None:
    """A session opened without its device's names (before they were recorded, or by a sign-in path that does
    not pass the User-Agent on) takes them from the browser that holds it, when it shows the devices page.
    The caller commits."""
    if row.browser is None and row.operating_system is None:
        device = describe(user_agent)
        row.browser, row.operating_system = device.browser, device.operating_system
