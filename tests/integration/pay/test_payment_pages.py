"""The hosted payment pages over HTTP, as a paying user's browser and the service's API calls see them.

Each sandbox card is taken through the pages from the next_url to its ending,
and the ending is checked through the public API as the service would check
it. A second client with no cookies stands for another browser.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update
from structlog.testing import capture_logs

from govplatform.app import build_app
from govplatform.core.platform import Platform
from govplatform.pay.models import Payment
from govplatform.pay.processors.base import Authorisation, AuthorisationResult, Outcome
from govplatform.pay.processors.sandbox import SandboxProcessor
from govplatform.pay.services import operations
from govplatform.pay.services import settings as pay_settings
from tests.helpers import csrf_from
from tests.integration.pay.pages_support import (
    CARD_NUMBER,
    CVC,
    card_form,
    continues_to,
    enter_card,
    open_payment,
    page_text,
    path_of,
    post_page,
)
from tests.integration.pay.support import bearer, pay_key, pay_of, pay_service, payment_body

RETURN_URL = "https://parking.example.gov.uk/return/abc"


async def _create(platform: Platform, client: httpx.AsyncClient, **overrides: Any) -> tuple[str, dict[str, Any]]:
    """A new payment from a new service named on its payment pages; returns the service's key and the payment."""
    service_id = await pay_service(platform)
    async with platform.uow() as uow:
        await pay_settings.change(
            uow,
            service_id,
            name_en="Pay for a parking permit",
            name_cy="Talu am drwydded barcio",
            return_url_prefixes="",
        )
        await uow.commit()
    key = await pay_key(platform, service_id)
    response = await client.post("/v1/payments", json=payment_body(**overrides), headers=bearer(key))
    assert response.status_code == 201, response.text
    return key, response.json()


async def _state(client: httpx.AsyncClient, key: str, payment_id: str) -> dict[str, Any]:
    body = (await client.get(f"/v1/payments/{payment_id}", headers=bearer(key))).json()
    state: dict[str, Any] = body["state"]
    return state


def _input_has_error(page: httpx.Response, element_id: str) -> bool:
    match = re.search(rf'class="(govuk-input[^"]*)" id="{element_id}"', page.text)
    assert match, f"no input #{element_id}"
    return "govuk-input--error" in match.group(1)


async def test_a_good_card_is_entered_confirmed_and_the_user_is_sent_back_to_the_return_url(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key, payment = await _create(platform, client, amount=123456)
    payment_id = payment["payment_id"]
    card_page = await client.get(await open_payment(client, payment))
    assert card_page.status_code == 200
    words = page_text(card_page)
    assert "Enter card details" in words and "£1,234.56" in words and "Resident parking permit" in words
    assert "Pay for a parking permit" in words
    assert (await _state(client, key, payment_id)) == {"status": "started", "finished": False}
    submitted = await enter_card(client, payment_id)
    assert submitted.status_code == 303 and submitted.headers["location"] == f"/card_details/{payment_id}/confirm"
    confirm = await client.get(submitted.headers["location"])
    words = page_text(confirm)
    assert "Confirm your payment" in words
    assert "Visa ending in 4242" in words and "Ada Lovelace" in words and "ada@example.org" in words
    assert "10 Downing Street" in words and "SW1A 2AA" in words and "United Kingdom" in words
    confirmed = await client.post(f"/card_details/{payment_id}/confirm", data={"csrf_token": csrf_from(confirm.text)})
    assert confirmed.status_code == 200 and "Your payment was successful" in page_text(confirmed)
    assert continues_to(confirmed) == f"/return/{payment_id}"
    back = await client.get(continues_to(confirmed))
    assert back.status_code == 303 and back.headers["location"] == RETURN_URL
    assert (await _state(client, key, payment_id)) == {"status": "success", "finished": True}
    again = await client.get(f"/card_details/{payment_id}")
    assert "Your payment was successful" in page_text(again) and "Enter card details" not in page_text(again)


@pytest.mark.parametrize(
    ("number", "status", "code", "heading"),
    [
        ("4000000000000002", "failed", "P0010", "Your payment has been declined"),
        ("4000000000000069", "failed", "P0010", "Your payment has been declined"),
        ("4000000000000127", "failed", "P0010", "Your payment has been declined"),
        ("4000000000000119", "error", "P0050", "Sorry, we’re experiencing technical problems"),
    ],
)
async def test_each_unhappy_sandbox_card_ends_on_its_own_page_with_a_way_back_to_the_service(
    platform: Platform, client: httpx.AsyncClient, number: str, status: str, code: str, heading: str
) -> None:
    key, payment = await _create(platform, client)
    payment_id = payment["payment_id"]
    await open_payment(client, payment)
    submitted = await enter_card(client, payment_id, number)
    assert submitted.status_code == 303 and submitted.headers["location"] == f"/card_details/{payment_id}"
    ending = await client.get(submitted.headers["location"])
    words = page_text(ending)
    assert heading in words and "No money has been taken from your account." in words
    assert f'href="/return/{payment_id}"' in ending.text and "Go back to try the payment again" in words
    state = await _state(client, key, payment_id)
    assert state["status"] == status and state["code"] == code and state["finished"] is True
    back = await client.get(f"/return/{payment_id}")
    assert back.status_code == 303 and back.headers["location"] == RETURN_URL


async def test_the_3d_secure_card_asks_for_the_check_and_once_authenticated_can_be_confirmed(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key, payment = await _create(platform, client)
    payment_id = payment["payment_id"]
    await open_payment(client, payment)
    submitted = await enter_card(client, payment_id, "4000002500003155")
    challenge = f"/card_details/{payment_id}/3ds"
    assert submitted.status_code == 303 and submitted.headers["location"] == challenge
    assert (await client.get(f"/card_details/{payment_id}")).headers["location"] == challenge
    assert (await _state(client, key, payment_id))["status"] == "started"
    answered = await post_page(client, challenge, challenge, {"result": "authenticate"})
    assert answered.status_code == 303 and answered.headers["location"] == f"/card_details/{payment_id}/confirm"
    confirmed = await post_page(client, answered.headers["location"], answered.headers["location"], {})
    assert continues_to(confirmed) == f"/return/{payment_id}"
    assert (await _state(client, key, payment_id)) == {"status": "success", "finished": True}
    body = (await client.get(f"/v1/payments/{payment_id}", headers=bearer(key))).json()
    assert body["authorisation_summary"] == {"three_d_secure": {"required": True}}


async def test_failing_3d_secure_declines_the_payment(platform: Platform, client: httpx.AsyncClient) -> None:
    key, payment = await _create(platform, client)
    payment_id = payment["payment_id"]
    await open_payment(client, payment)
    await enter_card(client, payment_id, "4000002500003155")
    challenge = f"/card_details/{payment_id}/3ds"
    assert "Authenticate" in page_text(await client.get(challenge))
    answered = await post_page(client, challenge, challenge, {"result": "fail"})
    ending = await client.get(answered.headers["location"])
    assert "Your payment has been declined" in page_text(ending)
    state = await _state(client, key, payment_id)
    assert state["status"] == "failed" and state["code"] == "P0010"


async def test_every_problem_is_listed_in_the_error_summary_and_the_card_number_is_not_sent_back(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key, payment = await _create(platform, client)
    payment_id = payment["payment_id"]
    page = await open_payment(client, payment)
    bad = card_form(
        "4242424242424241",
        expiryMonth="13",
        cardholderName="",
        addressLine1="",
        addressCity="",
        addressPostcode="not a postcode",
        email="ada.example.org",
    )
    response = await post_page(client, page, page, bad)
    assert response.status_code == 400
    assert re.search(r"<title>\s*Error:", response.text)
    words = page_text(response)
    assert "There is a problem" in words
    for message in (
        "Enter a valid card number",
        "Expiry month must be a number from 1 to 12",
        "Enter the name as it appears on the card",
        "Enter address line 1, typically the building and street",
        "Enter town or city",
        "Enter a full UK postcode",
        "Enter an email address in the correct format, like name@example.com",
    ):
        assert words.count(message) == 2, message  # in the summary and beside its field
    for href in ("#card-no", "#expiry-month", "#cardholder-name", "#address-line-1", "#email"):
        assert f'href="{href}"' in response.text
    assert "4242424242424241" not in response.text and f'value="{CVC}"' not in response.text
    assert 'value="ada.example.org"' in response.text and 'value="13"' in response.text
    assert _input_has_error(response, "expiry-month") and not _input_has_error(response, "expiry-year")
    blank = await client.post(
        page, data={**card_form(expiryMonth="", expiryYear=""), "csrf_token": csrf_from(response.text)}
    )
    assert "Enter the expiry date" in page_text(blank)
    assert _input_has_error(blank, "expiry-month") and _input_has_error(blank, "expiry-year")
    assert (await _state(client, key, payment_id))["status"] == "started"


async def test_a_postcode_is_needed_only_for_an_address_in_the_united_kingdom(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key, payment = await _create(platform, client)
    page = await open_payment(client, payment)
    missing = await post_page(client, page, page, card_form(addressPostcode=""))
    assert missing.status_code == 400 and "Enter postcode" in page_text(missing)
    abroad = await post_page(client, page, page, card_form(addressPostcode="", addressCountry="FR"))
    assert abroad.status_code == 303
    body = (await client.get(f"/v1/payments/{payment['payment_id']}", headers=bearer(key))).json()
    assert body["card_details"]["billing_address"] == {"line1": "10 Downing Street", "city": "London", "country": "FR"}


async def test_a_name_changed_in_the_settings_shows_on_the_next_page_though_the_last_one_was_just_shown(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    _key, payment = await _create(platform, client)
    card_page = await open_payment(client, payment)
    assert "Pay for a parking permit" in page_text(await client.get(card_page))  # the settings are now kept
    async with platform.uow() as uow:
        await pay_settings.change(
            uow,
            uuid.UUID(str(await _service_of(platform, payment["payment_id"]))),
            name_en="Parking and permits",
            name_cy=None,
            return_url_prefixes="",
        )
        await uow.commit()
    words = page_text(await client.get(card_page))
    assert "Parking and permits" in words and "Pay for a parking permit" not in words


async def _service_of(platform: Platform, payment_id: str) -> object:
    async with platform.uow(read_only=True) as uow:
        found = await uow.session.get(Payment, payment_id)
        assert found is not None
        return found.service_id


async def test_what_one_payer_typed_or_was_prefilled_never_shows_on_the_next_payer_s_blank_form(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    """A form with nothing in it is rendered once and kept (core's `cached`); a form with anything in it never is."""
    _key, prefilled = await _create(
        platform, client, prefilled_cardholder_details={"cardholder_name": "Ada Prefilled"}, email="ada@example.org"
    )
    shown = await client.get(await open_payment(client, prefilled))
    assert "Ada Prefilled" in shown.text and "ada@example.org" in shown.text
    _key, typed = await _create(platform, client)
    card_page = await open_payment(client, typed)
    wrong = await post_page(client, card_page, card_page, card_form("4242424242424241", cardholderName="Grace Typed"))
    assert wrong.status_code == 400 and "Grace Typed" in wrong.text and "govuk-error-summary" in wrong.text
    for _ in range(2):
        _key, blank = await _create(platform, client)
        page = await client.get(await open_payment(client, blank))
        assert page.status_code == 200 and "Enter card details" in page.text
        for earlier in ("Ada Prefilled", "ada@example.org", "Grace Typed", "govuk-error", "4242"):
            assert earlier not in page.text
        assert f'action="/card_details/{blank["payment_id"]}"' in page.text


async def test_a_card_number_typed_into_the_name_is_refused_and_not_kept(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    _key, payment = await _create(platform, client)
    page = await open_payment(client, payment)
    response = await post_page(client, page, page, card_form(cardholderName=CARD_NUMBER, cvc="12"))
    assert response.status_code == 400
    words = page_text(response)
    assert "Enter the name as it appears on the card" in words and "Card security code must be 3 digits" in words


async def test_the_form_starts_with_what_the_service_prefilled(platform: Platform, client: httpx.AsyncClient) -> None:
    _key, payment = await _create(
        platform,
        client,
        email="grace@example.org",
        prefilled_cardholder_details={
            "cardholder_name": "Grace Hopper",
            "billing_address": {"line1": "1 Navy Way", "city": "Arlington", "postcode": "22201", "country": "US"},
        },
    )
    page = await client.get(await open_payment(client, payment))
    for value in ("grace@example.org", "Grace Hopper", "1 Navy Way", "Arlington", "22201"):
        assert f'value="{value}"' in page.text, value
    assert re.search(r'<option value="US" selected', page.text)


async def test_a_welsh_payment_is_shown_in_welsh_whatever_the_browser_chose(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    _key, payment = await _create(platform, client, language="cy")
    client.cookies.set("govplatform_lang", "en")
    page = await client.get(await open_payment(client, payment))
    assert '<html lang="cy"' in page.text
    words = page_text(page)
    assert "Rhowch fanylion y cerdyn" in words and "Rhif cerdyn" in words and "Talu am drwydded barcio" in words
    assert "Enter card details" not in words and "Cymraeg" not in words
    problem = await post_page(client, page.url.path, page.url.path, card_form(cardNo=""))
    assert "Gwall:" in problem.text and "Rhowch rif eich cerdyn" in page_text(problem)


async def test_the_country_list_follows_each_payment_s_language_and_the_country_chosen(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    # The list is rendered once per language and choice and kept (core's `cached`): each page must still get its own.
    _key, english = await _create(platform, client)
    _key, welsh = await _create(platform, client, language="cy")
    english_page = await client.get(await open_payment(client, english))
    welsh_page = await client.get(await open_payment(client, welsh))
    assert "Country or territory" in page_text(english_page) and "Gwlad neu diriogaeth" not in page_text(english_page)
    assert re.search(r'<option value="GB" selected[^>]*>United Kingdom</option>', english_page.text)
    assert "Gwlad neu diriogaeth" in page_text(welsh_page)
    assert re.search(r'<option value="GB" selected[^>]*>Y Deyrnas Unedig</option>', welsh_page.text)
    abroad = await post_page(
        client, welsh_page.url.path, welsh_page.url.path, card_form(cardNo="", addressCountry="FR")
    )
    assert re.search(r'<option value="FR" selected[^>]*>Ffrainc</option>', abroad.text)
    assert not re.search(r'<option value="GB" selected', abroad.text)
    unknown = await post_page(client, welsh_page.url.path, welsh_page.url.path, card_form(addressCountry="XX"))
    assert unknown.status_code == 400 and 'id="address-country-error"' in unknown.text
    again = await client.get(english_page.url.path)
    assert re.search(r'<option value="GB" selected[^>]*>United Kingdom</option>', again.text)
    assert 'id="address-country-error"' not in again.text


async def test_an_english_payment_stays_english_for_a_browser_that_chose_welsh(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    _key, payment = await _create(platform, client)
    client.cookies.set("govplatform_lang", "cy")
    page = await client.get(await open_payment(client, payment))
    assert '<html lang="en"' in page.text and "Enter card details" in page_text(page)


async def test_another_browser_cannot_see_or_act_on_the_payment(platform: Platform, client: httpx.AsyncClient) -> None:
    key, payment = await _create(platform, client)
    payment_id = payment["payment_id"]
    await open_payment(client, payment)
    transport = httpx.ASGITransport(app=build_app(platform.settings, platform), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        csrf = csrf_from((await other.get("/sign-in")).text)
        for method, path, data in (
            ("GET", f"/card_details/{payment_id}", None),
            ("POST", f"/card_details/{payment_id}", {**card_form(), "csrf_token": csrf}),
            ("GET", f"/card_details/{payment_id}/confirm", None),
            ("POST", f"/card_details/{payment_id}/cancel", {"csrf_token": csrf}),
            ("GET", f"/return/{payment_id}", None),
        ):
            response = await other.request(method, path, data=data)
            assert response.status_code == 403, (method, path)
            assert "Your session has ended" in page_text(response)
            assert "Resident parking permit" not in response.text and "£25.00" not in response.text
        other.cookies.set("govplatform_pay", "forged" + "A" * 60)
        assert (await other.get(f"/card_details/{payment_id}")).status_code == 403
    assert (await _state(client, key, payment_id))["status"] == "started"


async def test_a_used_or_unknown_token_shows_the_expired_link_page(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    _key, payment = await _create(platform, client)
    next_url = path_of(payment["_links"]["next_url"]["href"])
    assert (await client.get(next_url)).status_code == 303
    for path in (next_url, "/secure/not-a-token"):
        response = await client.get(path)
        assert response.status_code == 404
        assert "This payment link has expired" in page_text(response)
        assert "Resident parking permit" not in response.text


async def test_a_service_s_form_can_post_the_token_without_our_csrf_token(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    _key, payment = await _create(platform, client)
    post = payment["_links"]["next_url_post"]
    opened = await client.post(path_of(post["href"]), data=post["params"])
    assert opened.status_code == 303 and opened.headers["location"] == f"/card_details/{payment['payment_id']}"
    cookie = opened.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert (await client.get(opened.headers["location"])).status_code == 200
    assert (await client.post("/secure", data={})).status_code == 404


async def test_cancelling_shows_the_cancelled_page_and_the_service_sees_p0030(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key, payment = await _create(platform, client)
    payment_id = payment["payment_id"]
    page = await open_payment(client, payment)
    cancelled = await post_page(client, page, f"/card_details/{payment_id}/cancel", {})
    assert cancelled.status_code == 303
    ending = await client.get(cancelled.headers["location"])
    assert "Your payment has been cancelled" in page_text(ending) and f'href="/return/{payment_id}"' in ending.text
    assert await _state(client, key, payment_id) == {
        "status": "failed",
        "finished": True,
        "message": "Payment was cancelled by the user",
        "code": "P0030",
    }
    assert (await client.get(f"/return/{payment_id}")).headers["location"] == RETURN_URL


async def test_going_back_to_the_service_before_paying_cancels_the_payment(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key, payment = await _create(platform, client)
    await open_payment(client, payment)
    back = await client.get(f"/return/{payment['payment_id']}")
    assert back.status_code == 303 and back.headers["location"] == RETURN_URL
    assert (await _state(client, key, payment["payment_id"]))["code"] == "P0030"


async def test_an_expired_payment_says_so_and_links_back_to_the_service(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key, payment = await _create(platform, client)
    payment_id = payment["payment_id"]
    page = await open_payment(client, payment)
    shown = await client.get(page)
    await operations.expire_due(pay_of(platform), now=dt.datetime.now(dt.UTC) + dt.timedelta(hours=2))
    assert (await _state(client, key, payment_id))["code"] == "P0020"
    ending = await client.get(page)
    assert "Your payment session has expired" in page_text(ending) and f'href="/return/{payment_id}"' in ending.text
    late = await client.post(page, data={**card_form(), "csrf_token": csrf_from(shown.text)})
    assert late.status_code == 303 and late.headers["location"] == page
    assert (await client.get(f"/return/{payment_id}")).headers["location"] == RETURN_URL


async def test_the_pages_cannot_be_framed(platform: Platform, client: httpx.AsyncClient) -> None:
    _key, payment = await _create(platform, client)
    page = await client.get(await open_payment(client, payment))
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


async def test_the_card_number_and_security_code_are_neither_stored_nor_logged(
    platform: Platform, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    key, payment = await _create(platform, client)
    payment_id = payment["payment_id"]
    caplog.set_level(logging.DEBUG)
    with capture_logs() as logs:
        page = await open_payment(client, payment)
        rejected = await post_page(client, page, page, card_form(email="not an email"))
        assert rejected.status_code == 400
        submitted = await enter_card(client, payment_id)
        await post_page(client, submitted.headers["location"], submitted.headers["location"], {})
    assert (await _state(client, key, payment_id))["status"] == "success"
    logged = repr(logs) + caplog.text + "".join(capsys.readouterr())
    assert CARD_NUMBER not in logged and CARD_NUMBER[6:] not in logged and f"'{CVC}'" not in logged
    async with platform.uow(read_only=True) as uow:
        row = (
            (await uow.session.execute(text("SELECT * FROM pay_payments WHERE id = :id"), {"id": payment_id}))
            .mappings()
            .one()
        )
        stored = [str(value) for value in row.values() if value is not None]
        events = (await uow.session.execute(text("SELECT * FROM pay_payment_events"))).all()
        jobs = (await uow.session.execute(text("SELECT payload FROM jobs"))).all()
    assert row["first_digits"] == "424242" and row["last_digits"] == "4242"
    everything = " ".join(stored) + repr(events) + repr(jobs)
    assert CARD_NUMBER not in everything and CARD_NUMBER[:12] not in everything
    encrypted = {row["billing_address_encrypted"], row["prefilled_address_encrypted"]}
    in_clear = [value for value in stored if value not in encrypted]
    assert not [value for value in in_clear if re.search(rf"\b{CVC}\b", value)], "the security code was stored"
    address = pay_of(platform).box.decrypt_text(row["billing_address_encrypted"], f"pay-address:{payment_id}")
    assert not re.search(rf"\b{CVC}\b", address)


async def test_a_page_for_a_payment_that_does_not_exist_says_only_that_the_session_ended(
    client: httpx.AsyncClient, platform: Platform
) -> None:
    await pay_service(platform)
    response = await client.get(f"/card_details/{uuid.uuid4().hex[:26]}")
    assert response.status_code == 403 and "Your session has ended" in page_text(response)


async def test_a_link_opened_after_the_service_cancelled_the_payment_shows_that_it_was_cancelled(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key, payment = await _create(platform, client)
    payment_id = payment["payment_id"]
    fresh = (await client.get(f"/v1/payments/{payment_id}", headers=bearer(key))).json()
    assert (await client.post(f"/v1/payments/{payment_id}/cancel", headers=bearer(key))).status_code == 204
    page = await client.get(await open_payment(client, fresh))
    words = page_text(page)
    assert "Your payment was cancelled" in words and "Enter card details" not in words
    assert f'href="/return/{payment_id}"' in page.text


async def test_a_card_still_with_the_processor_gets_a_page_to_check_again_and_is_not_sent_twice(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key, payment = await _create(platform, client)
    payment_id = payment["payment_id"]
    page = await open_payment(client, payment)
    shown = await client.get(page)
    async with platform.uow() as uow:
        await uow.session.execute(update(Payment).where(Payment.id == payment_id).values(stage="authorising"))
        await uow.commit()
    checking = await client.get(page)
    assert "Checking card details" in page_text(checking) and f'href="/card_details/{payment_id}"' in checking.text
    again = await client.post(page, data={**card_form(), "csrf_token": csrf_from(shown.text)})
    assert again.status_code == 303 and again.headers["location"] == page
    assert (await _state(client, key, payment_id))["status"] == "started"


class IssuerPageProcessor(SandboxProcessor):
    """The sandbox, but its 3-D Secure step is the card issuer's own page, as with Stripe."""

    def __init__(self) -> None:
        self.checked_by_bank = False

    async def authorise(self, request: Authorisation) -> AuthorisationResult:
        result = await super().authorise(request)
        if result.outcome is Outcome.THREE_D_SECURE:
            return dataclasses.replace(result, challenge_url="https://bank.example.test/check/1")
        return result

    async def complete_three_d_secure(self, processor_id: str, authenticated: bool) -> AuthorisationResult:
        if not self.checked_by_bank:
            return AuthorisationResult(Outcome.THREE_D_SECURE, processor_id)
        return AuthorisationResult(Outcome.AUTHORISED, processor_id, card_type="credit")


async def test_where_the_issuer_has_its_own_3d_secure_page_the_user_is_sent_there_and_back(
    platform: Platform, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    bank = IssuerPageProcessor()
    monkeypatch.setitem(pay_of(platform).processors, "sandbox", bank)
    key, payment = await _create(platform, client)
    payment_id = payment["payment_id"]
    await open_payment(client, payment)
    submitted = await enter_card(client, payment_id, "4000002500003155")
    challenge = f"/card_details/{payment_id}/3ds"
    assert submitted.headers["location"] == challenge
    page = await client.get(challenge)
    assert page.status_code == 200 and 'href="https://bank.example.test/check/1"' in page.text
    assert "Continue to your bank" in page_text(page) and "Fail authentication" not in page_text(page)
    bank.checked_by_bank = True
    back = await client.get(challenge + "?payment_intent=pi_1")
    assert back.status_code == 303 and back.headers["location"] == f"/card_details/{payment_id}/confirm"
    assert (await _state(client, key, payment_id))["status"] == "submitted"
