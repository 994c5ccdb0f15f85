"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0, as One Login sends it).

When a citizen signs out at /logout with a valid ID token hint, every other relying party they signed in to
in the same sign-in session gets a `logout_token`, form-POSTed to its `back_channel_logout_uri` by a job
(tasks.py) through core's outbound guard, retried with the job system's backoff. The provider keeps no single
sign-on session across services (each sign-in asks for the password again), so "the session" is the
citizen's sign-ins whose tokens were issued within the last `SESSION_SECONDS` (a sign-in's lifetime): the
services that may still hold a session for them. Without a hint the citizen is unknown and nothing is sent.

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
from sqlalchemy import select

from govplatform.core.interfaces import UnitOfWork, enqueue_job, random_token, utcnow
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import AuthorisationCode, RelyingParty
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
    since = utcnow() - dt.timedelta(seconds=SESSION_SECONDS)
    others = await uow.session.scalars(
        select(RelyingParty.client_id)
        .join(AuthorisationCode, AuthorisationCode.client_id == RelyingParty.client_id)
        .where(
            AuthorisationCode.citizen_id == signed_in,
            AuthorisationCode.used_at.is_not(None),
            AuthorisationCode.auth_time >= since,
            RelyingParty.client_id != hint.client_id,
            RelyingParty.back_channel_logout_uri.is_not(None),
            RelyingParty.active.is_(True),
        )
        .distinct()
    )
    queued = 0
    for client_id in sorted(others):
        payload = {"client_id": client_id, "citizen_id": str(signed_in)}
        await enqueue_job(uow, LOGOUT_TASK, payload, max_attempts=ATTEMPTS)
        queued += 1
    return queued


async def logout_token(identity: IdentityComponent, client: RelyingParty, citizen_id: uuid.UUID, salt: str) -> str:
    """The signed logout token for one client."""
    ring = await identity.signing_keys.ring()
    now = int(utcnow().timestamp())
    claims: dict[str, Any] = {
        "iss": identity.issuer,
        "sub": pairwise_subject(client.sector, citizen_id, salt),
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
