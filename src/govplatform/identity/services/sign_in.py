"""A citizen's sign-in for an authorisation request: email, then password, then an authenticator-app code,
then the citizen's session at the provider (services/sessions.py) and an authorisation code for the relying
party in it.

The browser holds a random token in a cookie and the row holds its keyed hash, so a copy of the table cannot
be replayed as cookies. The email step never looks the address up: whether it has an account shows nowhere,
not in the pages, not in the time taken (an unknown email is verified against a dummy argon2 hash), not in
the throttle (it counts the email typed, known or not). Passwords and codes go through core's throttle per
client address and per account. One Login's lifetimes: a sign-in lasts an hour, a code 300 seconds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import uuid

from sqlalchemy import delete

from govplatform.core.interfaces import (
    N_,
    BackOff,
    Guessing,
    UnitOfWork,
    UserFacingError,
    keyed_hash,
    random_token,
    rehashed_password,
    totp_step,
    utcnow,
    verify_password,
)
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import AuthorisationCode, Citizen, SignIn
from govplatform.identity.profile import VOCAB
from govplatform.identity.proofing import journey
from govplatform.identity.proofing.gpg45 import covers
from govplatform.identity.services import factors, history, proven, recovery_wait, service_uses, sessions
from govplatform.identity.services.authorisation import AuthorisationRequest
from govplatform.identity.services.citizens import find_by_email
from govplatform.identity.services.tokens import code_hash

SIGN_IN_SECONDS = 3600
CODE_SECONDS = 300
# Core's back-offs for staff (core/services/throttle.py), for citizens: an address slows down after ten
# failures, an account gently after twenty passwords (so no one can lock another out), firmly after five codes.
_ADDRESS = BackOff(free=10, first_wait=1.0, longest_wait=15 * 60.0, forgive_every=10 * 60.0)
CITIZEN_PASSWORD = Guessing(
    "identity.password", _ADDRESS, BackOff(free=20, first_wait=1.0, longest_wait=60.0, forgive_every=5 * 60.0)
)
CITIZEN_CODE = Guessing(
    "identity.code", _ADDRESS, BackOff(free=5, first_wait=1.0, longest_wait=15 * 60.0, forgive_every=10 * 60.0)
)
WRONG_PASSWORD = N_("Enter the correct email address and password")
WRONG_CODE = N_("The code you entered is not correct, or may have expired, try again")


class LevelNotReached(Exception):
    """The service asked for an identity level (P1, P2) the citizen has not proved: One Login answers the
    service `access_denied`."""


class SignInFailed(UserFacingError):
    """A wrong password or code; the message does not say whether the email has an account."""


def _hash(identity: IdentityComponent, token: str) -> str:
    return keyed_hash(identity.hash_secret, token, "identity-sign-in")


async def start(
    uow: UnitOfWork, identity: IdentityComponent, request: AuthorisationRequest, email: str | None = None
) -> str:
    """A sign-in for a checked request; returns the cookie's token. `email` is known when a signed-in citizen
    proves their factors again (the password page is the first). The caller commits."""
    token = random_token(32)
    now = utcnow()
    await uow.session.execute(delete(SignIn).where(SignIn.expires_at <= now))
    uow.session.add(
        SignIn(
            token_hash=_hash(identity, token),
            request=request.as_json(),
            email=email,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=SIGN_IN_SECONDS),
        )
    )
    return token


async def find(uow: UnitOfWork, identity: IdentityComponent, token: str | None) -> SignIn | None:
    if not token or len(token) > 100:
        return None
    row = await uow.session.get(SignIn, _hash(identity, token))
    if row is None or row.expires_at <= utcnow():
        return None
    return row


async def end(uow: UnitOfWork, identity: IdentityComponent, token: str | None) -> None:
    """Signing out: the sign-in this browser holds ends, wherever it had got to. The caller commits."""
    row = await find(uow, identity, token)
    if row is not None:
        row.expires_at = utcnow()


def request_of(row: SignIn) -> AuthorisationRequest:
    return AuthorisationRequest(**row.request)


async def check_password(
    uow: UnitOfWork, identity: IdentityComponent, row: SignIn, password: str, ip: str | None
) -> None:
    """First factor. Raises TooManyGuesses (before anything is checked) or SignInFailed; the caller commits."""
    email = (row.email or "").strip().lower()
    attempt = await identity.throttle.attempt(uow, CITIZEN_PASSWORD, ip, email)
    citizen = await find_by_email(uow, email)
    stored = citizen.password_hash if citizen is not None else None
    if citizen is None or not await asyncio.to_thread(verify_password, stored, password):
        raise SignInFailed(WRONG_PASSWORD)
    await identity.throttle.succeeded(uow, attempt)
    if stored is not None and (again := await asyncio.to_thread(rehashed_password, stored, password)) is not None:
        citizen.password_hash = again  # made at an older cost: today's from now on
    row.citizen_id = citizen.id


async def check_code(uow: UnitOfWork, identity: IdentityComponent, row: SignIn, code: str, ip: str | None) -> uuid.UUID:
    """Second factor; returns the citizen's id (`finish` then ends the sign-in).

    Raises TooManyGuesses or SignInFailed; the caller commits either way.
    """
    citizen = await uow.session.get(Citizen, row.citizen_id) if row.citizen_id else None
    if citizen is None or citizen.totp_secret_encrypted is None:
        raise SignInFailed(WRONG_CODE)
    attempt = await identity.throttle.attempt(uow, CITIZEN_CODE, ip, str(citizen.id))
    encrypted = citizen.totp_secret_encrypted
    step = totp_step(lambda: identity.box.decrypt_text(encrypted, str(citizen.id)), code, citizen.totp_last_step)
    if step is None:
        history.record(uow, citizen.id, "refused_second_factor", factor=factors.APP)
        raise SignInFailed(WRONG_CODE)
    await identity.throttle.succeeded(uow, attempt)
    citizen.totp_last_step = step
    return citizen.id


@dataclasses.dataclass(frozen=True)
class Finished:
    """A finished sign-in: the session's new cookie, and the code for the service (None when the sign-in was
    for the platform's own pages, whose `request.return_to` says where to go)."""

    session_token: str
    code: str | None
    request: AuthorisationRequest
    prove: bool = False  # the service asked for an identity not yet proved: the citizen goes on to prove it


async def finish(
    uow: UnitOfWork,
    identity: IdentityComponent,
    row: SignIn,
    credential: str,
    previous_session: str | None,
    user_agent: str | None = None,
) -> Finished:
    """The sign-in is over: the citizen's session opens (or replaces the browser's; the User-Agent names its
    device), and the service gets a code in that session. The sign-in ends (its cookie is worth nothing after).
    The caller commits."""
    assert row.citizen_id is not None
    token, session = await sessions.open_session(
        uow, identity, row.citizen_id, credential, previous_session, user_agent
    )
    history.record(uow, row.citizen_id, "signed_in", **sessions.device_detail(session))
    if credential == "Cl.Cm":  # the second factor was proven: it is not lost (services/recovery_wait.py)
        await recovery_wait.cancel_after_sign_in(uow, identity, row.citizen_id)
    request = request_of(row)
    row.expires_at = utcnow()  # ended: `find` no longer returns it, and the next sign-in's start deletes it
    if request.return_to is not None:
        return Finished(token, None, request)
    try:
        code = await code_for(uow, identity, request, row.citizen_id, session.sid, session.auth_time)
    except LevelNotReached:  # as One Login sends them on to prove their identity (proofing/journey.py)
        await journey.begin(uow, row.citizen_id, str(request.level), request.as_json())
        return Finished(token, None, request, prove=True)
    return Finished(token, code, request)


async def code_for(
    uow: UnitOfWork,
    identity: IdentityComponent,
    request: AuthorisationRequest,
    citizen_id: uuid.UUID,
    sid: str,
    auth_time: dt.datetime,
    return_code: str | None = None,
) -> str:
    """An authorisation code for a checked request in the citizen's session, and the service's use recorded.
    Raises LevelNotReached when the request asks for an identity level the citizen has not proved, unless a
    `return_code` is given: then the code carries it instead of an identity (for a service that asked for return
    codes, proofing/journey.py). The caller commits."""
    if return_code is not None and VOCAB + "returnCode" not in request.claims:
        raise LevelNotReached(request.level)  # the service did not ask for return codes: access_denied
    needs_level = return_code is None and request.level is not None
    if needs_level and not covers(await proven.level_of(uow, citizen_id), str(request.level)):
        raise LevelNotReached(request.level)
    code_value = random_token(32)
    now = utcnow()
    uow.session.add(
        AuthorisationCode(
            code_hash=code_hash(identity, code_value),
            client_id=request.client_id,
            citizen_id=citizen_id,
            redirect_uri=request.redirect_uri,
            scopes=request.scopes,
            claims=request.claims,
            nonce=request.nonce,
            credential=request.credential,
            level=request.level,
            return_code=return_code,
            code_challenge=request.code_challenge,
            sid=sid,
            auth_time=auth_time,
            expires_at=now + dt.timedelta(seconds=CODE_SECONDS),
        )
    )
    await service_uses.record(uow, citizen_id, request.client_id, now)
    return code_value


async def issue_code(
    uow: UnitOfWork, identity: IdentityComponent, row: SignIn, citizen_id: uuid.UUID
) -> tuple[str, AuthorisationRequest]:
    """A code for a sign-in in a session of its own, with no cookie: for tests and tools that need a code
    without the pages (their own tests cover them). The sign-in ends."""
    request = request_of(row)
    row.expires_at = utcnow()
    code = await code_for(uow, identity, request, citizen_id, str(uuid.uuid4()), utcnow())
    return code, request
