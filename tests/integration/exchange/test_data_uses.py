"""A citizen sees every recorded use of data about the identifiers proofing bound to their account, each with a
receipt that verify-receipt checks offline, and nobody else's."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select

from govplatform.core.platform import Platform
from govplatform.transparency.models import LogEntry
from govplatform.transparency.receipt import parse_receipt, verify_receipt
from tests.integration.exchange.test_consent_pages import _resident, _signed_in
from tests.integration.exchange.world import make_world

PAGE = "/exchange/data-uses"


async def test_the_citizen_sees_the_uses_about_their_identifiers_each_with_a_receipt_and_no_one_elses(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    world = await make_world(platform)
    email, totp = await _resident(platform)
    theirs = await world.ask(client, world.body(subject={"scheme": "driving-licence", "value": "resid 804195 d99ab"}))
    others = await world.ask(client)  # another person's licence
    assert theirs.status_code == others.status_code == 200

    shown = await _signed_in(client, PAGE, email, totp)
    assert shown.status_code == 200 and "How your information has been used" in shown.text
    assert "Anytown Council" in shown.text and "Vehicle make" in shown.text and "Being added to the log" in shown.text
    assert shown.text.count("Being added to the log") == 1  # the other person's use is not listed

    await platform.components["transparency"].integrate_all()
    proved = await client.get(PAGE)
    assert "Being added to the log" not in proved.text and "proved" in proved.text
    index = int(proved.text.split("/exchange/data-uses/")[1].split("/")[0])
    receipt = await client.get(f"{PAGE}/{index}/receipt")
    assert receipt.status_code == 200
    transparency = platform.components["transparency"]
    entry = parse_receipt(receipt.text).extra
    assert entry is not None and json.loads(entry)["via"]["provider"]["name"] == "Vehicle Licensing Agency"
    verify_receipt(entry, receipt.text, transparency.verifier_keys, transparency.origin)

    other_leaf = others.json()["leaf_hash"]
    async with platform.uow(read_only=True) as uow:
        other_index = await uow.session.scalar(
            select(LogEntry.index).where(LogEntry.leaf_hash == bytes.fromhex(other_leaf))
        )
    assert other_index is not None
    refused = await client.get(f"{PAGE}/{other_index}/receipt")
    assert refused.status_code == 404  # a use about someone else, though its record exists
    assert (await client.get(f"{PAGE}/99999999/receipt")).status_code == 404
    assert (await client.get(f"{PAGE}/x/receipt")).status_code == 404


async def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    sent = await client.get(PAGE)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/identity/sign-in/start?")
