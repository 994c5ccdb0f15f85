"""Staff sign-in: password then TOTP, lockout after repeated failures, expiring sessions.

A session is a random token in a cookie and its keyed hash in the table, so a
copy of the database cannot be replayed as cookies. Sessions expire after a
period of inactivity and after an absolute lifetime (OWASP ASVS V3.3). The
token is replaced when the second factor succeeds, so a token seen before
sign-in is worth nothing afterwards (session fixation, ASVS V3.2.1).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import uuid
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from govplatform.core.crypto import FieldCipher, keyed_hash, random_token
from govplatform.core.interfaces import N_, Actor, UserFacingError
from govplatform.core.models import StaffSession, StaffUser, utcnow
from govplatform.core.services import audit
from govplatform.core.services.staff import accept_totp, find_by_email, password_hasher
from govplatform.core.unit_of_work import UnitOfWork

# Verifying against this when the email is unknown keeps the timing the same.
_DUMMY_HASH = password_hasher.hash("not a real password, used for timing")


@dataclasses.dataclass(frozen=True)
class SessionPolicy:
    hash_secret: str
    idle: dt.timedelta
    absolute: dt.timedelta
    max_failures: int
    lockout: dt.timedelta


SESSION_TIMED_OUT = N_("Your sign-in has timed out. Sign in again.")


class SignInError(UserFacingError):
    """Sign-in failed; the message is safe to show and does not say which part was wrong."""


class LockedOut(SignInError):
    pass


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


def _check_not_locked(user: StaffUser, policy: SessionPolicy) -> None:
    if user.locked_until is not None and user.locked_until > utcnow():
        minutes = int(policy.lockout.total_seconds() // 60)
        raise LockedOut(
            N_("You have tried to sign in too many times. Wait %(minutes)s minutes, then try again."), minutes=minutes
        )


def _failed(uow: UnitOfWork, user: StaffUser, policy: SessionPolicy, ip: str | None, stage: str) -> None:
    user.failed_logins += 1
    detail: dict[str, Any] = {"stage": stage, "failures": user.failed_logins}
    if user.failed_logins >= policy.max_failures:
        user.locked_until = utcnow() + policy.lockout
        user.failed_logins = 0
        detail["locked"] = True
    audit.record(uow, Actor("staff", str(user.id), user.email, ip), "sign_in.failed", "staff_user", user.id, **detail)


async def check_password(uow: UnitOfWork, policy: SessionPolicy, email: str, password: str, ip: str | None) -> str:
    """First factor. Returns a half-signed-in session token; the caller commits either way."""
    user = await find_by_email(uow, email)
    if user is None or user.password_hash is None or user.setup_completed_at is None:
        with contextlib.suppress(VerificationError):
            password_hasher.verify(_DUMMY_HASH, password)
        raise SignInError(N_("Enter a correct email address and password"))
    _check_not_locked(user, policy)
    try:
        password_hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        _failed(uow, user, policy, ip, "password")
        raise SignInError(N_("Enter a correct email address and password")) from None
    return await _new_session(uow, policy, None, user.id)


async def check_code(
    uow: UnitOfWork, policy: SessionPolicy, cipher: FieldCipher, pending_token: str, code: str, ip: str | None
) -> str:
    """Second factor. Replaces the half session with a full one and returns its token."""
    pending = await _live_session(uow, policy, pending_token)
    if pending is None or pending.pending_user_id is None:
        raise SignInError(SESSION_TIMED_OUT)
    user = await uow.session.get(StaffUser, pending.pending_user_id)
    if user is None:
        raise SignInError(SESSION_TIMED_OUT)
    _check_not_locked(user, policy)
    step = accept_totp(cipher, user, code)
    if step is None:
        _failed(uow, user, policy, ip, "code")
        raise SignInError(N_("Enter the 6-digit code your authenticator app shows now"))
    user.totp_last_step = step
    user.failed_logins = 0
    user.locked_until = None
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
