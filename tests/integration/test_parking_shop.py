"""The example parking-permit shop takes payments through the public Pay API and shows the outcome on return."""

from __future__ import annotations

import re

import httpx
import pytest

from govplatform.core.platform import Platform
from govplatform.examples import parking_shop
from tests.helpers import csrf_from
from tests.integration.pay.support import pay_by_card, pay_key, pay_of, pay_service


@pytest.fixture
async def shop(platform: Platform, client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The shop with a test key, reaching the API through the same app in this process."""
    parking_shop.save_key(platform.settings.var_dir, await pay_key(platform, await pay_service(platform)))
    app = client._transport.app  # type: ignore[attr-defined]
    app.state.examples_http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=platform.settings.base_url
    )
    return client


async def _order(client: httpx.AsyncClient, permit: str = "resident-12") -> httpx.Response:
    page = await client.get(parking_shop.PATH)
    assert page.status_code == 200 and "Apply for a resident parking permit" in page.text
    return await client.post(
        parking_shop.PATH,
        data={"permit": permit, "registration": "ab12 cde", "csrf_token": csrf_from(page.text)},
    )


@pytest.mark.parametrize(
    ("card", "heading", "status"),
    [
        ("4242424242424242", "Permit paid for", "success"),
        ("4000000000000002", "Your payment was not taken", "failed"),
        ("4000000000000119", "Your payment was not taken", "error"),
    ],
)
async def test_the_return_page_shows_what_get_payment_says(
    platform: Platform, shop: httpx.AsyncClient, card: str, heading: str, status: str
) -> None:
    ordered = await _order(shop)
    assert ordered.status_code == 303
    next_url = ordered.headers["location"]
    assert next_url.startswith(platform.settings.base_url + "/secure/")
    payment = await pay_by_card(pay_of(platform), next_url, card)
    assert payment.return_url is not None
    back = await shop.get(f"{parking_shop.PATH}/return/{payment.return_url.rsplit('/', 1)[-1]}")
    assert back.status_code == 200
    assert heading in back.text and payment.id in back.text
    assert re.search(rf">\s*{status}\s*<", back.text), "the page shows the status GET /v1/payments gives"


async def test_another_browser_cannot_read_an_order(platform: Platform, shop: httpx.AsyncClient) -> None:
    ordered = await _order(shop)
    payment = await pay_by_card(pay_of(platform), ordered.headers["location"])
    order = str(payment.return_url).rsplit("/", 1)[-1]
    shop.cookies.clear()
    assert (await shop.get(f"{parking_shop.PATH}/return/{order}")).status_code == 404


async def test_a_missing_choice_or_registration_is_shown_as_errors(platform: Platform, shop: httpx.AsyncClient) -> None:
    page = await shop.get(parking_shop.PATH)
    response = await shop.post(parking_shop.PATH, data={"registration": "!!", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 400
    assert "Select the permit you want" in response.text and "Enter the vehicle registration" in response.text
