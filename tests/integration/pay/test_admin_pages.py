"""Pay's admin pages through the app: searching payments, a payment's page, refunds made from it, the CSV
exports, payment settings, and who may do what (viewers, editors, admins, outsiders, no one signed in)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import httpx
from sqlalchemy import select, update

from govplatform.core.models import AuditEvent
from govplatform.core.platform import Platform
from govplatform.pay.models import Payment, PaySettings, Refund
from tests.helpers import csrf_from, post_form
from tests.integration.pay.admin_support import paid, pay_path, signed_in_member
from tests.integration.pay.support import bearer, pay_key, pay_service, payment_body

MASTERCARD = "5105105105105100"


async def audit_actions(platform: Platform, service_id: object) -> list[str]:
    async with platform.uow(read_only=True) as uow:
        query = select(AuditEvent.action).where(AuditEvent.service_id == service_id)
        return list((await uow.session.scalars(query)).all())


def table_text(html: str) -> str:
    body = html.split("<tbody", 1)[1].split("</tbody>", 1)[0] if "<tbody" in html else ""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


async def test_no_one_signed_in_is_sent_to_sign_in_and_an_outsider_is_refused(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    page = await client.get(f"{pay_path(service_id)}/payments")
    assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")
    other = await pay_service(platform, "Another service")
    await signed_in_member(platform, client, other, "admin")
    assert (await client.get(f"{pay_path(service_id)}/payments")).status_code == 403
    assert (await client.get(f"/admin/services/{service_id}/pay/settings")).status_code == 403
    assert (await client.get(f"/admin/services/{other}/pay/sandbox/payments")).status_code == 404


async def test_the_service_page_links_to_the_live_and_test_payments_and_the_settings(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    page = (await client.get(f"/admin/services/{service_id}")).text
    assert f'href="{pay_path(service_id, "live")}/payments"' in page
    assert f'href="{pay_path(service_id, "test")}/payments"' in page
    assert f'href="/admin/services/{service_id}/pay/settings"' in page
    home = await client.get(f"/admin/services/{service_id}/pay")
    assert home.status_code == 303 and home.headers["location"] == f"{pay_path(service_id, 'live')}/payments"


async def test_searching_payments_filters_by_reference_email_state_card_brand_last_digits_and_dates(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    key = await pay_key(platform, service_id)
    visa = await paid(platform, client, key, reference="PERMIT-0001", email="ada@example.org")
    master = await paid(platform, client, key, number=MASTERCARD, reference="PERMIT-0002")
    declined = await paid(platform, client, key, number="4000000000000002", reference="FINE-0003")
    unpaid = (
        await client.post(
            "/v1/payments", json=payment_body(reference="FINE-0004", email="grace@example.org"), headers=bearer(key)
        )
    ).json()
    async with platform.uow() as uow:
        await uow.session.execute(
            update(Payment).where(Payment.id == declined).values(created_at=dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC))
        )
        await uow.commit()
    live_key = await pay_key(platform, service_id, "live")
    live_one = (
        await client.post("/v1/payments", json=payment_body(reference="LIVE-1"), headers=bearer(live_key))
    ).json()
    await signed_in_member(platform, client, service_id, "viewer")
    base = f"{pay_path(service_id)}/payments"

    async def found(**query: str) -> str:
        response = await client.get(base, params=query)
        assert response.status_code == 200, response.text
        return table_text(response.text)

    everything = await found()
    assert all(ref in everything for ref in ("PERMIT-0001", "PERMIT-0002", "FINE-0003", "FINE-0004"))
    assert "LIVE-1" not in everything, "the test account shows test payments only"
    assert "LIVE-1" in table_text((await client.get(f"{pay_path(service_id, 'live')}/payments")).text)
    assert "4 payments found" in (await client.get(base)).text
    by_reference = await found(reference="permit")
    assert "PERMIT-0001" in by_reference and "PERMIT-0002" in by_reference and "FINE" not in by_reference
    by_email = await found(email="GRACE@")
    assert "FINE-0004" in by_email and "PERMIT-0001" not in by_email, "the card form's email is ada@example.org"
    successes = await found(state="success")
    assert "PERMIT-0001" in successes and "FINE-0003" not in successes and "FINE-0004" not in successes
    assert "FINE-0003" in await found(state="failed")
    assert "FINE-0004" in await found(state="created")
    by_brand = await found(card_brand="master-card")
    assert "PERMIT-0002" in by_brand and "PERMIT-0001" not in by_brand
    assert "PERMIT-0002" in await found(last_digits="5100") and "PERMIT-0001" not in await found(last_digits="5100")
    march = await found(
        **{"from-day": "1", "from-month": "3", "from-year": "2024", "to-day": "1", "to-month": "3", "to-year": "2024"}
    )
    assert "FINE-0003" in march and "PERMIT-0001" not in march
    assert "FINE-0003" not in await found(**{"from-day": "2", "from-month": "3", "from-year": "2024"})

    bad = await client.get(base, params={"last_digits": "12", "from-day": "31", "from-month": "2", "from-year": "2024"})
    assert bad.status_code == 400 and "<title>Error: " in bad.text
    assert '<a href="#last_digits">Enter the last 4 digits of the card, like 4242</a>' in bad.text
    assert '<a href="#from-day">The date from must be a real date</a>' in bad.text
    assert f'href="{base}/{visa}"' in (await client.get(base)).text, "each row links to its payment's page"
    assert master and unpaid["payment_id"] and live_one["payment_id"]


async def test_a_payment_page_shows_its_details_card_brand_and_last_four_only_its_events_and_refunds(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    key = await pay_key(platform, service_id)
    payment_id = await paid(platform, client, key, amount=5000, reference="PERMIT-7", email="ada@example.org")
    await client.post(f"/v1/payments/{payment_id}/refunds", json={"amount": 1250}, headers=bearer(key))
    await signed_in_member(platform, client, service_id, "viewer")
    page = await client.get(f"{pay_path(service_id)}/payments/{payment_id}")
    assert page.status_code == 200
    text = page.text
    assert "Payment PERMIT-7" in text and "Resident parking permit" in text and "£50.00" in text
    assert "Visa ending in 4242" in text and "424242" not in text, "the first six digits are not shown"
    assert "Ada Lovelace" in text and "ada@example.org" in text
    events = text.split("What happened", 1)[1].split("Refunds", 1)[0]
    assert [name for name in ("Success", "In progress", "Created") if name in events] == [
        "Success",
        "In progress",
        "Created",
    ]
    assert events.index("Success") < events.index("Created"), "newest first"
    assert "£12.50" in text and "Refunded" in text
    assert 'name="refund_type"' not in text, "a viewer is not offered the refund form"
    refused = await client.post(
        f"{pay_path(service_id)}/payments/{payment_id}/refunds",
        data={"csrf_token": csrf_from(text), "refund_type": "full", "available": "3750"},
    )
    assert refused.status_code == 403
    assert (await client.get(f"{pay_path(service_id, 'live')}/payments/{payment_id}")).status_code == 404


async def test_an_editor_refunds_part_of_a_payment_from_its_page_and_sees_the_new_amount_available(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    key = await pay_key(platform, service_id)
    payment_id = await paid(platform, client, key, amount=5000)
    email = await signed_in_member(platform, client, service_id, "editor")
    page = f"{pay_path(service_id)}/payments/{payment_id}"
    shown = (await client.get(page)).text
    assert "£50.00 is available to refund." in shown and 'value="5000"' in shown
    done = await post_form(
        client, page, f"{page}/refunds", {"refund_type": "partial", "amount": "12.50", "available": "5000"}
    )
    assert done.status_code == 303 and done.headers["location"].startswith(f"{page}?refunded=")
    after = (await client.get(done.headers["location"])).text
    assert "Refund of £12.50 made" in after
    assert "£37.50 is available to refund." in after and "Full refund of £37.50" in after
    api = (await client.get(f"/v1/payments/{payment_id}", headers=bearer(key))).json()
    assert api["refund_summary"] == {"status": "available", "amount_available": 3750, "amount_submitted": 1250}
    async with platform.uow(read_only=True) as uow:
        refund = (await uow.session.scalars(select(Refund).where(Refund.payment_id == payment_id))).one()
    assert refund.status == "success" and refund.amount == 1250 and refund.created_by == email
    assert "pay.refund_created" in await audit_actions(platform, service_id)

    full = await post_form(client, page, f"{page}/refunds", {"refund_type": "full", "available": "3750"})
    assert full.status_code == 303
    last = (await client.get(page)).text
    assert "This payment has been refunded in full." in last and 'name="refund_type"' not in last


async def test_a_refund_above_the_amount_available_is_refused_with_a_message_and_moves_no_money(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    key = await pay_key(platform, service_id)
    payment_id = await paid(platform, client, key, amount=1000)
    await signed_in_member(platform, client, service_id, "editor")
    page = f"{pay_path(service_id)}/payments/{payment_id}"
    too_much = await post_form(
        client, page, f"{page}/refunds", {"refund_type": "partial", "amount": "10.01", "available": "1000"}
    )
    assert too_much.status_code == 400 and "<title>Error: " in too_much.text
    assert '<a href="#amount">Enter an amount of no more than £10.00</a>' in too_much.text
    assert 'value="10.01"' in too_much.text, "the form keeps what was typed"
    not_money = await post_form(
        client, page, f"{page}/refunds", {"refund_type": "partial", "amount": "ten", "available": "1000"}
    )
    assert '<a href="#amount">Enter an amount in pounds and pence, like 12.50</a>' in not_money.text
    no_choice = await post_form(client, page, f"{page}/refunds", {"available": "1000"})
    assert '<a href="#refund_type">Select a full or a partial refund</a>' in no_choice.text
    await client.post(f"/v1/payments/{payment_id}/refunds", json={"amount": 600}, headers=bearer(key))
    stale = await post_form(client, page, f"{page}/refunds", {"refund_type": "full", "available": "1000"})
    assert stale.status_code == 400 and "The amount available to refund has changed" in stale.text
    async with platform.uow(read_only=True) as uow:
        made = (await uow.session.scalars(select(Refund).where(Refund.payment_id == payment_id))).all()
    assert [refund.amount for refund in made] == [600], "only the API's refund was made"


async def test_the_payments_csv_has_the_filtered_payments_and_defuses_formulas(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    key = await pay_key(platform, service_id)
    first = await paid(
        platform, client, key, name="@Ada", amount=2500, reference="=HYPERLINK(1)", email="ada@example.org"
    )
    await client.post(f"/v1/payments/{first}/refunds", json={"amount": 500}, headers=bearer(key))
    await paid(platform, client, key, number=MASTERCARD, reference="-OTHER", description="+Permit")
    await signed_in_member(platform, client, service_id, "viewer")
    exported = await client.get(f"{pay_path(service_id)}/payments.csv", params={"card_brand": "visa"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert (
        "attachment;" in exported.headers["content-disposition"]
        and "payments-test-" in exported.headers["content-disposition"]
    )
    assert exported.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert len(rows) == 1, "only the Visa payment matches the filter"
    row = rows[0]
    assert row["Payment ID"] == first and row["Reference"] == "'=HYPERLINK(1)"
    assert row["Cardholder name"] == "'@Ada" and row["Email"] == "ada@example.org"
    assert row["Amount"] == "25.00" and row["Refunded amount"] == "5.00" and row["State"] == "success"
    assert row["Card brand"] == "visa" and row["Last four digits"] == "4242" and row["Succeeded (UK time)"]
    assert "4242424242424242" not in exported.text and "424242" not in exported.text
    everything = list(
        csv.DictReader(io.StringIO((await client.get(f"{pay_path(service_id)}/payments.csv")).text.lstrip("\ufeff")))
    )
    other = next(item for item in everything if item["Payment ID"] != first)
    assert other["Reference"] == "'-OTHER" and other["Description"] == "'+Permit"
    assert "pay.payments_exported" in await audit_actions(platform, service_id)


async def test_the_refunds_page_lists_refunds_by_date_and_exports_them(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    key = await pay_key(platform, service_id)
    payment_id = await paid(platform, client, key, amount=3000, reference="PERMIT-REF")
    await client.post(f"/v1/payments/{payment_id}/refunds", json={"amount": 700}, headers=bearer(key))
    await signed_in_member(platform, client, service_id, "viewer")
    listed = await client.get(f"{pay_path(service_id)}/refunds")
    assert "1 refund found" in listed.text and "PERMIT-REF" in table_text(listed.text) and "£7.00" in listed.text
    old = {"from-day": "1", "from-month": "1", "from-year": "2020", "to-day": "31", "to-month": "12", "to-year": "2020"}
    assert "0 refunds found" in (await client.get(f"{pay_path(service_id)}/refunds", params=old)).text
    backwards = {**old, "to-year": "2019"}
    wrong = await client.get(f"{pay_path(service_id)}/refunds", params=backwards)
    assert wrong.status_code == 400 and "The date to must be the same as or after the date from" in wrong.text
    exported = await client.get(f"{pay_path(service_id)}/refunds.csv")
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert [(row["Payment ID"], row["Payment reference"], row["Amount"], row["Status"]) for row in rows] == [
        (payment_id, "PERMIT-REF", "7.00", "success")
    ]
    assert (await client.get(f"{pay_path(service_id)}/refunds.csv", params=old)).text.count("\n") == 1


async def test_an_admin_saves_the_payment_settings_and_sees_them_and_others_cannot(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    await signed_in_member(platform, client, service_id, "admin")
    page = f"/admin/services/{service_id}/pay/settings"
    saved = await post_form(
        client,
        page,
        page,
        {
            "name_en": "Parking permits",
            "name_cy": "Trwyddedau parcio",
            "return_url_prefixes": "https://parking.example.gov.uk/\n\n  https://permits.example.gov.uk/return  \n",
        },
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"{page}?saved=1"
    shown = (await client.get(saved.headers["location"])).text
    assert "The settings have been saved" in shown
    assert 'value="Parking permits"' in shown and 'value="Trwyddedau parcio"' in shown
    assert "https://parking.example.gov.uk/\nhttps://permits.example.gov.uk/return</textarea>" in shown
    async with platform.uow(read_only=True) as uow:
        stored = await uow.session.get(PaySettings, service_id)
    assert stored is not None and stored.name_cy == "Trwyddedau parcio"
    assert "pay.settings_changed" in await audit_actions(platform, service_id)

    bad = await post_form(
        client, page, page, {"name_en": "x", "name_cy": "", "return_url_prefixes": "http://insecure.example"}
    )
    assert bad.status_code == 400
    assert "Each return URL rule must be an address that starts with https://, not http://insecure.example" in bad.text
    await post_form(client, "/sign-out", "/sign-out", {})
    await signed_in_member(platform, client, service_id, "editor")
    assert (await client.get(page)).status_code == 403
