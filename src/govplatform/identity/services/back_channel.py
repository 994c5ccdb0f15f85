"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0, as One Login sends it).

When a citizen signs out at /logout with a valid ID token hint, every other relying party they signed in to
in the same sign-in session gets a `logout_token`, form-POSTed to its `back_channel_logout_uri` by a job
(tasks.py) through core's outbound guard, retried with the job system's backoff. The provider keeps no single
"The session" is the citizen's session at the provider (its `sid`, services/sessions.py), and, as before
there were sessions, any sign-in whose tokens were issued within the last `SESSION_SECONDS`: the services
that may still hold a session for them. Without a hint, the browser's own session (its cookie) says who is
signing out; with neither the citizen is unknown and nothing is sent. Deleting an account tells every service
it was ever used with.

The token's claims are One Login's: iss, sub (the citizen's pairwise subject at that client), aud, iat,
exp (iat + 120), jti and the back-channel logout event; no sid. It is signed with the key and algorithm of
that client's ID tokens, so the client verifies it as it verifies them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlencode

from joserfc import jwt
from sqlalchemy import or_, select

from govplatform.core.interfaces import UnitOfWork, enqueue_job, random_token, utcnow
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import AuthorisationCode, Citizen, RelyingParty, ServiceUse
from govplatform.identity.services.logout import Hint
from govplatform.identity.services.sign_in import SIGN_IN_SECONDS
from govplatform.identity.services.subjects import pairwise_subject

LOGOUT_TASK = "identity.back_channel_logout"
EVENT = "http://schemas.openid.net/event/backchannel-logout"
SESSION_SECONDS = SIGN_IN_SECONDS
LOGOUT_TOKEN_SECONDS = 120
ATTEMPTS = 5
TIMEOUT_SECONDS = 5.0
FORM = "application/x-www-form-urlencoded"


async def queue_logouts(uow: UnitOfWork, hint: Hint) -> int:
    """Queue a logout token for each other client of the hint's sign-in session; how many. The caller commits."""
    if hint.sid is None:
        return 0
    signed_in = await uow.session.scalar(
        select(AuthorisationCode.citizen_id).where(
            AuthorisationCode.sid == hint.sid, AuthorisationCode.client_id == hint.client_id
        )
    )
    if signed_in is None:
        return 0
    return await queue_session_logouts(uow, signed_in, hint.sid, leaving=hint.client_id)


async def queue_session_logouts(uow: UnitOfWork, citizen_id: uuid.UUID, sid: str, leaving: str | None) -> int:
    """Queue a logout token for each client (but `leaving`, which knows) that the citizen signed in to in the
    session `sid`, or in the last SESSION_SECONDS; how many. The caller commits."""
    since = utcnow() - dt.timedelta(seconds=SESSION_SECONDS)
    query = (
        select(RelyingParty.client_id)
        .join(AuthorisationCode, AuthorisationCode.client_id == RelyingParty.client_id)
        .where(
            AuthorisationCode.citizen_id == citizen_id,
            AuthorisationCode.used_at.is_not(None),
            or_(AuthorisationCode.sid == sid, AuthorisationCode.auth_time >= since),
            RelyingParty.back_channel_logout_uri.is_not(None),
            RelyingParty.active.is_(True),
        )
        .distinct()
    )
    if leaving is not None:
        query = query.where(RelyingParty.client_id != leaving)
    queued = 0
    for client_id in sorted(await uow.session.scalars(query)):
        payload = {"client_id": client_id, "citizen_id": str(citizen_id)}
        await enqueue_job(uow, LOGOUT_TASK, payload, max_attempts=ATTEMPTS)
        queued += 1
    return queued


async def queue_account_deleted(uow: UnitOfWork, citizen: Citizen) -> int:
    """Queue a logout token for every service the account was ever used with (services/service_uses.py); how
    many. The account is deleted in the same transaction, so each job carries the citizen's pairwise subject
    at its client (computed now, while the salt exists), not a way to look the citizen up. The caller commits."""
    clients = await uow.session.scalars(
        select(RelyingParty)
        .join(ServiceUse, ServiceUse.client_id == RelyingParty.client_id)
        .where(
            ServiceUse.citizen_id == citizen.id,
            RelyingParty.back_channel_logout_uri.is_not(None),
            RelyingParty.active.is_(True),
        )
        .order_by(RelyingParty.client_id)
    )
    queued = 0
    for client in clients:
        subject = pairwise_subject(client.sector, citizen.id, citizen.subject_salt)
        await enqueue_job(uow, LOGOUT_TASK, {"client_id": client.client_id, "subject": subject}, max_attempts=ATTEMPTS)
        queued += 1
    return queued


async def logout_token(identity: IdentityComponent, client: RelyingParty, subject: str) -> str:
    """The signed logout token for one client, about the citizen's pairwise subject there."""
    ring = await identity.signing_keys.ring()
    now = int(utcnow().timestamp())
    claims: dict[str, Any] = {
        "iss": identity.issuer,
        "sub": subject,
        "aud": client.client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_SECONDS,
        "jti": random_token(24),
        "events": {EVENT: {}},
    }
    kid, key = ring.signers[client.id_token_alg]
    header = {"alg": client.id_token_alg, "kid": kid, "typ": "logout+jwt"}
    return jwt.encode(header, claims, key, algorithms=[client.id_token_alg])


def form_body(token: str) -> tuple[bytes, dict[str, str]]:
    return urlencode({"logout_token": token}).encode(), {"Content-Type": FORM}
