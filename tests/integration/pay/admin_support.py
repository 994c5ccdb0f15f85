"""Set-up shared by the pay admin page tests: a signed-in team member, paid payments, stored rows."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

from govplatform.core.platform import Platform
from govplatform.core.services import staff
from govplatform.pay.ids import new_external_id
from govplatform.pay.models import Payment, PaymentEvent, Refund
from govplatform.pay.services import journey
from tests.helpers import CLI, ready_user, sign_in
from tests.integration.pay.support import bearer, card, pay_of, payment_body


async def signed_in_member(platform: Platform, client: httpx.AsyncClient, service_id: uuid.UUID, role: str) -> str:
    email = f"{role}-{uuid.uuid4().hex[:6]}@example.gov.uk"
    user_id, secret = await ready_user(platform, email)
    async with platform.uow() as uow:
        await staff.set_role(uow, CLI, service_id, user_id, role)
        await uow.commit()
    await sign_in(client, email, secret)
    return email


def pay_path(service_id: uuid.UUID, account: str = "test") -> str:
    return f"/admin/services/{service_id}/pay/{account}"


async def paid(
    platform: Platform,
    client: httpx.AsyncClient,
    key: str,
    number: str = "4242424242424242",
    name: str = "Ada Lovelace",
    **body: Any,
) -> str:
    """A payment made with the API key and paid by card on the hosted pages' journey; its id."""
    created = await client.post("/v1/payments", json=payment_body(**body), headers=bearer(key))
    assert created.status_code == 201, created.text
    pay = pay_of(platform)
    opened = await journey.open_token(pay, created.json()["_links"]["next_url"]["href"].rsplit("/", 1)[-1])
    assert opened is not None
    payment = await journey.submit_card(pay, opened.id, card(number, name=name))
    if payment.state == "SUBMITTED":
        await journey.confirm(pay, payment.id)
    return str(created.json()["payment_id"])


async def stored_payment(
    platform: Platform,
    service_id: uuid.UUID,
    *,
    amount: int,
    succeeded_at: dt.datetime | None,
    live: bool = True,
    state: str = "SUCCESS",
    surcharge: int | None = None,
    refunds: tuple[tuple[int, dt.datetime | None, str], ...] = (),
) -> str:
    """A payment row as the journey leaves it (and its refunds), at a chosen moment, for the totals."""
    payment_id = new_external_id()
    created_at = (succeeded_at or dt.datetime(2024, 1, 1, tzinfo=dt.UTC)) - dt.timedelta(minutes=5)
    async with platform.uow() as uow:
        uow.session.add(
            Payment(
                id=payment_id,
                service_id=service_id,
                live=live,
                key_id=None,
                processor="sandbox",
                amount=amount,
                reference=f"REF-{payment_id[:6]}",
                description="Stored for a test",
                return_url=None,
                language="en",
                state=state,
                corporate_surcharge=surcharge,
                created_at=created_at,
                updated_at=created_at,
                succeeded_at=succeeded_at,
                captured_at=succeeded_at,
                version=1,
            )
        )
        uow.session.add(PaymentEvent(payment_id=payment_id, state=state, at=succeeded_at or created_at))
        await uow.session.flush()
        for refund_amount, refunded_at, status in refunds:
            uow.session.add(
                Refund(
                    id=new_external_id(),
                    payment_id=payment_id,
                    service_id=service_id,
                    live=live,
                    amount=refund_amount,
                    status=status,
                    created_at=refunded_at or created_at,
                    succeeded_at=refunded_at if status == "success" else None,
                )
            )
        await uow.commit()
    return payment_id
