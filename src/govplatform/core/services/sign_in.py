"""Staff sign-in: password then TOTP, guessing slowed down by core's throttle, expiring sessions.

A session is a random token in a cookie and its keyed hash in the table, so a
copy of the database cannot be replayed as cookies. Sessions expire after a
period of inactivity and after an absolute lifetime (OWASP ASVS V3.3). The
token is replaced when the second factor succeeds, so a token seen before
sign-in is worth nothing afterwards (session fixation, ASVS V3.2.1).

Both factors go through the throttle (services/throttle.py): an attempt is
counted against the client's address and the account before it is checked,
and refused unchecked while either must wait. A known and an unknown email
are treated alike: the same tallies, the same messages, and an argon2 verify
(against a dummy hash for an unknown email) either way, run in a thread so
that the event loop goes on serving other requests meanwhile.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid

from sqlalchemy import delete, select

from govplatform.core.crypto import FieldCipher, keyed_hash, random_token
from govplatform.core.interfaces import N_, Actor, UserFacingError
from govplatform.core.models import StaffSession, StaffUser, utcnow
from govplatform.core.services import audit
from govplatform.core.services.passwords import rehashed, verify_password
from govplatform.core.services.staff import accept_totp, find_by_email
from govplatform.core.services.throttle import STAFF_CODE, STAFF_PASSWORD, Throttle
from govplatform.core.unit_of_work import UnitOfWork


@dataclasses.dataclass(frozen=True)
class SessionPolicy:
    hash_secret: str
    idle: dt.timedelta
    absolute: dt.timedelta


SESSION_TIMED_OUT = N_("Your sign-in has timed out. Sign in again.")


class SignInError(UserFacingError):
    """Sign-in failed; the message is safe to show and does not say which part was wrong."""


def _token_hash(policy: SessionPolicy, token: str) -> str:
    return keyed_hash(policy.hash_secret, token, "staff-session")


async def _new_session(
    uow: UnitOfWork, policy: SessionPolicy, user_id: uuid.UUID | None, pending: uuid.UUID | None
) -> str:
    token = random_token(32)
    now = utcnow()
    uow.session.add(
        StaffSession(
            token_hash=_token_hash(policy, token),
            user_id=user_id,
            pending_user_id=pending,
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.absolute,
        )
    )
    return token


def _failed(uow: UnitOfWork, user: StaffUser, ip: str | None, stage: str) -> None:
    actor = Actor("staff", str(user.id), user.email, ip)
    audit.record(uow, actor, "sign_in.failed", "staff_user", user.id, stage=stage)


async def check_password(
    uow: UnitOfWork, policy: SessionPolicy, throttle: Throttle, email: str, password: str, ip: str | None
) -> str:
    """First factor. Returns a half-signed-in session token; the caller commits either way.

    Raises TooManyGuesses (before looking anything up) while the address or the email must wait.
    """
    attempt = await throttle.attempt(uow, STAFF_PASSWORD, ip, email.strip().lower())
    user = await find_by_email(uow, email)
    # A user who has not finished setting up cannot sign in: treated as an unknown email.
    stored = user.password_hash if user is not None and user.setup_completed_at is not None else None
    right = await asyncio.to_thread(verify_password, stored, password)
    if user is None or not right:
        if user is not None and stored is not None:
            _failed(uow, user, ip, "password")
        raise SignInError(N_("Enter a correct email address and password"))
    await throttle.succeeded(uow, attempt)
    if stored is not None and (again := await asyncio.to_thread(rehashed, stored, password)) is not None:
        user.password_hash = again  # made at an older cost: today's from now on
    return await _new_session(uow, policy, None, user.id)


async def check_code(
    uow: UnitOfWork,
    policy: SessionPolicy,
    throttle: Throttle,
    cipher: FieldCipher,
    pending_token: str,
    code: str,
    ip: str | None,
) -> str:
    """Second factor. Replaces the half session with a full one and returns its token.

    Raises TooManyGuesses (before the code is looked at) while the address or the account must wait.
    """
    pending = await _live_session(uow, policy, pending_token)
    if pending is None or pending.pending_user_id is None:
        raise SignInError(SESSION_TIMED_OUT)
    user = await uow.session.get(StaffUser, pending.pending_user_id)
    if user is None:
        raise SignInError(SESSION_TIMED_OUT)
    attempt = await throttle.attempt(uow, STAFF_CODE, ip, str(user.id))
    step = accept_totp(cipher, user, code)
    if step is None:
        _failed(uow, user, ip, "code")
        raise SignInError(N_("Enter the 6-digit code your authenticator app shows now"))
    await throttle.succeeded(uow, attempt)
    user.totp_last_step = step
    await uow.session.delete(pending)
    audit.record(uow, Actor("staff", str(user.id), user.email, ip), "sign_in.succeeded", "staff_user", user.id)
    return await _new_session(uow, policy, user.id, None)


async def _live_session(uow: UnitOfWork, policy: SessionPolicy, token: str) -> StaffSession | None:
    if not token or len(token) > 100:
        return None
    row = await uow.session.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(policy, token)))
    now = utcnow()
    if row is None:
        return None
    if row.expires_at <= now or row.last_seen_at + policy.idle <= now:
        await uow.session.delete(row)
        return None
    return row


async def current_user(uow: UnitOfWork, policy: SessionPolicy, token: str) -> StaffUser | None:
    """The signed-in user for a session token, sliding the idle timer; None if expired."""
    row = await _live_session(uow, policy, token)
    if row is None or row.user_id is None:
        return None
    now = utcnow()
    # Touch at most once a minute: a page view should not always be a write.
    if now - row.last_seen_at > dt.timedelta(minutes=1):
        row.last_seen_at = now
    return await uow.session.get(StaffUser, row.user_id)


async def sign_out(uow: UnitOfWork, policy: SessionPolicy, token: str, actor: Actor | None) -> None:
    await uow.session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(policy, token)))
    if actor is not None:
        audit.record(uow, actor, "sign_out", "staff_user", actor.id)


async def purge_expired_sessions(uow: UnitOfWork, policy: SessionPolicy) -> int:
    now = utcnow()
    result = await uow.session.execute(
        delete(StaffSession).where((StaffSession.expires_at <= now) | (StaffSession.last_seen_at <= now - policy.idle))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
