"""Agreements: drafted for the consumer, approved by the provider's data owner, signed off by its chief data
officer, suspended, resumed, revoked or expired; each change in the audit log and the transparency log, and
the approved ones on the public register in HTML, JSON and CSV, English and Welsh."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import select, update

from govplatform.app import register_components
from govplatform.core.interfaces import utcnow
from govplatform.core.models import AuditEvent
from govplatform.core.platform import Platform
from govplatform.exchange.component import ExchangeComponent
from govplatform.exchange.models import Agreement
from govplatform.exchange.services import agreements, datasets
from govplatform.exchange.services.agreements import AgreementError, Terms
from govplatform.transparency.models import PendingEntry
from tests.helpers import CLI
from tests.integration.exchange.support import organisation, role_holder
from tests.unit.exchange.test_datasets_schema import VEHICLES

NEXT_YEAR = utcnow().date() + dt.timedelta(days=365)
Step = Callable[..., Awaitable[agreements.AgreementView]]


def _exchange(platform: Platform) -> ExchangeComponent:
    register_components(platform)
    component: ExchangeComponent = platform.components["exchange"]
    return component


async def _parties(platform: Platform) -> dict[str, uuid.UUID]:
    council = await organisation(platform, "Anytown Council")
    agency = await organisation(platform, "Vehicle Licensing Agency")
    async with platform.uow() as uow:
        dataset = await datasets.declare(uow, CLI, agency, "Vehicle keepers", VEHICLES, ["driving-licence"])
        await uow.commit()
    await role_holder(platform, agency, "owner@agency.example.gov.uk", "data-owner")
    await role_holder(platform, agency, "cdo@agency.example.gov.uk", "chief-data-officer")
    await role_holder(platform, council, "cdo@anytown.example.gov.uk", "chief-data-officer")
    return {"council": council, "agency": agency, "dataset": dataset.id}


def _terms(parties: dict[str, uuid.UUID], **changes: object) -> Terms:
    values: dict[str, object] = {
        "consumer_id": parties["council"], "dataset_id": parties["dataset"],
        "fields": ["registration", "make", "colour"],
        "purpose": "resident-parking-permits", "basis": "public-task",
        "description": "=HYPERLINK(\"http://evil\") Checking a resident's vehicle for a parking permit",
        "retention": "Until the permit ends, then 1 year", "security": "Encrypted at rest; staff need MFA",
        "review_on": NEXT_YEAR, "expires_on": NEXT_YEAR + dt.timedelta(days=365),
    }  # fmt: skip
    values.update(changes)
    return Terms(**values)  # type: ignore[arg-type]


async def _draft(platform: Platform, terms: Terms) -> agreements.AgreementView:
    async with platform.uow() as uow:
        made = await agreements.draft(uow, CLI, _exchange(platform).log, terms)
        await uow.commit()
    return made


async def _step(platform: Platform, step: Step, agreement_id: uuid.UUID, email: str) -> agreements.AgreementView:
    async with platform.uow() as uow:
        changed = await step(uow, _exchange(platform).log, agreement_id, email)
        await uow.commit()
    return changed


async def test_an_agreement_is_drafted_approved_and_signed_off_by_the_providers_roles_and_logged_each_time(
    platform: Platform,
) -> None:
    parties = await _parties(platform)
    made = await _draft(platform, _terms(parties))
    assert made.state == "draft" and made.provider.id == parties["agency"]
    assert made.data_items == ("vehicle-registration", "vehicle-make", "vehicle-colour")
    with pytest.raises(AgreementError, match="does not hold a role"):
        await _step(
            platform, agreements.approve, made.id, "cdo@anytown.example.gov.uk"
        )  # the consumer's, not the provider's
    with pytest.raises(AgreementError, match="Only an approved"):
        await _step(platform, agreements.sign_off, made.id, "cdo@agency.example.gov.uk")
    approved = await _step(platform, agreements.approve, made.id, "Owner@Agency.example.gov.uk")
    assert approved.state == "approved" and approved.approved_at is not None
    with pytest.raises(AgreementError, match="does not hold a role"):
        await _step(platform, agreements.sign_off, made.id, "owner@agency.example.gov.uk")
    active = await _step(platform, agreements.sign_off, made.id, "cdo@agency.example.gov.uk")
    assert active.state == "active"

    async with platform.uow(read_only=True) as uow:
        audit = list(await uow.session.execute(
            select(AuditEvent.action, AuditEvent.actor_label).where(AuditEvent.action.like("exchange.agreement%"))
            .order_by(AuditEvent.id)
        ))  # fmt: skip
        logged = [
            json.loads(row.data) for row in await uow.session.scalars(select(PendingEntry).order_by(PendingEntry.id))
        ]
    assert [tuple(row) for row in audit] == [
        ("exchange.agreement_drafted", "test"),
        ("exchange.agreement_approved", "owner@agency.example.gov.uk"),
        ("exchange.agreement_signed_off", "cdo@agency.example.gov.uk"),
    ]
    assert [(e["type"], e["action"], e["state"], e["by"]) for e in logged] == [
        ("agreement", "drafted", "draft", "operator"),
        ("agreement", "approved", "approved", "data-owner"),
        ("agreement", "signed-off", "active", "chief-data-officer"),
    ]
    assert logged[-1]["what"] == ["vehicle-colour", "vehicle-make", "vehicle-registration"]
    assert "owner@" not in json.dumps(logged)  # the public log names roles, never people


async def test_either_partys_officers_suspend_or_revoke_and_only_the_providers_chief_data_officer_resumes(
    platform: Platform,
) -> None:
    parties = await _parties(platform)
    made = await _draft(platform, _terms(parties))
    with pytest.raises(AgreementError, match="Only an active"):
        await _step(platform, agreements.suspend, made.id, "cdo@anytown.example.gov.uk")
    await _step(platform, agreements.approve, made.id, "owner@agency.example.gov.uk")
    await _step(platform, agreements.sign_off, made.id, "cdo@agency.example.gov.uk")
    suspended = await _step(platform, agreements.suspend, made.id, "cdo@anytown.example.gov.uk")
    assert suspended.state == "suspended"
    with pytest.raises(AgreementError, match="does not hold a role"):
        await _step(platform, agreements.resume, made.id, "cdo@anytown.example.gov.uk")
    assert (await _step(platform, agreements.resume, made.id, "cdo@agency.example.gov.uk")).state == "active"
    assert (await _step(platform, agreements.revoke, made.id, "owner@agency.example.gov.uk")).state == "revoked"
    for step in (agreements.revoke, agreements.resume, agreements.suspend, agreements.approve):
        with pytest.raises(AgreementError):
            await _step(platform, step, made.id, "cdo@agency.example.gov.uk")


async def test_an_agreement_past_its_expiry_date_is_expired_wherever_it_is_read(platform: Platform) -> None:
    parties = await _parties(platform)
    made = await _draft(platform, _terms(parties))
    await _step(platform, agreements.approve, made.id, "owner@agency.example.gov.uk")
    await _step(platform, agreements.sign_off, made.id, "cdo@agency.example.gov.uk")
    async with platform.uow() as uow:
        yesterday = utcnow().date() - dt.timedelta(days=1)
        await uow.session.execute(update(Agreement).where(Agreement.id == made.id).values(expires_on=yesterday))
        await uow.commit()
    async with platform.uow(read_only=True) as uow:
        found = await agreements.find_agreement(uow, made.id)
    assert found is not None and found.state == "expired"
    with pytest.raises(AgreementError, match="Only an active"):
        await _step(platform, agreements.suspend, made.id, "cdo@agency.example.gov.uk")


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"fields": ["registration", "vin"]}, "no field vin"),
        ({"fields": []}, "at least one"),
        ({"purpose": "Parking Permits!"}, "short code"),
        ({"basis": "legitimate-interests"}, "lawful basis"),
        ({"basis": "dea-part5-ch7"}, "lawful basis"),
        ({"consumer_role": "owner"}, "controller, joint-controller or processor"),
        ({"fields": ["registration", "blue_badge"]}, "Article 9"),
        ({"expires_on": utcnow().date()}, "expiry date is in the future"),
        ({"dataset_id": uuid.uuid4()}, "no dataset"),
        ({"consumer_id": uuid.uuid4()}, "no organisation"),
        ({"retention": "x" * 2001}, "characters or fewer"),
        ({"description": "x" * 501}, "500 characters or fewer"),  # it is the log entry's purpose, 500 at most
    ],
)
async def test_an_agreement_that_cannot_hold_is_refused_at_drafting(
    platform: Platform, changes: dict[str, object], problem: str
) -> None:
    parties = await _parties(platform)
    with pytest.raises(AgreementError, match=problem):
        await _draft(platform, _terms(parties, **changes))


async def test_a_provider_cannot_agree_with_itself_and_approval_needs_retention_security_and_review(
    platform: Platform,
) -> None:
    parties = await _parties(platform)
    with pytest.raises(AgreementError, match="its own dataset"):
        await _draft(platform, _terms(parties, consumer_id=parties["agency"]))
    made = await _draft(platform, _terms(parties, retention=None, review_on=None))
    with pytest.raises(AgreementError, match="retention, its security and a review date"):
        await _step(platform, agreements.approve, made.id, "owner@agency.example.gov.uk")


async def test_the_public_register_lists_approved_agreements_in_html_json_and_csv_in_english_and_welsh(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    parties = await _parties(platform)
    hidden = await _draft(platform, _terms(parties, purpose="draft-only"))
    made = await _draft(platform, _terms(parties, basis="dea-part5-ch1"))
    await _step(platform, agreements.approve, made.id, "owner@agency.example.gov.uk")
    await _step(platform, agreements.sign_off, made.id, "cdo@agency.example.gov.uk")

    page = await client.get("/exchange/register")
    assert page.status_code == 200 and "Register of data-sharing agreements" in page.text
    assert "Vehicle Licensing Agency" in page.text and "Vehicle make" in page.text and "draft-only" not in page.text
    assert "Digital Economy Act 2017, Part 5, Chapter 1 (public service delivery)" in page.text
    welsh = await client.get("/exchange/register?lang=cy")
    assert "Cofrestr o gytundebau rhannu data" in welsh.text and "Gwneuthuriad cerbyd" in welsh.text
    assert "Deddf yr Economi Ddigidol 2017" in welsh.text and NEXT_YEAR.strftime("%B") not in welsh.text

    listed = (await client.get("/exchange/register.json")).json()["agreements"]
    assert [entry["id"] for entry in listed] == [str(made.id)] and str(hidden.id) not in json.dumps(listed)
    assert listed[0]["state"] == "active" and listed[0]["basis"] == "dea-part5-ch1"
    assert listed[0]["data_items"] == ["vehicle-registration", "vehicle-make", "vehicle-colour"]

    exported = await client.get("/exchange/register.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Agreement ID", "State", "Consumer"] and rows[1][0] == str(made.id)
    assert rows[1][8].startswith("'=HYPERLINK")  # a formula typed into the purpose is shown as text
