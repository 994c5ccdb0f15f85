"""What a higher component (a form's last step) sees of pay (pay/interfaces.py's JourneyPayments).

A payment made through the interface is the service's own: the Pay API shows it to the account's key
(and to no other), its admin pages list it and its webhooks are sent for it. The payer is sent to its
next_url and pays on the hosted pages with the sandbox's cards; the journey then learns the outcome by
reading the payment, and a double submit of one journey step gets the first payment back.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

import httpx
import pytest
from sqlalchemy import func, select

from govplatform.core.platform import Platform
from govplatform.pay.interfaces import (
    Account,
    JourneyPayments,
    PaymentNotFound,
    PaymentRefused,
    PaymentRequest,
    PaymentStatus,
)
from govplatform.pay.models import Payment
from govplatform.pay.services import settings as pay_settings
from govplatform.pay.services import webhooks
from govplatform.pay.services.checkout import Checkout
from tests.integration.notify.receiver import callback_receiver
from tests.integration.pay.admin_support import pay_path, signed_in_member
from tests.integration.pay.pages_support import pay_on_the_pages
from tests.integration.pay.support import bearer, pay_key, pay_of, pay_service, payment_body, run_queued
from tests.outbound_support import use_guard

PLATFORM_URL = "https://platform.example.gov.uk"
PERMIT = PaymentRequest(
    amount=4250,
    reference="PERMIT-2024-0042",
    description="Resident parking permit",
    return_to="/forms/parking-permit/paid",
    metadata={"form": "parking-permit", "submission": 42},
    email="ada@example.org",
    cardholder_name="Ada Lovelace",
)


def journeys(platform: Platform) -> JourneyPayments:
    pay_of(platform)  # registers the components
    found: JourneyPayments = platform.components["pay.journeys"]
    return found


def on_https(platform: Platform) -> Checkout:
    """Pay's implementation on a platform served over https, as live payments need."""
    return Checkout(dataclasses.replace(pay_of(platform), base_url=PLATFORM_URL))


async def payments_of(platform: Platform, service_id: uuid.UUID) -> int:
    async with platform.uow(read_only=True) as uow:
        return int(await uow.session.scalar(select(func.count()).where(Payment.service_id == service_id)) or 0)


async def test_a_journey_s_payment_is_the_service_s_own_in_the_api_and_no_other_account_sees_it(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    other_service = await pay_service(platform, "Bins")
    started = await journeys(platform).create_payment(Account(service_id, live=False), "submission-42:pay", PERMIT)
    payment_id = started.payment.payment_id
    assert started.payment.status is PaymentStatus.CREATED and not started.replayed
    base_url = pay_of(platform).base_url
    assert started.next_url is not None and started.next_url.startswith(f"{base_url}/secure/")

    shown = await client.get(f"/v1/payments/{payment_id}", headers=bearer(await pay_key(platform, service_id)))
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["amount"] == 4250 and body["reference"] == "PERMIT-2024-0042"
    assert body["description"] == "Resident parking permit" and body["language"] == "en"
    assert body["return_url"] == f"{base_url}/forms/parking-permit/paid"
    assert body["metadata"] == {"form": "parking-permit", "submission": 42}
    assert body["email"] == "ada@example.org" and body["card_details"] == {"cardholder_name": "Ada Lovelace"}
    assert body["state"] == {"status": "created", "finished": False} and body["payment_provider"] == "sandbox"
    assert "next_url" in body["_links"]
    for key in (await pay_key(platform, service_id, "live"), await pay_key(platform, other_service)):
        refused = await client.get(f"/v1/payments/{payment_id}", headers=bearer(key))
        assert refused.status_code == 404 and refused.json()["code"] == "P0200"
    with pytest.raises(PaymentNotFound):
        await journeys(platform).outcome(Account(other_service, live=False), payment_id)
    with pytest.raises(PaymentNotFound):
        await journeys(platform).outcome(Account(service_id, live=True), payment_id)


async def test_the_payer_pays_with_the_sandbox_card_on_the_hosted_pages_and_the_journey_learns_it_succeeded(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    account = Account(service_id, live=False)
    started = await journeys(platform).create_payment(account, "submission-43:pay", PERMIT)
    assert started.next_url is not None
    payment_id = started.payment.payment_id
    back = await pay_on_the_pages(client, started.next_url, payment_id, "4444333322221111")
    assert back.status_code == 303
    assert back.headers["location"] == f"{pay_of(platform).base_url}/forms/parking-permit/paid"
    outcome = await journeys(platform).outcome(account, payment_id)
    assert outcome.paid and outcome.status is PaymentStatus.SUCCESS and outcome.finished
    assert (outcome.code, outcome.message) == (None, None)
    assert (outcome.card_brand, outcome.last_digits) == ("Visa", "1111")
    assert (outcome.payment_id, outcome.reference, outcome.amount) == (payment_id, "PERMIT-2024-0042", 4250)
    assert await journeys(platform).next_url(account, payment_id) is None, "a finished payment has no way in"
    api = await client.get(f"/v1/payments/{payment_id}", headers=bearer(await pay_key(platform, service_id)))
    assert api.json()["state"] == {"status": "success", "finished": True}
    assert api.json()["card_details"]["last_digits_card_number"] == "1111"


async def test_a_declined_card_is_reported_as_failed_with_pay_s_code(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    account = Account(await pay_service(platform), live=False)
    started = await journeys(platform).create_payment(account, "submission-44:pay", PERMIT)
    assert started.next_url is not None
    back = await pay_on_the_pages(client, started.next_url, started.payment.payment_id, "4000000000000002")
    assert back.status_code == 303 and back.headers["location"].endswith("/forms/parking-permit/paid")
    outcome = await journeys(platform).outcome(account, started.payment.payment_id)
    assert outcome.status is PaymentStatus.FAILED and outcome.finished and not outcome.paid
    assert (outcome.code, outcome.message) == ("P0010", "Payment method rejected")


async def test_coming_back_before_paying_counts_as_the_payer_cancelling(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    account = Account(await pay_service(platform), live=False)
    started = await journeys(platform).create_payment(account, "submission-45:pay", PERMIT)
    assert started.next_url is not None
    opened = await client.get("/secure/" + started.next_url.rsplit("/", 1)[1])
    assert opened.status_code == 303
    back = await client.get(f"/return/{started.payment.payment_id}")
    assert back.status_code == 303 and back.headers["location"].endswith("/forms/parking-permit/paid")
    outcome = await journeys(platform).outcome(account, started.payment.payment_id)
    assert (outcome.status, outcome.code) == (PaymentStatus.FAILED, "P0030")


async def test_a_double_submit_of_one_journey_step_gets_the_first_payment_back(platform: Platform) -> None:
    service_id = await pay_service(platform)
    account = Account(service_id, live=False)
    first = await journeys(platform).create_payment(account, "submission-46:pay", PERMIT)
    again = await journeys(platform).create_payment(account, "submission-46:pay", PERMIT)
    assert again.replayed and again.payment.payment_id == first.payment.payment_id
    assert again.next_url is not None and again.next_url != first.next_url, "a fresh single-use token"
    assert await payments_of(platform, service_id) == 1
    with pytest.raises(PaymentRefused) as changed:
        await journeys(platform).create_payment(account, "submission-46:pay", dataclasses.replace(PERMIT, amount=5000))
    assert changed.value.code == "P0191" and changed.value.field == "journey_key"
    assert "journey step has already made a payment" in changed.value.description
    other_step = await journeys(platform).create_payment(account, "submission-46:pay:2", PERMIT)
    assert other_step.payment.payment_id != first.payment.payment_id and not other_step.replayed
    live = await on_https(platform).create_payment(Account(service_id, live=True), "submission-46:pay", PERMIT)
    assert live.payment.payment_id != first.payment.payment_id, "each account keeps its own journey keys"
    assert await payments_of(platform, service_id) == 3


async def test_submits_of_one_journey_step_at_the_same_moment_make_one_payment(own_platform: Platform) -> None:
    service_id = await pay_service(own_platform)
    account = Account(service_id, live=False)
    answers = await asyncio.gather(
        *(journeys(own_platform).create_payment(account, "submission-53:pay", PERMIT) for _ in range(6))
    )
    assert len({answer.payment.payment_id for answer in answers}) == 1
    assert sorted(answer.replayed for answer in answers) == [False] + [True] * 5
    assert await payments_of(own_platform, service_id) == 1


async def test_an_api_client_s_idempotency_key_never_meets_a_journey_s_key(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    journey = await journeys(platform).create_payment(Account(service_id, live=False), "same-words", PERMIT)
    key = await pay_key(platform, service_id)
    created = await client.post(
        "/v1/payments", json=payment_body(), headers={**bearer(key), "Idempotency-Key": "same-words"}
    )
    assert created.status_code == 201 and created.json()["payment_id"] != journey.payment.payment_id


@pytest.mark.parametrize(
    ("change", "code", "field", "words"),
    [
        ({"amount": 0}, "P0102", "amount", "Must be greater than or equal to 1"),
        ({"amount": -100}, "P0102", "amount", "Must be greater than or equal to 1"),
        ({"amount": 10_000_001}, "P0102", "amount", "Must be less than or equal to 10000000"),
        ({"amount": 12.5}, "P0102", "amount", "Must be a valid numeric format"),
        ({"reference": ""}, "P0101", "reference", "Missing mandatory attribute: reference"),
        ({"reference": "R" * 256}, "P0102", "reference", "Must be less than or equal to 255 characters length"),
        ({"reference": "<script>"}, "P0102", "reference", "Must be a valid string format"),
        ({"reference": "4444333322221111"}, "P0105", None, "Card number entered in a payment link reference"),
        ({"description": "Permit\x00"}, "P0102", "description", "NUL"),
        ({"language": "fr"}, "P0102", "language", 'Must be "en" or "cy"'),
        ({"metadata": {"k" * 31: "v"}}, "P0102", "metadata", "Keys must be between 1 and 30 characters long"),
        ({"return_to": "https://evil.example/paid"}, "P0102", "return_url", "Must be a path inside the platform"),
        ({"return_to": "//evil.example/paid"}, "P0102", "return_url", "Must be a path inside the platform"),
        ({"return_to": "/\\evil.example/paid"}, "P0102", "return_url", "Must be a path inside the platform"),
        ({"return_to": "javascript:alert(1)"}, "P0102", "return_url", "Must be a path inside the platform"),
        ({"return_to": "paid"}, "P0102", "return_url", "Must be a path inside the platform"),
        ({"return_to": ""}, "P0102", "return_url", "Must be a path inside the platform"),
        ({"return_to": "/paid\r\nLocation: https://evil.example"}, "P0102", "return_url", "inside the platform"),
    ],
)
async def test_a_request_pay_refuses_is_a_typed_error_with_pay_s_code_and_nothing_is_made(
    platform: Platform, change: dict[str, object], code: str, field: str | None, words: str
) -> None:
    service_id = await pay_service(platform)
    request = dataclasses.replace(PERMIT, **change)  # type: ignore[arg-type]
    with pytest.raises(PaymentRefused) as refused:
        await journeys(platform).create_payment(Account(service_id, live=False), "submission-47:pay", request)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert words in refused.value.description
    assert await payments_of(platform, service_id) == 0


async def test_a_return_url_under_the_platform_s_base_url_is_taken_as_it_is(platform: Platform) -> None:
    account = Account(await pay_service(platform), live=False)
    base_url = pay_of(platform).base_url
    request = dataclasses.replace(PERMIT, return_to=f"{base_url}/forms/parking-permit/paid?step=2")
    started = await journeys(platform).create_payment(account, "submission-48:pay", request)
    async with platform.uow(read_only=True) as uow:
        stored = await uow.session.get(Payment, started.payment.payment_id)
    assert stored is not None and stored.return_url == f"{base_url}/forms/parking-permit/paid?step=2"
    # A URL that merely starts with the base URL's text may name another host.
    for elsewhere in (f"{PLATFORM_URL}.evil.example/paid", f"{PLATFORM_URL}@evil.example/paid"):
        with pytest.raises(PaymentRefused) as refused:
            await on_https(platform).create_payment(
                account, elsewhere, dataclasses.replace(PERMIT, return_to=elsewhere)
            )
        assert refused.value.field == "return_url" and "inside the platform" in refused.value.description


async def test_a_live_payment_returns_inside_the_platform_whatever_return_urls_the_service_pinned(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    async with platform.uow() as uow:
        await pay_settings.change(
            uow, service_id, name_en=None, name_cy=None, return_url_prefixes="https://parking.example.gov.uk/"
        )
        await uow.commit()
    platform_url = PLATFORM_URL
    started = await on_https(platform).create_payment(Account(service_id, live=True), "submission-49:pay", PERMIT)
    assert started.next_url is not None and started.next_url.startswith(f"{platform_url}/secure/")
    key = await pay_key(platform, service_id, "live")
    shown = (await client.get(f"/v1/payments/{started.payment.payment_id}", headers=bearer(key))).json()
    assert shown["return_url"] == f"{platform_url}/forms/parking-permit/paid"
    # The same URL sent by the service's own API key is outside its pinned prefixes, as before.
    body = payment_body(return_url=f"{platform_url}/forms/parking-permit/paid")
    refused = await client.post("/v1/payments", json=body, headers=bearer(key))
    assert refused.status_code == 422 and refused.json()["field"] == "return_url"


async def test_a_live_payment_on_a_platform_without_https_is_refused_as_pay_refuses_it(platform: Platform) -> None:
    service_id = await pay_service(platform)
    assert pay_of(platform).base_url.startswith("http://")
    with pytest.raises(PaymentRefused) as refused:
        await journeys(platform).create_payment(Account(service_id, live=True), "submission-50:pay", PERMIT)
    assert (refused.value.code, refused.value.field) == ("P0920", "return_url")
    assert await payments_of(platform, service_id) == 0


async def test_the_journey_cancels_an_unfinished_payment_and_cannot_cancel_it_twice(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    account = Account(service_id, live=False)
    started = await journeys(platform).create_payment(account, "submission-51:pay", PERMIT)
    payment_id = started.payment.payment_id
    cancelled = await journeys(platform).cancel(account, payment_id)
    assert cancelled.status is PaymentStatus.CANCELLED and cancelled.finished
    assert (cancelled.code, cancelled.message) == ("P0040", "Payment was cancelled by the service")
    with pytest.raises(PaymentRefused) as again:
        await journeys(platform).cancel(account, payment_id)
    assert again.value.code == "P0502" and not isinstance(again.value, PaymentNotFound)
    assert await journeys(platform).next_url(account, payment_id) is None
    api = await client.get(f"/v1/payments/{payment_id}", headers=bearer(await pay_key(platform, service_id)))
    assert api.json()["state"]["code"] == "P0040"
    with pytest.raises(PaymentNotFound):
        await journeys(platform).cancel(Account(service_id, live=True), payment_id)


@pytest.mark.parametrize("payment_id", ["", "nonexistent", "0" * 26, "A" * 26, "x\x00" * 13, "0" * 4000])
async def test_an_unknown_or_malformed_payment_id_is_not_found(platform: Platform, payment_id: str) -> None:
    account = Account(await pay_service(platform), live=False)
    with pytest.raises(PaymentNotFound):
        await journeys(platform).outcome(account, payment_id)
    with pytest.raises(PaymentNotFound):
        await journeys(platform).next_url(account, payment_id)
    with pytest.raises(PaymentNotFound):
        await journeys(platform).cancel(account, payment_id)


async def test_a_journey_s_payment_is_in_the_admin_pages_and_its_webhooks_are_sent(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    account = Account(service_id, live=False)
    use_guard(platform, allowed="127.0.0.1")
    with callback_receiver() as receiver:
        async with platform.uow() as uow:
            await webhooks.create_webhook(
                uow, pay_of(platform).box, service_id, False, receiver.url, ["card_payment_succeeded"]
            )
            await uow.commit()
        started = await journeys(platform).create_payment(account, "submission-52:pay", PERMIT)
        assert started.next_url is not None
        await pay_on_the_pages(client, started.next_url, started.payment.payment_id, "4444333322221111")
        assert await run_queued(platform, webhooks.SEND_TASK) == 1
        [sent] = receiver.received
    assert sent.body["event_type"] == "card_payment_succeeded"
    assert sent.body["resource_id"] == started.payment.payment_id
    assert sent.body["resource"]["reference"] == "PERMIT-2024-0042"
    await signed_in_member(platform, client, service_id, "viewer")
    listed = await client.get(f"{pay_path(service_id)}/payments")
    assert listed.status_code == 200 and "PERMIT-2024-0042" in listed.text
    page = await client.get(f"{pay_path(service_id)}/payments/{started.payment.payment_id}")
    assert page.status_code == 200
    assert "Payment PERMIT-2024-0042" in page.text and "Visa ending in 1111" in page.text
