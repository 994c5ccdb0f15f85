"""What a signed-in citizen may do to their own account: change their password, delete the account.

Each asks for the current password, which goes through core's throttle per client address and per account
(CITIZEN_PASSWORD, as at sign-in), so a session left open on a shared computer cannot be used to guess it.
Changing the password ends the account's other sessions (someone who knew the old one is signed out
everywhere else). Deleting the account tells every service it was used with by back-channel logout (jobs
carrying the citizen's subject there, services/back_channel.py) and then deletes every row about the
citizen, in one transaction; the audit log records that an account was deleted, and nothing about whose.
"""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import delete, or_

from govplatform.core.interfaces import (
    N_,
    Actor,
    TooManyGuesses,
    UnitOfWork,
    UserFacingError,
    hash_password,
    record_audit,
    verify_password,
)
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import (
    AccessToken,
    AuthorisationCode,
    Citizen,
    CitizenSession,
    EmailChange,
    FactorRecovery,
    PasswordReset,
    SignIn,
)
from govplatform.identity.services import back_channel, history, passkeys, proven, service_uses, sessions, text_codes
from govplatform.identity.services.passwords import MAX_LENGTH, WeakPassword, check_new_password
from govplatform.identity.services.sign_in import CITIZEN_PASSWORD

MAX_PASSWORD_LENGTH = MAX_LENGTH  # a longer typed value is cut one past it, so it is still refused
WRONG_CURRENT = N_("Your current password is not correct")
CITIZEN = Actor("citizen", None, "Citizen")  # the audit log's actor: no name, no email, no account id


class AccountRefused(UserFacingError):
    """A change the citizen asked for was refused; the message says why, and nothing was changed."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _new_password_problem(password: str, email: str) -> str | None:
    """Why a new password may not be used (the same rules as creating an account: services/passwords.py), or None."""
    try:
        check_new_password(password, email=email)
    except WeakPassword as weak:
        return weak.template
    return None


async def _check_current(
    uow: UnitOfWork, identity: IdentityComponent, citizen: Citizen, password: str, ip: str | None
) -> None:
    """The current password, through the throttle; raises TooManyGuesses or AccountRefused (the caller commits,
    so a wrong guess is counted)."""
    attempt = await identity.throttle.attempt(uow, CITIZEN_PASSWORD, ip, citizen.email)
    if not password or not await asyncio.to_thread(verify_password, citizen.password_hash, password):
        raise AccountRefused(WRONG_CURRENT, "current-password")
    await identity.throttle.succeeded(uow, attempt)


async def change_password(
    uow: UnitOfWork,
    identity: IdentityComponent,
    citizen_id: uuid.UUID,
    current: str,
    new: str,
    keep_session: CitizenSession | None,
    ip: str | None,
) -> None:
    """Raises AccountRefused or TooManyGuesses. The caller commits in every case."""
    citizen = await uow.session.get(Citizen, citizen_id)
    if citizen is None:
        raise AccountRefused(WRONG_CURRENT, "current-password")
    if not current:
        raise AccountRefused(N_("Enter your current password"), "current-password")
    problem = _new_password_problem(new, citizen.email)
    if not new:
        problem = N_("Enter a new password")
    await _check_current(uow, identity, citizen, current, ip)
    if problem is not None:
        raise AccountRefused(problem, "new-password")
    citizen.password_hash = await asyncio.to_thread(hash_password, new)
    others = delete(CitizenSession).where(CitizenSession.citizen_id == citizen_id)
    if keep_session is not None:
        others = others.where(CitizenSession.token_hash != keep_session.token_hash)
    await uow.session.execute(others)
    history.record(uow, citizen_id, "password_changed")
    record_audit(uow, CITIZEN, "identity.citizen_password_changed", "citizen", citizen_id)


async def delete_account(
    uow: UnitOfWork, identity: IdentityComponent, citizen_id: uuid.UUID, password: str, ip: str | None
) -> int:
    """Tell the account's services, then delete it; how many services are told. Raises AccountRefused or
    TooManyGuesses. The caller commits in every case."""
    citizen = await uow.session.get(Citizen, citizen_id)
    if citizen is None:
        raise AccountRefused(WRONG_CURRENT, "password")
    if not password:
        raise AccountRefused(N_("Enter your password"), "password")
    try:
        await _check_current(uow, identity, citizen, password, ip)
    except AccountRefused:
        raise AccountRefused(N_("Your password is not correct"), "password") from None
    told = await back_channel.queue_account_deleted(uow, citizen)
    await uow.session.execute(delete(AccessToken).where(AccessToken.citizen_id == citizen_id))
    await uow.session.execute(delete(AuthorisationCode).where(AuthorisationCode.citizen_id == citizen_id))
    await uow.session.execute(delete(SignIn).where(or_(SignIn.citizen_id == citizen_id, SignIn.email == citizen.email)))
    await uow.session.execute(delete(EmailChange).where(EmailChange.citizen_id == citizen_id))
    await uow.session.execute(delete(PasswordReset).where(PasswordReset.citizen_id == citizen_id))
    await uow.session.execute(delete(FactorRecovery).where(FactorRecovery.citizen_id == citizen_id))
    await sessions.end_all(uow, citizen_id)
    await service_uses.forget(uow, citizen_id)
    await text_codes.forget(uow, citizen_id)
    await history.forget(uow, citizen_id)
    await proven.forget(uow, citizen_id)
    await passkeys.forget(uow, citizen_id)
    await uow.session.delete(citizen)
    record_audit(uow, CITIZEN, "identity.citizen_deleted", "citizen", citizen_id)
    return told


__all__ = ["AccountRefused", "TooManyGuesses", "change_password", "delete_account"]
