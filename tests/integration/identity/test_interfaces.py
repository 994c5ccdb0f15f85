"""identity/interfaces.py in-process, as forms and the exchange will call it: the signed-in citizen of a request,
with their verified claims and level, or None without a live session; what a citizen proved, by their session
or by their account id; and a document check from above identity registered through it."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
from fastapi import Request

from govplatform.app import build_app
from govplatform.core.platform import Platform
from govplatform.identity.interfaces import (
    Claimant,
    DocumentCheck,
    DocumentClaim,
    DocumentKind,
    DocumentResult,
    DocumentStatus,
    ProvedIdentity,
    SignedInCitizen,
    add_document_check,
    proved_identity,
    proved_identity_of,
    signed_in_citizen,
)
from govplatform.identity.proofing.command import command_proof
from govplatform.identity.services import proven, sessions
from tests.integration.identity.support import (
    a_citizen,
    a_client,
    authorise_query,
    identity_of,
    sign_in_through_pages,
)

BORN = dt.date(1984, 5, 19)


def _request(platform: Platform, cookie: str | None) -> Request:
    app = build_app(platform.settings, platform)
    headers = [(b"cookie", f"{sessions.COOKIE}={cookie}".encode())] if cookie else []
    return Request({"type": "http", "app": app, "headers": headers, "method": "GET", "path": "/", "query_string": b""})


async def test_the_signed_in_citizen_is_known_from_the_session_with_their_claims_and_level(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    await sign_in_through_pages(client, authorise_query(rp), person)
    token = client.cookies.get(sessions.COOKIE)
    assert token
    found = await signed_in_citizen(_request(platform, token))
    assert found == SignedInCitizen(
        account_id=person.id, level="Cl.Cm", email=person.email, given_name="Sam", family_name=None, birth_date=None
    )
    assert await signed_in_citizen(_request(platform, None)) is None
    assert await signed_in_citizen(_request(platform, token[:-2] + "xx")) is None
    await client.get("/logout")
    assert await signed_in_citizen(_request(platform, token)) is None  # signed out: the cookie is worth nothing


async def _proved(platform: Platform, person_id: uuid.UUID, **documents: str) -> None:
    """A proof as `govplatform identity citizen create --level P2 --passport N` records one (the same code)."""
    proof = command_proof("P2", "Alys Mair", "Pennant", BORN, documents.get("passport"), documents.get("licence"))
    async with platform.uow() as uow:
        await proven.record(uow, identity_of(platform), person_id, proof)
        await uow.commit()


async def test_what_the_signed_in_citizen_proved_is_known_from_the_session_and_nothing_without_a_proof(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    rp, person = await a_client(platform), await a_citizen(platform)
    await sign_in_through_pages(client, authorise_query(rp), person)
    token = client.cookies.get(sessions.COOKIE)
    assert token
    assert await proved_identity(_request(platform, token)) is None  # signed in, nothing proved

    await _proved(platform, person.id, passport="530000101")
    assert await proved_identity(_request(platform, token)) == ProvedIdentity(
        account_id=person.id,
        level="P2",
        given_names="Alys Mair",
        family_name="Pennant",
        birth_date=BORN,
        passport_number="530000101",
        driving_licence_number=None,
    )
    assert await proved_identity(_request(platform, None)) is None
    await client.get("/logout")
    assert await proved_identity(_request(platform, token)) is None  # signed out: the proof is not this browser's


async def test_what_an_account_proved_is_read_on_the_server_by_its_id_until_the_proof_is_withdrawn(
    platform: Platform,
) -> None:
    identity = identity_of(platform)
    person, stranger = await a_citizen(platform), await a_citizen(platform)
    await _proved(platform, person.id, licence="PENNA805194AM9AB")
    found = await proved_identity_of(identity, person.id)
    assert found is not None and found.level == "P2" and found.birth_date == BORN
    assert (found.passport_number, found.driving_licence_number) == (None, "PENNA805194AM9AB")
    assert await proved_identity_of(_request(platform, None), person.id) == found  # from any request to the app
    assert await proved_identity_of(identity, stranger.id) is None
    assert await proved_identity_of(identity, uuid.uuid4()) is None
    async with platform.uow() as uow:
        await proven.forget(uow, person.id)
        await uow.commit()
    assert await proved_identity_of(identity, person.id) is None


class _CouncilRecords:
    """A document check from a component above identity, written against the interfaces alone."""

    name, source = "council-records", "Borsetshire Council"

    async def handles(self, kind: DocumentKind) -> bool:
        return kind is DocumentKind.UK_PHOTOCARD_DRIVING_LICENCE

    async def check(self, claimant: Claimant, claim: DocumentClaim) -> DocumentResult:
        return DocumentResult(claim.kind, DocumentStatus.NOT_FOUND, reads_record=True)


async def test_a_document_check_registered_through_the_interfaces_answers_for_the_documents_it_handles(
    platform: Platform,
) -> None:
    identity = identity_of(platform)
    council: DocumentCheck = _CouncilRecords()
    add_document_check(identity, council)
    assert await identity.checks.document_check(DocumentKind.UK_PHOTOCARD_DRIVING_LICENCE) is council
    passport_check = await identity.checks.document_check(DocumentKind.UK_PASSPORT)
    assert passport_check is not None and passport_check.name == "sandbox"  # the rest stay the sandbox's
