"""Identity proofing through records (issue 18 item 8): the sandbox's test identity who proves with a driving
licence is proved against the demo agency's licences through the exchange, and the lookup is on his data-use
page; a licence whose details differ from the record fails at the document check; with the agreement
suspended, the licence goes back to the sandbox's check."""

from __future__ import annotations

import json
import uuid

import httpx
from sqlalchemy import select, update

from govplatform.core.interfaces import OrgRole
from govplatform.core.platform import Platform
from govplatform.exchange.models import Agreement
from govplatform.exchange.services import agreements
from govplatform.exchange.services import demo as exchange_demo
from govplatform.identity.interfaces import PROVING_SERVICE_ID
from govplatform.identity.models import ProvingOutcome
from govplatform.transparency.models import PendingEntry
from tests.helpers import CLI
from tests.integration.exchange.support import organisation, role_holder
from tests.integration.identity.support import Person, a_citizen, identity_of
from tests.integration.identity.test_proving_journey import BRYN, BRYN_ANSWERS, _entries, _post, _to_proving

OWNER, OFFICER = "owner@licences.example.gov.uk", "cdo@licences.example.gov.uk"


async def _licences(platform: Platform) -> uuid.UUID:
    """The demo agency's licences and identity proofing's agreement, seeded as `make run` seeds them."""
    agency = await organisation(platform, exchange_demo.AGENCY)
    await role_holder(platform, agency, OWNER, OrgRole.DATA_OWNER)
    await role_holder(platform, agency, OFFICER, OrgRole.CHIEF_DATA_OFFICER)
    exchange = platform.components["exchange"]
    async with platform.uow() as uow:
        proving = await identity_of(platform).directory.describe(uow, PROVING_SERVICE_ID)
        assert proving is not None
        _, agreement = await exchange_demo.seed_licences(
            uow, CLI, exchange.box, exchange.hash_secret, exchange.log, agency, proving.organisation_id, OWNER,
            OFFICER,
        )  # fmt: skip
        await uow.commit()
    return agreement.id


async def _document_outcome(platform: Platform) -> tuple[str, str]:
    async with platform.uow(read_only=True) as uow:
        row = (await uow.session.scalars(select(ProvingOutcome).where(ProvingOutcome.step == "document"))).one()
    return row.provider, row.detail


async def _pending_uses(platform: Platform) -> list[dict[str, object]]:
    async with platform.uow(read_only=True) as uow:
        return [json.loads(data) for data in await uow.session.scalars(select(PendingEntry.data))]


async def _bryn_proves(platform: Platform, client: httpx.AsyncClient) -> Person:
    bryn = await a_citizen(platform)
    await _to_proving(platform, client, bryn, '["Cl.Cm.P2"]')
    await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_photocard_driving_licence"})
    sent = await _post(client, "/identity/prove/details", "/identity/prove/details", BRYN)
    assert sent.headers["location"] == "/identity/prove/questions", sent.text
    await _post(client, "/identity/prove/questions", "/identity/prove/questions", BRYN_ANSWERS)
    assert "You have proved your identity" in (await client.get("/identity/prove/result")).text
    assert await _document_outcome(platform) == ("exchange-records", "valid")
    return bryn


async def test_bryn_is_proved_against_the_agencys_licence_record_and_sees_the_lookup(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    agreement_id = await _licences(platform)
    bryn = await _bryn_proves(platform, client)

    # The lookup is one exchange query, recorded about the licence and saying the platform asked for its
    # identity service; the journey records only the fraud and knowledge checks' reads against the account.
    lookups = [use for use in await _pending_uses(platform) if use.get("via")]
    assert len(lookups) == 1
    via = lookups[0]["via"]
    assert isinstance(via, dict) and via["agreement"] == str(agreement_id) and via["asked_by"] == "platform"
    assert len(await _entries(platform, bryn)) == 2

    # Proofing bound his licence to his account, so the lookup is on his data-use page.
    page = await client.get("/exchange/data-uses")
    assert page.status_code == 200
    assert exchange_demo.AGENCY in page.text and "Driving licence expiry date" in page.text
    assert "Checking a driving licence that a person gives to prove their identity" in page.text


async def test_with_a_connection_for_each_unit_of_work_the_lookup_does_not_wait_on_the_proving_request(
    own_platform: Platform, own_client: httpx.AsyncClient
) -> None:
    """As under `make run` (and SQLite's one writer at a time): the records check's query commits in a transaction
    of its own, which must not wait on one the proving request holds open."""
    await _licences(own_platform)
    await _bryn_proves(own_platform, own_client)


async def test_a_licence_whose_holder_is_someone_else_fails_at_the_document_check(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    await _licences(platform)
    person = await a_citizen(platform)
    await _to_proving(platform, client, person, '["Cl.Cm.P2"]')
    await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_photocard_driving_licence"})
    # The number's form holds for a Brian Howells born the same day; the agency's record is Bryn's.
    sent = await _post(client, "/identity/prove/details", "/identity/prove/details", {**BRYN, "given-names": "Brian"})
    assert sent.headers["location"] == "/identity/prove/result", sent.text
    assert "We could not prove your identity" in (await client.get("/identity/prove/result")).text
    assert await _document_outcome(platform) == ("exchange-records", "details_differ")


async def _sandbox_checks_bryn(platform: Platform, client: httpx.AsyncClient) -> None:
    """Bryn's licence details sent, and checked by the sandbox, not through the exchange."""
    bryn = await a_citizen(platform)
    await _to_proving(platform, client, bryn, '["Cl.Cm.P2"]')
    await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_photocard_driving_licence"})
    sent = await _post(client, "/identity/prove/details", "/identity/prove/details", BRYN)
    assert sent.headers["location"] == "/identity/prove/questions", sent.text
    assert await _document_outcome(platform) == ("sandbox", "valid")


async def test_an_agreement_on_consent_is_no_route_for_proofing_so_the_sandbox_checks_licences(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    agreement_id = await _licences(platform)
    async with platform.uow() as uow:  # as if drafted on consent: a person proving who they are gives none
        await uow.session.execute(update(Agreement).where(Agreement.id == agreement_id).values(basis="consent"))
        await uow.commit()
    platform.components["exchange"].cache.forget_everything()
    await _sandbox_checks_bryn(platform, client)


async def test_while_the_agreement_is_suspended_the_sandbox_checks_licences(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    agreement_id = await _licences(platform)
    async with platform.uow() as uow:
        await agreements.suspend(uow, platform.components["exchange"].log, agreement_id, OFFICER)
        await uow.commit()
    platform.components["exchange"].cache.forget_everything()
    await _sandbox_checks_bryn(platform, client)
    assert not [use for use in await _pending_uses(platform) if use.get("via")]  # no query was made
