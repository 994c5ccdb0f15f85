"""The payments API end to end over HTTP: create, get, events, cancel, capture, search, with Pay's answers."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
from sqlalchemy import update

from govplatform.core.models import ApiKey
from govplatform.core.platform import Platform
from govplatform.core.services import api_keys
from govplatform.core.services.api_keys import StoredKeys
from govplatform.pay.models import Payment
from govplatform.pay.services import operations
from tests.helpers import CLI
from tests.integration.pay.support import bearer, pay_by_card, pay_key, pay_of, pay_service, payment_body


async def _create(client: httpx.AsyncClient, key: str, **overrides: object) -> httpx.Response:
    return await client.post("/v1/payments", json=payment_body(**overrides), headers=bearer(key))


async def test_a_new_payment_is_created_with_pay_s_fields_links_and_headers(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    response = await _create(client, key, email="ada@example.org", metadata={"ledger_code": "AB100", "vat": True})
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"http://127.0.0.1:8000/v1/payments/{body['payment_id']}"
    assert response.headers["cache-control"] == "no-store" and response.headers["pragma"] == "no-cache"
    assert len(body["payment_id"]) == 26
    assert body["amount"] == 2500 and body["reference"] == "PERMIT-1234" and body["language"] == "en"
    assert body["state"] == {"status": "created", "finished": False}
    assert body["payment_provider"] == "sandbox"
    assert body["refund_summary"] == {"status": "pending", "amount_available": 2500, "amount_submitted": 0}
    assert body["settlement_summary"] == {}
    assert body["metadata"] == {"ledger_code": "AB100", "vat": True}
    assert body["email"] == "ada@example.org"
    assert body["delayed_capture"] is False and body["moto"] is False and body["authorisation_mode"] == "web"
    assert body["created_date"].endswith("Z") and len(body["created_date"]) == 24
    links = body["_links"]
    assert set(links) == {"self", "events", "refunds", "next_url", "next_url_post", "cancel"}
    token = links["next_url"]["href"].rsplit("/", 1)[-1]
    assert links["next_url_post"] == {
        "type": "application/x-www-form-urlencoded",
        "params": {"chargeTokenId": token},
        "href": "http://127.0.0.1:8000/secure",
        "method": "POST",
    }
    assert links["cancel"]["method"] == "POST"


async def test_every_get_mints_a_new_single_use_next_url(platform: Platform, client: httpx.AsyncClient) -> None:
    key = await pay_key(platform, await pay_service(platform))
    created = (await _create(client, key)).json()
    first = (await client.get(f"/v1/payments/{created['payment_id']}", headers=bearer(key))).json()
    second = (await client.get(f"/v1/payments/{created['payment_id']}", headers=bearer(key))).json()
    hrefs = {created["_links"]["next_url"]["href"], first["_links"]["next_url"]["href"]}
    hrefs.add(second["_links"]["next_url"]["href"])
    assert len(hrefs) == 3
    pay = pay_of(platform)
    from govplatform.pay.services import journey

    assert await journey.open_token(pay, first["_links"]["next_url"]["href"].rsplit("/", 1)[-1]) is not None
    assert await journey.open_token(pay, first["_links"]["next_url"]["href"].rsplit("/", 1)[-1]) is None
    started = (await client.get(f"/v1/payments/{created['payment_id']}", headers=bearer(key))).json()
    assert started["state"] == {"status": "started", "finished": False}


async def test_a_paid_payment_shows_its_card_and_settlement_and_no_journey_links(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    created = (await _create(client, key)).json()
    paid = await pay_by_card(pay_of(platform), created["_links"]["next_url"]["href"])
    assert paid.state == "SUCCESS"
    body = (await client.get(f"/v1/payments/{created['payment_id']}", headers=bearer(key))).json()
    assert body["state"] == {"status": "success", "finished": True}
    assert body["card_details"] == {
        "last_digits_card_number": "4242",
        "first_digits_card_number": "424242",
        "cardholder_name": "Ada Lovelace",
        "expiry_date": body["card_details"]["expiry_date"],
        "billing_address": {"line1": "10 Downing Street", "city": "London", "postcode": "SW1A 2AA", "country": "GB"},
        "card_brand": "Visa",
        "card_type": "credit",
    }
    assert body["card_brand"] == "Visa" and body["email"] == "ada@example.org"
    assert body["refund_summary"] == {"status": "available", "amount_available": 2500, "amount_submitted": 0}
    assert set(body["settlement_summary"]) == {"capture_submit_time", "captured_date"}
    assert body["provider_id"].startswith("sandbox_")
    assert set(body["_links"]) == {"self", "events", "refunds"}
    events = (await client.get(f"/v1/payments/{created['payment_id']}/events", headers=bearer(key))).json()
    assert [event["state"]["status"] for event in events["events"]] == ["created", "started", "submitted", "success"]
    assert events["events"][0]["_links"]["payment_url"]["href"].endswith(created["payment_id"])


async def test_a_declined_card_fails_the_payment_with_p0010(platform: Platform, client: httpx.AsyncClient) -> None:
    key = await pay_key(platform, await pay_service(platform))
    created = (await _create(client, key)).json()
    await pay_by_card(pay_of(platform), created["_links"]["next_url"]["href"], "4000000000000002")
    body = (await client.get(f"/v1/payments/{created['payment_id']}", headers=bearer(key))).json()
    assert body["state"] == {
        "status": "failed",
        "finished": True,
        "message": "Payment method rejected",
        "code": "P0010",
    }
    assert body["refund_summary"]["status"] == "unavailable"


async def test_a_key_that_is_missing_malformed_or_unknown_gets_a_bare_401(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    tampered = key[:-1] + ("a" if key[-1] != "a" else "b")
    for headers in ({}, {"Authorization": "Basic abc"}, bearer("api_test_nonsense"), bearer(tampered)):
        response = await client.post("/v1/payments", json=payment_body(), headers=headers)
        assert response.status_code == 401 and response.content == b""
        assert (await client.get("/v1/payments", headers=headers)).status_code == 401


async def test_a_key_revoked_in_this_process_is_refused_at_once_though_it_was_just_used(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await pay_service(platform)
    async with platform.uow() as uow:
        key, shown = await api_keys.create_key(uow, CLI, platform.key_formats["pay"], service_id, "Till", "test")
        await uow.commit()
    assert (await client.get("/v1/payments", headers=bearer(shown))).status_code == 200  # the key is now kept
    async with platform.uow() as uow:
        await api_keys.revoke_key(uow, CLI, service_id, key.id)
        await uow.commit()
    response = await client.get("/v1/payments", headers=bearer(shown))
    assert response.status_code == 401 and response.content == b""


async def test_a_key_revoked_in_another_process_is_refused_here_once_its_kept_copy_is_too_old(
    platform: Platform,
) -> None:
    store = StoredKeys(platform.cipher, ttl_seconds=0.2)
    service_id = await pay_service(platform)
    async with platform.uow() as uow:
        key, shown = await api_keys.create_key(uow, CLI, platform.key_formats["pay"], service_id, "Till", "test")
        await uow.commit()

    async def found() -> object:
        async with platform.uow(read_only=True) as uow:
            return await store.find(uow, platform.key_formats["pay"], shown)

    assert (await found()).key_id == key.id  # type: ignore[attr-defined]
    async with platform.uow() as uow:  # as another web process revokes it: this process is not told
        stored = await uow.session.get(ApiKey, key.id)
        assert stored is not None
        stored.revoked_at = stored.created_at
        await uow.commit()
    assert (await found()).key_id == key.id, "still kept, as Notify keeps keys"  # type: ignore[attr-defined]
    await asyncio.sleep(0.25)
    assert await found() is None


async def test_a_test_key_never_sees_a_live_payment(platform: Platform, client: httpx.AsyncClient) -> None:
    service_id = await pay_service(platform)
    test_key, live_key = await pay_key(platform, service_id, "test"), await pay_key(platform, service_id, "live")
    live = (await _create(client, live_key)).json()
    response = await client.get(f"/v1/payments/{live['payment_id']}", headers=bearer(test_key))
    assert response.status_code == 404
    assert response.json() == {"code": "P0200", "description": "Not found"}
    assert (await client.get("/v1/payments", headers=bearer(test_key))).json()["total"] == 0


async def test_a_live_key_needs_an_https_return_url(platform: Platform, client: httpx.AsyncClient) -> None:
    live_key = await pay_key(platform, await pay_service(platform), "live")
    response = await _create(client, live_key, return_url="http://parking.example.gov.uk/return")
    assert response.status_code == 422 and response.json()["code"] == "P0920"
    test_key = await pay_key(platform, await pay_service(platform), "test")
    assert (await _create(client, test_key, return_url="http://localhost:9000/return")).status_code == 201


async def test_a_post_that_is_not_json_is_blocked_with_p0920(platform: Platform, client: httpx.AsyncClient) -> None:
    key = await pay_key(platform, await pay_service(platform))
    response = await client.post("/v1/payments", content=b"amount=100", headers=bearer(key))
    assert response.status_code == 400 and response.json()["code"] == "P0920"
    response = await client.post(
        "/v1/payments", content=b"{not json", headers={**bearer(key), "Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json() == {"code": "P0197", "description": "Unable to parse JSON"}


async def test_cancelling_follows_the_state_machine(platform: Platform, client: httpx.AsyncClient) -> None:
    key = await pay_key(platform, await pay_service(platform))
    created = (await _create(client, key)).json()
    url = f"/v1/payments/{created['payment_id']}/cancel"
    assert (await client.post(url, headers=bearer(key))).status_code == 204
    body = (await client.get(f"/v1/payments/{created['payment_id']}", headers=bearer(key))).json()
    assert body["state"] == {
        "status": "cancelled",
        "finished": True,
        "message": "Payment was cancelled by the service",
        "code": "P0040",
    }
    assert "cancel" not in body["_links"] and "next_url" not in body["_links"]
    again = await client.post(url, headers=bearer(key))
    assert again.status_code == 409 and again.json() == {
        "code": "P0502",
        "description": "Cancellation of payment failed",
    }
    unknown = await client.post("/v1/payments/abcdefghijklmnopqrstuvwxyz/cancel", headers=bearer(key))
    assert unknown.status_code == 404 and unknown.json() == {"code": "P0500", "description": "Not found"}


async def test_a_delayed_capture_waits_for_the_capture_call(platform: Platform, client: httpx.AsyncClient) -> None:
    key = await pay_key(platform, await pay_service(platform))
    created = (await _create(client, key, delayed_capture=True)).json()
    capture_url = f"/v1/payments/{created['payment_id']}/capture"
    early = await client.post(capture_url, headers=bearer(key))
    assert early.status_code == 409 and early.json() == {"code": "P1003", "description": "Payment cannot be captured"}
    await pay_by_card(pay_of(platform), created["_links"]["next_url"]["href"])
    waiting = (await client.get(f"/v1/payments/{created['payment_id']}", headers=bearer(key))).json()
    assert waiting["state"] == {"status": "capturable", "finished": False}
    assert {"capture", "cancel"} <= set(waiting["_links"]) and "next_url" not in waiting["_links"]
    assert (await client.post(capture_url, headers=bearer(key))).status_code == 204
    done = (await client.get(f"/v1/payments/{created['payment_id']}", headers=bearer(key))).json()
    assert done["state"]["status"] == "success" and "captured_date" in done["settlement_summary"]
    missing = await client.post("/v1/payments/abcdefghijklmnopqrstuvwxyz/capture", headers=bearer(key))
    assert missing.status_code == 404 and missing.json()["code"] == "P1000"


async def test_a_payment_left_unfinished_expires_after_90_minutes(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    young = (await _create(client, key)).json()
    old = (await _create(client, key)).json()
    async with platform.uow() as uow:
        await uow.session.execute(
            update(Payment)
            .where(Payment.id == old["payment_id"])
            .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=91))
        )
        await uow.commit()
    assert await operations.expire_due(pay_of(platform)) == 1
    expired = (await client.get(f"/v1/payments/{old['payment_id']}", headers=bearer(key))).json()
    assert expired["state"] == {"status": "failed", "finished": True, "message": "Payment expired", "code": "P0020"}
    assert (await client.get(f"/v1/payments/{young['payment_id']}", headers=bearer(key))).json()["state"][
        "status"
    ] == "created"


async def test_searching_filters_pages_and_links_like_pay(platform: Platform, client: httpx.AsyncClient) -> None:
    key = await pay_key(platform, await pay_service(platform))
    for number in range(5):
        await _create(client, key, reference=f"REF-{number % 2}", email=f"person{number}@example.org")
    found = (await client.get("/v1/payments?reference=REF-1", headers=bearer(key))).json()
    assert found["total"] == 2 and found["count"] == 2 and found["page"] == 1
    assert all(item["reference"] == "REF-1" for item in found["results"])
    assert all("next_url" not in item["_links"] for item in found["results"])
    paged = (await client.get("/v1/payments?display_size=2&page=2", headers=bearer(key))).json()
    assert paged["total"] == 5 and paged["count"] == 2
    assert set(paged["_links"]) == {"self", "first_page", "last_page", "prev_page", "next_page"}
    assert "page=3" in paged["_links"]["last_page"]["href"]
    by_email = (await client.get("/v1/payments?email=PERSON3", headers=bearer(key))).json()
    assert by_email["total"] == 1
    bad = await client.get("/v1/payments?state=capturable", headers=bearer(key))
    assert bad.status_code == 422 and bad.json()["code"] == "P0401"
    beyond = await client.get("/v1/payments?display_size=2&page=9", headers=bearer(key))
    assert beyond.status_code == 404 and beyond.json() == {"code": "P0402", "description": "Page not found"}
