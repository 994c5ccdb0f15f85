"""Data-sharing agreements in the admin pages: each person sees the agreements their organisations are party to
and is offered only the changes their organisation roles allow; each change is confirmed first, made as that
person, and refused with a clear message when their role does not allow it. Someone with no role in either
party finds no such agreement."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
from sqlalchemy import select

from govplatform.core.models import AuditEvent
from govplatform.core.platform import Platform
from govplatform.core.services import org_roles
from govplatform.core.services.org_roles import OPERATOR
from govplatform.exchange.services import agreements
from govplatform.exchange.services.agreements import Terms
from tests.helpers import CLI, another_browser, csrf_from, ready_user, sign_in
from tests.integration.exchange.world import make_world

PAGE = "/admin/exchange/agreements"


async def _person(platform: Platform, client: httpx.AsyncClient, email: str, roles: list[tuple[uuid.UUID, str]]
                  ) -> httpx.AsyncClient:  # fmt: skip
    """A staff member holding these organisation roles, signed in in a browser of their own."""
    user_id, secret = await ready_user(platform, email)
    async with platform.uow() as uow:
        for organisation_id, role in roles:
            await org_roles.grant(uow, CLI, OPERATOR, organisation_id, user_id, role)
        await uow.commit()
    browser = another_browser(client)
    signed_in = await sign_in(browser, email, secret)
    assert signed_in.status_code == 303, signed_in.text
    return browser


async def _draft(platform: Platform) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    world = await make_world(platform)
    terms = Terms(
        consumer_id=world.council, dataset_id=world.dataset, fields=["make"], purpose="blue-badge-enforcement",
        basis="public-task", description="Checking the vehicles parked in blue badge bays", retention="A year",
        security="Encrypted", review_on=dt.date(2099, 1, 1),
    )  # fmt: skip
    async with platform.uow() as uow:
        made = await agreements.draft(uow, CLI, platform.components["exchange"].log, terms)
        await uow.commit()
    return made.id, world.council, world.agency


async def _change(browser: httpx.AsyncClient, agreement_id: uuid.UUID, action: str) -> httpx.Response:
    confirm = await browser.get(f"{PAGE}/{agreement_id}/{action}")
    assert confirm.status_code == 200, confirm.text
    return await browser.post(f"{PAGE}/{agreement_id}/{action}", data={"csrf_token": csrf_from(confirm.text)})


async def _state(platform: Platform, agreement_id: uuid.UUID) -> str:
    async with platform.uow(read_only=True) as uow:
        found = await agreements.find_agreement(uow, agreement_id)
    assert found is not None
    return found.state


async def test_each_party_s_people_take_an_agreement_through_its_life_as_their_roles_allow(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    agreement_id, council, agency = await _draft(platform)
    owner = await _person(platform, client, "owner2@agency.example.gov.uk", [(agency, "data-owner")])
    officer = await _person(platform, client, "cdo2@agency.example.gov.uk", [(agency, "chief-data-officer")])
    council_owner = await _person(platform, client, "owner@council.example.gov.uk", [(council, "data-owner")])

    listed = await owner.get(PAGE)
    assert listed.status_code == 200 and "Checking the vehicles parked in blue badge bays" in listed.text
    shown = await owner.get(f"{PAGE}/{agreement_id}")
    assert "Approve agreement" in shown.text and "Sign off agreement" not in shown.text
    assert "How it is kept secure" in shown.text and "Encrypted" in shown.text  # what the approver agrees to
    confirm = await owner.get(f"{PAGE}/{agreement_id}/approve")
    assert "Approve this data-sharing agreement?" in confirm.text
    assert "Vehicle Licensing Agency shares Vehicle make with Anytown Council." in confirm.text
    assert (await _change(owner, agreement_id, "approve")).status_code == 303
    assert await _state(platform, agreement_id) == "approved"

    # The data owner may not sign off: the page does not offer it, nor confirms it, and a post is refused as the
    # service decides. Approving again finds the agreement moved on.
    assert "Sign off agreement" not in (await owner.get(f"{PAGE}/{agreement_id}")).text
    assert (await owner.get(f"{PAGE}/{agreement_id}/sign-off")).headers["location"] == f"{PAGE}/{agreement_id}"
    page = await owner.get(f"{PAGE}/{agreement_id}")
    refused = await owner.post(f"{PAGE}/{agreement_id}/sign-off", data={"csrf_token": csrf_from(page.text)})
    assert refused.status_code == 403 and "does not hold a role that may make this change" in refused.text
    again = await owner.post(f"{PAGE}/{agreement_id}/approve", data={"csrf_token": csrf_from(page.text)})
    assert again.status_code == 409 and "this one is approved, waiting for sign-off" in again.text
    assert await _state(platform, agreement_id) == "approved"

    assert (await _change(officer, agreement_id, "sign-off")).status_code == 303
    assert await _state(platform, agreement_id) == "active"
    offered = (await council_owner.get(f"{PAGE}/{agreement_id}")).text
    assert "Suspend agreement" in offered and "Revoke agreement" in offered and "Resume agreement" not in offered
    assert (await _change(council_owner, agreement_id, "suspend")).status_code == 303
    assert "Resume agreement" not in (await council_owner.get(f"{PAGE}/{agreement_id}")).text  # the provider's CDO's
    assert (await _change(officer, agreement_id, "resume")).status_code == 303
    assert (await _change(council_owner, agreement_id, "revoke")).status_code == 303
    assert await _state(platform, agreement_id) == "revoked"
    assert "let you make no change" in (await officer.get(f"{PAGE}/{agreement_id}")).text

    async with platform.uow(read_only=True) as uow:
        events = list(await uow.session.scalars(
            select(AuditEvent.action).where(AuditEvent.target_id == str(agreement_id)).order_by(AuditEvent.id)
        ))  # fmt: skip
    assert events[-5:] == ["exchange.agreement_approved", "exchange.agreement_signed_off",
                           "exchange.agreement_suspended", "exchange.agreement_resumed",
                           "exchange.agreement_revoked"]  # fmt: skip


async def test_someone_with_no_role_in_either_party_finds_no_such_agreement(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    agreement_id, _, _ = await _draft(platform)
    outsider = await _person(platform, client, "someone@elsewhere.example.gov.uk", [])
    listed = await outsider.get(PAGE)
    assert listed.status_code == 200 and "None of your organisations is party to" in listed.text
    assert (await outsider.get(f"{PAGE}/{agreement_id}")).status_code == 404
    page = await outsider.get(PAGE)
    posted = await outsider.post(f"{PAGE}/{agreement_id}/revoke", data={"csrf_token": csrf_from(page.text)})
    assert posted.status_code == 404 and await _state(platform, agreement_id) == "draft"
    assert (await outsider.get(f"{PAGE}/{agreement_id}/delete")).status_code == 404
    assert (await outsider.get(f"{PAGE}/not-an-id")).status_code == 400  # the platform's page for a bad ID


async def test_an_anonymous_visitor_is_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    sent = await client.get(PAGE)
    assert sent.status_code in (302, 303) and "/sign-in" in sent.headers["location"]


async def test_the_consumer_s_people_draft_an_agreement_which_the_provider_then_approves(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    world = await make_world(platform)
    drafter = await _person(platform, client, "owner@council.example.gov.uk", [(world.council, "data-owner")])
    chooser = await drafter.get(f"{PAGE}/new")
    assert chooser.status_code == 200 and "Vehicle Licensing Agency: Vehicle keepers" in chooser.text
    unchosen = await drafter.post(f"{PAGE}/new", data={"csrf_token": csrf_from(chooser.text)})
    assert unchosen.status_code == 400 and "Select the dataset the agreement is for" in unchosen.text
    chosen = await drafter.post(
        f"{PAGE}/new", data={"dataset": str(world.dataset), "csrf_token": csrf_from(chooser.text)}
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == f"{PAGE}/new/{world.dataset}"
    form = await drafter.get(chosen.headers["location"])
    assert form.status_code == 200 and "Vehicle make" in form.text and "Anytown Council" in form.text
    assert "Vehicle Licensing Agency</option>" not in form.text  # no body drafts with itself

    terms = {"consumer": str(world.council), "fields": ["make", "colour"], "purpose": "blue-badge-bays",
             "description": "Checking vehicles in blue badge bays", "basis": "public-task", "retention": "A year",
             "security": "Encrypted", "review-day": "1", "review-month": "1", "review-year": "2099"}  # fmt: skip
    token = csrf_from(form.text)
    missing = await drafter.post(
        f"{PAGE}/new/{world.dataset}",
        data={"csrf_token": token, "review-day": "31", "review-month": "2", "review-year": "2099"},
    )
    assert missing.status_code == 400 and missing.text.count('class="govuk-error-summary"') == 1
    for said in (
        "Select the organisation that will ask for the data",
        "Select the fields the agreement lets it ask",
        "Enter the purpose",
        "Enter the lawful basis",
        "The review date must be a real date",
    ):
        assert said in missing.text, said
    refused = await drafter.post(
        f"{PAGE}/new/{world.dataset}", data={**terms, "purpose": "Blue Badges!", "csrf_token": token}
    )
    assert refused.status_code == 400 and "A purpose is a short code of lower-case letters" in refused.text
    assert 'href="#purpose"' in refused.text and 'id="purpose-error"' in refused.text  # said beside the field
    too_long = await drafter.post(f"{PAGE}/new/{world.dataset}", data={**terms, "purpose": "a" * 70,
                                                                      "csrf_token": token})  # fmt: skip
    assert too_long.status_code == 400 and "This is longer than 64 characters" in too_long.text
    assert 'value="Checking vehicles in blue badge bays"' not in refused.text  # a textarea keeps it as text
    assert "Checking vehicles in blue badge bays</textarea>" in refused.text

    tampered = await drafter.post(f"{PAGE}/new/{world.dataset}", data={**terms, "provider_role": "owner",
                                                                       "csrf_token": token})  # fmt: skip
    assert tampered.status_code == 400 and "Select the providing organisation" in tampered.text

    made = await drafter.post(f"{PAGE}/new/{world.dataset}", data={**terms, "provider_role": "processor",
                                                                   "csrf_token": token})  # fmt: skip
    assert made.status_code == 303, made.text
    agreement_id = uuid.UUID(made.headers["location"].rsplit("/", 1)[-1])
    assert await _state(platform, agreement_id) == "draft"
    async with platform.uow(read_only=True) as uow:
        drafted = await agreements.find_agreement(uow, agreement_id)
    assert drafted is not None and (drafted.consumer_role, drafted.provider_role) == ("controller", "processor")
    assert drafted.fields == ("make", "colour") and drafted.review_on == dt.date(2099, 1, 1)
    owner = await _person(platform, client, "owner3@agency.example.gov.uk", [(world.agency, "data-owner")])
    assert "Approve agreement" in (await owner.get(f"{PAGE}/{agreement_id}")).text


async def test_someone_with_no_organisation_role_cannot_draft(platform: Platform, client: httpx.AsyncClient) -> None:
    world = await make_world(platform)
    outsider = await _person(platform, client, "nobody@elsewhere.example.gov.uk", [])
    assert (await outsider.get(f"{PAGE}/new")).status_code == 403
    assert (await outsider.get(f"{PAGE}/new/{world.dataset}")).status_code == 403
