"""What the components above identity (exchange, forms, account) may use of it, in-process: who is signed in,
what they proved (the level and the identity a check verified, for the exchange's citizen view and prefill), a
way to send a citizen to sign in, or to step up to a higher level, and come back; and the interfaces of the
identity checks, so the exchange can offer a document check that reads another public body's records, which the
composition root registers with `add_document_check` (identity imports nothing above it).

Everything else in identity is protected by an import contract (pyproject.toml), so a form never reads
identity's tables or its session cookie itself; it asks here, and identity alone decides what a session is
worth (services/sessions.py: its idle and absolute limits, its level).

    citizen = await signed_in_citizen(request)
    if citizen is None or not level_covers(citizen.level, "Cl.Cm"):
        return sign_in_redirect(request.url.path, "Cl.Cm")

`return_to` must be a path on this site ("/forms/parking/start"); anything else (another host, "//host",
a scheme) raises ValueError here, before a link is ever made, and is refused again where the sign-in
starts, so no page can become an open redirect.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse

from govplatform.core.interfaces import utcnow
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import Citizen
from govplatform.identity.proofing import journey
from govplatform.identity.proofing.checks import (
    Address,
    Claimant,
    DocumentCheck,
    DocumentClaim,
    DocumentKind,
    DocumentResult,
    DocumentStatus,
    FraudCheck,
    FraudIndicator,
    FraudResult,
    KnowledgeCheck,
    KnowledgeResult,
    Question,
    QuestionQuality,
)
from govplatform.identity.services import proven, sessions
from govplatform.identity.services.return_to import same_site_path

PROVING_SERVICE_ID = journey.PLATFORM_SERVICE_ID  # the platform's own service, which proofing's checks ask as
LEVELS = sessions.LEVELS  # Cl (a password), Cl.Cm (a password and a second factor): One Login's levels
START = "/identity/sign-in/start"
_TOUCH_AFTER_SECONDS = 60  # a session's idle limit is moved on at most once a minute: one write, not one a page


@dataclasses.dataclass(frozen=True)
class SignedInCitizen:
    """The citizen signed in in this browser, with what the provider holds as verified about them.

    `email` is verified (the account was made or changed with a code sent to it). The names and birth date are
    present only when the account holds them, and are what the account was made with, not a checked identity:
    what a check verified is `proved_identity`'s.
    """

    account_id: uuid.UUID
    level: str  # Cl or Cl.Cm
    email: str
    given_name: str | None
    family_name: str | None
    birth_date: dt.date | None


def level_covers(held: str, wanted: str) -> bool:
    """Whether a citizen signed in at `held` may see a page that needs `wanted`."""
    return sessions.covers(held, wanted)


async def signed_in_citizen(request: Request) -> SignedInCitizen | None:
    """The citizen whose live session this browser holds, or None. Using it counts as activity (the idle limit
    moves on)."""
    identity: IdentityComponent = request.app.state.identity
    async with identity.uow() as uow:
        session = await sessions.find(uow, identity, request.cookies.get(sessions.COOKIE))
        if session is None:
            return None
        citizen = await uow.session.get(Citizen, session.citizen_id)
        if citizen is None:
            return None
        signed_in = SignedInCitizen(
            account_id=citizen.id,
            level=session.credential,
            email=citizen.email,
            given_name=citizen.given_name,
            family_name=citizen.family_name,
            birth_date=citizen.birth_date,
        )
        left = (session.expires_at - utcnow()).total_seconds()
        if left < sessions.IDLE_SECONDS - _TOUCH_AFTER_SECONDS and session.expires_at < session.ends_at:
            sessions.touch(session)
            await uow.commit()
    return signed_in


@dataclasses.dataclass(frozen=True)
class ProvedIdentity:
    """What a citizen proved to a level of confidence (P1 or P2, GPG 45 as One Login maps it): the name and
    birth date a check verified, and the numbers of the documents that proved them (each bound to this account
    alone). Unlike `SignedInCitizen`'s names, which the citizen typed, these were checked."""

    account_id: uuid.UUID
    level: str  # P1 or P2
    given_names: str
    family_name: str
    birth_date: dt.date
    passport_number: str | None
    driving_licence_number: str | None


async def proved_identity(request: Request) -> ProvedIdentity | None:
    """What the citizen signed in in this browser proved; None when no one is signed in or nothing is proved."""
    citizen = await signed_in_citizen(request)
    if citizen is None:
        return None
    return await proved_identity_of(request, citizen.account_id)


async def proved_identity_of(source: IdentityComponent | Request, account_id: uuid.UUID) -> ProvedIdentity | None:
    """What an account proved, for work done on the server with no browser (an exchange answering a query);
    None when it proved nothing. `source` is the identity component, or any request to this app. Read from the
    proof on each call, so a proof withdrawn or replaced is never answered from an old copy."""
    identity: IdentityComponent = source.app.state.identity if isinstance(source, Request) else source
    async with identity.uow(read_only=True) as uow:
        proved = await proven.find(uow, identity, account_id)
    if proved is None:
        return None
    return ProvedIdentity(
        account_id=account_id,
        level=proved.level,
        given_names=proved.given_names,
        family_name=proved.family_name,
        birth_date=proved.birth_date,
        passport_number=proved.passport["documentNumber"] if proved.passport else None,
        driving_licence_number=proved.driving_permit["personalNumber"] if proved.driving_permit else None,
    )


def add_document_check(identity: IdentityComponent, check: DocumentCheck) -> None:
    """Register a document check (the composition root does, at start-up): it is asked first for the kinds of
    document it `handles`; the sandbox answers for the rest. It reports facts; identity scores them."""
    identity.checks.add_document_check(check)


def sign_in_url(return_to: str, level: str = "Cl.Cm", *, fresh: bool = False) -> str:
    """Where to send a citizen to sign in (or step up) at `level` and come back to `return_to`, a path on this
    site. Raises ValueError for anything else, or an unknown level.

    `fresh` asks for the factors again even when the session already holds the level (a change to the
    account's security needs them proven just now): the citizen's password page, then their second factor."""
    path = same_site_path(return_to)
    if path is None:
        raise ValueError("return_to must be a path on this site")
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}")
    return START + "?" + urlencode({"return_to": path, "level": level, **({"fresh": "1"} if fresh else {})})


def sign_in_redirect(return_to: str, level: str = "Cl.Cm", *, fresh: bool = False) -> RedirectResponse:
    """`sign_in_url` as the response a page returns (303: the next request is a GET)."""
    return RedirectResponse(sign_in_url(return_to, level, fresh=fresh), status_code=303)


__all__ = [
    "LEVELS",
    "PROVING_SERVICE_ID",
    "Address",
    "Claimant",
    "DocumentCheck",
    "DocumentClaim",
    "DocumentKind",
    "DocumentResult",
    "DocumentStatus",
    "FraudCheck",
    "FraudIndicator",
    "FraudResult",
    "KnowledgeCheck",
    "KnowledgeResult",
    "ProvedIdentity",
    "Question",
    "QuestionQuality",
    "SignedInCitizen",
    "add_document_check",
    "level_covers",
    "proved_identity",
    "proved_identity_of",
    "sign_in_redirect",
    "sign_in_url",
    "signed_in_citizen",
]
