"""Agreements for recurring payments: created by the service, activated by a set-up payment.

The life of an agreement follows pay.md section 2: `created` when the service
makes it; `active` once a web payment with `set_up_agreement` has saved a
card to it and been confirmed; `inactive` after a payment against it fails
in a way that cannot be retried; `cancelled` when the service cancels it,
which only an active agreement can be (400 P2501 otherwise).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from govplatform.core.interfaces import UnitOfWork, utcnow
from govplatform.pay.errors import PayError, not_found
from govplatform.pay.ids import new_external_id
from govplatform.pay.interfaces import Account
from govplatform.pay.models import Agreement
from govplatform.pay.requests import AgreementSearch, CreateAgreement, parse_create_agreement, parse_idempotency_key
from govplatform.pay.services import idempotency
from govplatform.pay.services.search import Page, page_of

ENDPOINT = "create_agreement"


async def create_once(
    uow_factory: Callable[..., UnitOfWork], account: Account, body: object, idempotency_header: str | None
) -> idempotency.Done[Agreement]:
    """POST /v1/agreements: a new agreement, or the one an earlier use of the Idempotency-Key made."""
    wanted = parse_create_agreement(body)
    keyed = idempotency.Keyed(account, ENDPOINT, parse_idempotency_key(idempotency_header), idempotency.body_hash(body))

    async def make(uow: UnitOfWork) -> tuple[Agreement, str]:
        agreement = await create(uow, account, wanted)
        return agreement, agreement.id

    async def replay(uow: UnitOfWork, agreement_id: str) -> Agreement | None:
        return await find(uow, account, agreement_id)

    return await idempotency.once(uow_factory, keyed, make, replay)


async def create(uow: UnitOfWork, account: Account, request: CreateAgreement) -> Agreement:
    agreement = Agreement(
        id=new_external_id(),
        service_id=account.service_id,
        live=account.live,
        reference=request.reference,
        description=request.description,
        user_identifier=request.user_identifier,
        status="created",
        created_at=utcnow(),
    )
    uow.session.add(agreement)
    await uow.session.flush()
    return agreement


async def find(uow: UnitOfWork, account: Account, agreement_id: str, *, for_update: bool = False) -> Agreement | None:
    query = select(Agreement).where(
        Agreement.id == agreement_id, Agreement.service_id == account.service_id, Agreement.live == account.live
    )
    if for_update:
        query = query.with_for_update()
    return (await uow.session.execute(query)).scalar_one_or_none()


async def cancel(uow: UnitOfWork, account: Account, agreement_id: str) -> Agreement:
    agreement = await find(uow, account, agreement_id, for_update=True)
    if agreement is None:
        raise not_found("P2500")
    if agreement.status != "active":
        raise PayError(400, "P2501", "Cancellation of agreement failed")
    agreement.status = "cancelled"
    agreement.cancelled_at = utcnow()
    await uow.session.flush()
    return agreement


async def search(uow: UnitOfWork, account: Account, wanted: AgreementSearch) -> Page:
    query = select(Agreement).where(Agreement.service_id == account.service_id, Agreement.live == account.live)
    if wanted.reference is not None:
        query = query.where(Agreement.reference == wanted.reference)
    if wanted.status is not None:
        query = query.where(Agreement.status == wanted.status)
    return await page_of(uow, query, (Agreement.created_at.desc(), Agreement.id), wanted.paging)
