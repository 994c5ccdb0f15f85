"""A payment's metadata can no longer break its account's search (issue 13, fault 5).

`"metadata": {"a": 1e400}` used to answer 500 and yet commit `Infinity`, after
which every list or get that included the payment answered 500. Now such
metadata is refused before anything is stored, and a row that already holds
a value JSON cannot carry is read without it.
"""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from govplatform.core.platform import Platform
from govplatform.pay.errors import PayError
from govplatform.pay.interfaces import Account
from govplatform.pay.models import Payment
from govplatform.pay.requests import CreatePayment
from govplatform.pay.services import payments
from tests.conftest import is_postgres
from tests.integration.pay.support import bearer, pay_key, pay_of, pay_service, payment_body


def _strict(response: httpx.Response) -> Any:
    """The body as a strict JSON reader (any language's but Python's) reads it."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"the body holds {constant}, which is not JSON")

    return json.loads(response.text, parse_constant=refuse)


async def _count(platform: Platform) -> int:
    async with platform.uow(read_only=True) as uow:
        return int((await uow.session.execute(select(func.count()).select_from(Payment))).scalar_one())


async def test_metadata_with_1e400_is_refused_and_nothing_is_stored(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    body = json.dumps(payment_body(metadata={"ledger": "AB12"})).replace('"AB12"}', '"AB12", "a": 1e400}')
    response = await client.post(
        "/v1/payments", content=body, headers={**bearer(key), "Content-Type": "application/json"}
    )
    # The API's JSON reader may refuse the literal itself (400 P0197); past it, the metadata rule does (422).
    assert (response.status_code, response.json()["code"]) in ((422, "P0102"), (400, "P0197")), response.text
    assert response.json().get("field") in ("metadata", None)
    assert await _count(platform) == 0
    listed = await client.get("/v1/payments", headers=bearer(key))
    assert listed.status_code == 200 and _strict(listed)["total"] == 0


async def test_the_service_refuses_metadata_that_is_not_finite_whichever_way_it_arrives(platform: Platform) -> None:
    service_id = await pay_service(platform)
    request = CreatePayment(
        amount=100, reference="ref", description="d", return_url="https://x.gov.uk/r", metadata={"a": math.inf}
    )
    pay = pay_of(platform)
    async with platform.uow() as uow:
        with pytest.raises(PayError) as caught:
            await payments.create_payment(
                uow, pay.box, Account(service_id, False), request, processor="sandbox", key_id=None
            )
    assert (caught.value.status_code, caught.value.code, caught.value.field) == (422, "P0102", "metadata")
    assert await _count(platform) == 0


BAD_STORED = [
    '{"ledger": "AB12", "a": 1e400}',
    '{"ledger": "AB12", "a": -1e400}',
    '{"ledger": "AB12", "a": {"nested": true}}',
    "[1, 2]",
    '"just text"',
]
SQLITE_ONLY = ['{"ledger": "AB12", "a": Infinity}', '{"ledger": "AB12", "a": NaN}', "not json at all {"]


@pytest.mark.parametrize("stored", BAD_STORED + ([] if is_postgres() else SQLITE_ONLY))
async def test_a_row_already_holding_bad_metadata_does_not_break_list_or_get(
    platform: Platform, client: httpx.AsyncClient, stored: str
) -> None:
    key = await pay_key(platform, await pay_service(platform))
    bad = await client.post("/v1/payments", json=payment_body(metadata={"ledger": "AB12"}), headers=bearer(key))
    good = await client.post("/v1/payments", json=payment_body(reference="GOOD-1"), headers=bearer(key))
    bad_id, good_id = bad.json()["payment_id"], good.json()["payment_id"]
    async with platform.uow() as uow:  # as an older release, or a hand-made fix, could have left it
        await uow.session.execute(
            text("UPDATE pay_payments SET metadata = :stored WHERE id = :id"), {"stored": stored, "id": bad_id}
        )
        await uow.commit()
    one = await client.get(f"/v1/payments/{bad_id}", headers=bearer(key))
    assert one.status_code == 200, one.text
    shown = _strict(one)
    assert shown["payment_id"] == bad_id and shown.get("metadata") in (None, {"ledger": "AB12"})
    listed = await client.get("/v1/payments", headers=bearer(key))
    assert listed.status_code == 200, listed.text
    assert {item["payment_id"] for item in _strict(listed)["results"]} == {bad_id, good_id}
    cancelled = await client.post(f"/v1/payments/{bad_id}/cancel", headers=bearer(key))
    assert cancelled.status_code == 204
    assert (await client.get(f"/v1/payments/{bad_id}/events", headers=bearer(key))).status_code == 200
