"""The document check runs outside any transaction (journey.check_document), so two things can happen while it
runs: the same details page submitted again (a double click), which must not ask the source twice or count two
tries, and the attempt moving on in another tab (another route chosen), which must not have the check's outcome
applied to it. Each unit of work has a connection of its own here, as in a real server."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from govplatform.core.platform import Platform
from govplatform.identity.interfaces import (
    Claimant,
    DocumentClaim,
    DocumentKind,
    DocumentResult,
    DocumentStatus,
    add_document_check,
)
from govplatform.identity.models import ProvingOutcome
from govplatform.transparency.models import PendingEntry
from tests.helpers import csrf_from
from tests.integration.identity.support import a_citizen, identity_of
from tests.integration.identity.test_proving_journey import BRYN, _post, _to_proving


class SlowLicences:
    """A licence check that answers only when told to, counting what it is asked."""

    name = "slow-records"
    source = "A slow licence register"

    def __init__(self) -> None:
        self.asked = 0
        self.release = asyncio.Event()

    async def handles(self, kind: DocumentKind) -> bool:
        return kind is DocumentKind.UK_PHOTOCARD_DRIVING_LICENCE

    async def check(self, claimant: Claimant, claim: DocumentClaim) -> DocumentResult:
        self.asked += 1
        await self.release.wait()
        return DocumentResult(claim.kind, DocumentStatus.VALID, reads_record=True)


async def _at_details(platform: Platform, client: httpx.AsyncClient) -> tuple[SlowLicences, str]:
    check = SlowLicences()
    add_document_check(identity_of(platform), check)
    await _to_proving(platform, client, await a_citizen(platform), '["Cl.Cm.P2"]')
    await _post(client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_photocard_driving_licence"})
    page = await client.get("/identity/prove/details")
    return check, csrf_from(page.text)


async def _count(platform: Platform, model: type, *where: object) -> int:
    async with platform.uow(read_only=True) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _until_asked(check: SlowLicences, times: int = 1) -> None:
    for _ in range(200):
        if check.asked >= times:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the check was never asked")


async def test_details_submitted_twice_ask_the_source_once_and_both_end_where_the_first_led(
    own_platform: Platform, own_client: httpx.AsyncClient
) -> None:
    check, token = await _at_details(own_platform, own_client)
    form = {**BRYN, "csrf_token": token}
    first = asyncio.create_task(own_client.post("/identity/prove/details", data=form))
    await _until_asked(check)
    second = asyncio.create_task(own_client.post("/identity/prove/details", data=form))
    await asyncio.sleep(0.5)  # the second waits for the first's check instead of asking again
    assert check.asked == 1 and not second.done()
    check.release.set()
    answered = await asyncio.gather(first, second)
    assert answered[0].headers["location"] == "/identity/prove/questions", answered[0].text
    assert answered[1].headers["location"] == "/identity/prove"
    assert (await own_client.get("/identity/prove")).headers["location"] == "/identity/prove/questions"
    assert check.asked == 1
    assert await _count(own_platform, ProvingOutcome, ProvingOutcome.step == "document") == 1


async def test_a_check_that_returns_after_the_attempt_moved_on_is_not_applied_but_its_read_is_logged(
    own_platform: Platform, own_client: httpx.AsyncClient
) -> None:
    check, token = await _at_details(own_platform, own_client)
    first = asyncio.create_task(own_client.post("/identity/prove/details", data={**BRYN, "csrf_token": token}))
    await _until_asked(check)
    logged_before = await _count(own_platform, PendingEntry)
    # Meanwhile, in another tab, the passport route is chosen instead.
    changed = await _post(own_client, "/identity/prove/route", "/identity/prove/route", {"route": "uk_passport"})
    assert changed.headers["location"] == "/identity/prove/details"
    check.release.set()
    answered = await first
    assert answered.headers["location"] == "/identity/prove", answered.text
    assert await _count(own_platform, ProvingOutcome, ProvingOutcome.step == "document") == 0
    assert await _count(own_platform, PendingEntry) == logged_before + 1  # the licence record was read
    shown = await own_client.get("/identity/prove/details")
    assert shown.status_code == 200 and "passport" in shown.text.lower()
