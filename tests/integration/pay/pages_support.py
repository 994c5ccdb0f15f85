"""Driving the hosted payment pages over HTTP as a paying user's browser does: open, enter a card, confirm."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import httpx

from tests.helpers import csrf_from

CARD_NUMBER = "4242424242424242"
CVC = "739"


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


async def open_next_url(client: httpx.AsyncClient, next_url: str, payment_id: str) -> str:
    """Follow a next_url as the browser does; returns the card details page's path."""
    response = await client.get(path_of(next_url))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/card_details/{payment_id}"
    return response.headers["location"]


async def open_payment(client: httpx.AsyncClient, payment: dict[str, Any]) -> str:
    """Follow the next_url of a payment as the API showed it."""
    return await open_next_url(client, payment["_links"]["next_url"]["href"], payment["payment_id"])


def card_form(number: str = CARD_NUMBER, **overrides: str) -> dict[str, str]:
    form = {
        "cardNo": number,
        "expiryMonth": "12",
        "expiryYear": str(dt.date.today().year + 2),
        "cardholderName": "Ada Lovelace",
        "cvc": CVC,
        "addressLine1": "10 Downing Street",
        "addressLine2": "",
        "addressCity": "London",
        "addressPostcode": "sw1a2aa",
        "addressCountry": "GB",
        "email": "ada@example.org",
    }
    form.update(overrides)
    return form


async def post_page(client: httpx.AsyncClient, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    """Load `page` for its CSRF token, then post the form to `action`."""
    shown = await client.get(page)
    assert shown.status_code == 200, shown.text
    return await client.post(action, data={**data, "csrf_token": csrf_from(shown.text)})


async def enter_card(client: httpx.AsyncClient, payment_id: str, number: str = CARD_NUMBER) -> httpx.Response:
    page = f"/card_details/{payment_id}"
    return await post_page(client, page, page, card_form(number))


def continues_to(page: httpx.Response) -> str:
    """Where a page sends the browser on by itself (a meta refresh, which needs no JavaScript)."""
    match = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', page.text)
    assert match, "the page does not continue by itself"
    return html.unescape(match.group(1))


def page_text(page: httpx.Response) -> str:
    """The page's words, with tags and runs of white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


async def pay_on_the_pages(client: httpx.AsyncClient, next_url: str, payment_id: str, number: str) -> httpx.Response:
    """Open the next_url, enter the card, confirm it if it was authorised, and take the way back to the service.

    Returns the answer of the payment pages' way back (`/return/{id}`): a redirect to the return URL.
    """
    await open_next_url(client, next_url, payment_id)
    entered = await enter_card(client, payment_id, number)
    assert entered.status_code == 303, entered.text
    page = await client.get(entered.headers["location"])
    if entered.headers["location"].endswith("/confirm"):
        page = await client.post(entered.headers["location"], data={"csrf_token": csrf_from(page.text)})
        assert continues_to(page) == f"/return/{payment_id}"
    else:
        assert f'href="/return/{payment_id}"' in page.text, "an unhappy ending offers the way back"
    return await client.get(f"/return/{payment_id}")
