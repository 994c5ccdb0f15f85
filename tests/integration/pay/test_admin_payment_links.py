"""Payment links: staff make one in the admin pages, a citizen pays through it end to end, and what the link's
pages refuse (amounts out of range, card numbers as references, a link turned off)."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from govplatform.core.platform import Platform
from govplatform.pay.models import Payment, PaymentLink
from govplatform.pay.services import journey
from tests.helpers import csrf_from, post_form
from tests.integration.pay.admin_support import pay_path, signed_in_member
from tests.integration.pay.support import card, pay_of, pay_service


async def make_link(platform: Platform, client: httpx.AsyncClient, service_id: uuid.UUID, **fields: str) -> PaymentLink:
    base = pay_path(service_id)
    form = {
        "title": "Pay for a parking permit",
        "title_cy": "Talu am drwydded barcio",
        "details": "A resident permit lasts a year.\n\nYou need your permit number.",
        "amount_type": "fixed",
        "amount": "12.50",
        "reference_label": "Permit number",
        "language": "en",
        "account": "test",
        **fields,
    }
    made = await post_form(client, f"{base}/payment-links/new", f"{base}/payment-links/new", form)
    assert made.status_code == 303, made.text
    async with platform.uow(read_only=True) as uow:
        query = select(PaymentLink).where(PaymentLink.service_id == service_id).order_by(PaymentLink.created_at.desc())
        link = (await uow.session.scalars(query)).first()
    assert link is not None
    return link


async def pay_with_card(platform: Platform, location: str, number: str = "4242424242424242") -> Payment:
    pay = pay_of(platform)
    assert location.startswith(f"{pay.base_url}/secure/")
    opened = await journey.open_token(pay, location.rsplit("/", 1)[-1])
    assert opened is not None
    payment = await journey.submit_card(pay, opened.id, card(number))
    if payment.state == "SUBMITTED":
        payment = await journey.confirm(pay, payment.id)
    return payment


async def test_an_editor_makes_a_payment_link_and_a_citizen_pays_through_it_end_to_end(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform, "Parking permits")
    await signed_in_member(platform, client, service_id, "editor")
    link = await make_link(platform, client, service_id)
    assert link.slug == "pay-for-a-parking-permit" and link.amount == 1250 and not link.live
    listed = (await client.get(f"{pay_path(service_id)}/payment-links?created={link.slug}")).text
    address = f"{pay_of(platform).base_url}/pay/{link.slug}"
    assert f"Your payment link is ready at {address}" in listed and "£12.50" in listed
    second = await make_link(platform, client, service_id)
    assert second.slug == "pay-for-a-parking-permit-2", "the same title gets a number"
    await post_form(client, "/sign-out", "/sign-out", {})

    start = await client.get(f"/pay/{link.slug}")
    assert start.status_code == 200
    assert "Pay for a parking permit" in start.text and "A resident permit lasts a year." in start.text
    assert "Permit number" in start.text and "£12.50" in start.text and "This is a test payment link" in start.text
    assert 'name="amount"' not in start.text, "the amount is fixed"
    sent = await client.post(
        f"/pay/{link.slug}", data={"csrf_token": csrf_from(start.text), "reference": " PERMIT-99 ", "amount": "1"}
    )
    assert sent.status_code == 303
    payment = await pay_with_card(platform, sent.headers["location"])
    assert payment.state == "SUCCESS"
    async with platform.uow(read_only=True) as uow:
        stored = await uow.session.get(Payment, payment.id)
    assert stored is not None and stored.payment_link_id == link.id and stored.key_id is None
    assert stored.amount == 1250 and stored.reference == "PERMIT-99" and stored.description == link.title
    assert stored.return_url == f"{pay_of(platform).base_url}/pay/{link.slug}/complete/{payment.id}"
    assert not stored.live and stored.processor == "sandbox"

    done = await client.get(f"/pay/{link.slug}/complete/{payment.id}")
    assert done.status_code == 200
    assert "govuk-panel--confirmation" in done.text and "Payment successful" in done.text
    assert "PERMIT-99" in done.text and "£12.50" in done.text
    assert (await client.get(f"/pay/{second.slug}/complete/{payment.id}")).status_code == 404

    await signed_in_member(platform, client, service_id, "viewer")
    page = (await client.get(f"{pay_path(service_id)}/payments/{payment.id}")).text
    assert "Payment link: Pay for a parking permit" in page


async def test_a_citizen_who_chooses_the_amount_is_held_to_a_penny_to_a_hundred_thousand_pounds_and_no_card_numbers(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    await signed_in_member(platform, client, service_id, "editor")
    link = await make_link(platform, client, service_id, amount_type="chosen", amount="", reference_label="")
    await post_form(client, "/sign-out", "/sign-out", {})
    page = f"/pay/{link.slug}"
    start = (await client.get(page)).text
    assert 'name="amount"' in start and "Your reference" in start

    async def attempt(reference: str, amount: str) -> httpx.Response:
        return await post_form(client, page, page, {"reference": reference, "amount": amount})

    for amount, message in (
        ("0", "Enter an amount of at least £0.01"),
        ("100000.01", "Enter an amount of no more than £100,000.00"),
        ("ten pounds", "Enter an amount in pounds and pence, like 12.50"),
        ("", "Enter an amount"),
    ):
        refused = await attempt("REF-1", amount)
        assert refused.status_code == 400 and f'<a href="#amount">{message}</a>' in refused.text, amount
    card_number = await attempt("4242 4242 4242 4242", "5")
    assert '<a href="#reference">Your reference must not be a card number</a>' in card_number.text
    assert "<title>Error: " in card_number.text
    blank = await attempt("  ", "5")
    assert '<a href="#reference">Enter your reference</a>' in blank.text
    async with platform.uow(read_only=True) as uow:
        made = (await uow.session.scalars(select(Payment).where(Payment.payment_link_id == link.id))).all()
    assert made == [], "nothing refused was made into a payment"

    ok = await attempt("REF-2", "£100,000")
    assert ok.status_code == 303
    declined = await pay_with_card(platform, ok.headers["location"], "4000000000000002")
    assert declined.state == "FAILED_REJECTED"
    outcome = await client.get(f"/pay/{link.slug}/complete/{declined.id}")
    assert outcome.status_code == 200 and "Your payment was declined" in outcome.text
    assert "No money has been taken from your account." in outcome.text
    assert f'href="/pay/{link.slug}">Try the payment again</a>' in outcome.text


async def test_a_payment_link_that_is_turned_off_takes_no_payments_and_a_viewer_cannot_make_one(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    await signed_in_member(platform, client, service_id, "editor")
    link = await make_link(platform, client, service_id, language="cy")
    listed = f"{pay_path(service_id)}/payment-links"
    off = await post_form(client, listed, f"{listed}/{link.id}/deactivate", {})
    assert off.status_code == 303
    gone = await client.get(f"/pay/{link.slug}")
    assert gone.status_code == 410 and 'lang="cy"' in gone.text, "the link's own language"
    token = csrf_from((await client.get(listed)).text)
    refused = await client.post(f"/pay/{link.slug}", data={"csrf_token": token, "reference": "R"})
    assert refused.status_code == 410
    assert (await client.get("/pay/no-such-link")).status_code == 404
    on = await post_form(client, listed, f"{listed}/{link.id}/activate", {})
    assert on.status_code == 303 and (await client.get(f"/pay/{link.slug}")).status_code == 200
    welsh = (await client.get(f"/pay/{link.slug}")).text
    assert "Talu am drwydded barcio" in welsh

    await post_form(client, "/sign-out", "/sign-out", {})
    await signed_in_member(platform, client, service_id, "viewer")
    assert (await client.get(f"{listed}/new")).status_code == 403
    viewer_list = (await client.get(listed)).text
    assert "Create a payment link" not in viewer_list and "Turn off" not in viewer_list
