"""POST /v1/payments as a whole: check, honour the Idempotency-Key, create, mint the next_url.

Payments against an agreement have no user present: once created they are
charged to the agreement's saved card straight away (started, then
submitted, then a final state, as pay.md section 2 describes).
"""

from __future__ import annotations

import dataclasses
import uuid

import structlog

from govplatform.core.interfaces import AuthenticatedKey, UnitOfWork
from govplatform.pay.component import PayComponent
from govplatform.pay.errors import PayError
from govplatform.pay.interfaces import Account
from govplatform.pay.models import Agreement, Payment
from govplatform.pay.processors.base import AuthorisationResult, Outcome, ProcessorError
from govplatform.pay.requests import CreatePayment, parse_create_payment, parse_idempotency_key
from govplatform.pay.services import idempotency, operations, payments
from govplatform.pay.services.settings import current
from govplatform.pay.states import AuthorisationMode, PaymentState, link_names

log = structlog.get_logger("govplatform.pay")
ENDPOINT = "create_payment"


@dataclasses.dataclass(frozen=True)
class Created:
    payment: Payment
    token: str | None  # the first next_url token (web payments)
    replayed: bool


def account_of(key: AuthenticatedKey) -> Account:
    return Account(key.service.id, key.key_type == "live")


async def create(pay: PayComponent, key: AuthenticatedKey, body: object, idempotency_header: str | None) -> Created:
    account = account_of(key)
    keyed = idempotency.Keyed(account, ENDPOINT, parse_idempotency_key(idempotency_header), idempotency.body_hash(body))
    return await create_keyed(pay, keyed, body, key_id=key.key_id)


async def create_keyed(
    pay: PayComponent,
    keyed: idempotency.Keyed,
    body: object,
    *,
    key_id: uuid.UUID | None,
    platform_return: bool = False,
) -> Created:
    """Create from a Pay API body on the keyed account, once per idempotency key.

    `key_id` is the API key that asked (None: the platform asked, for a journey of its own).
    `platform_return` says the caller has already made sure the return URL is inside the platform,
    so a service's return URL prefixes, which name its own sites, do not apply to it.
    """
    account = keyed.account

    async def make(uow: UnitOfWork) -> tuple[tuple[Payment, str | None], str]:
        settings = await current(uow, pay.directory, account.service_id)
        request = parse_create_payment(
            body,
            live=account.live,
            allow_zero_amount=settings.allow_zero_amount,
            return_url_prefixes=() if platform_return else settings.return_url_prefixes,
        )
        await _check_agreement(uow, account, request)
        payment = await payments.create_payment(
            uow, pay.box, account, request, processor=pay.processor_for(account.live), key_id=key_id
        )
        return (payment, await token_if_open(uow, payment)), payment.id

    async def replay(uow: UnitOfWork, payment_id: str) -> tuple[Payment, str | None] | None:
        original = await payments.find(uow, account, payment_id)
        return None if original is None else (original, await token_if_open(uow, original))

    done = await idempotency.once(pay.uow, keyed, make, replay)
    payment, token = done.value
    if not done.replayed and payment.authorisation_mode == "agreement":
        payment = await charge_agreement(pay, payment.id)
    return Created(payment, token, replayed=done.replayed)


async def token_if_open(uow: UnitOfWork, payment: Payment) -> str | None:
    names = link_names(payments.state_of(payment), AuthorisationMode(payment.authorisation_mode))
    return await payments.mint_token(uow, payment) if "next_url" in names else None


async def _check_agreement(uow: UnitOfWork, account: Account, request: CreatePayment) -> None:
    wanted = request.set_up_agreement or request.agreement_id
    if wanted is None:
        return
    agreement = await uow.session.get(Agreement, wanted)
    belongs = agreement is not None and agreement.service_id == account.service_id and agreement.live == account.live
    if request.set_up_agreement is not None:
        if not belongs:
            raise PayError(
                400,
                "P0103",
                "Invalid attribute value: set_up_agreement. Agreement ID does not exist",
                field="set_up_agreement",
            )
        return
    if not belongs:
        raise PayError(
            400, "P0103", "Invalid attribute value: agreement_id. Agreement ID does not exist", field="agreement_id"
        )
    assert agreement is not None
    if agreement.status != "active":
        raise PayError(
            400, "P0103", "Invalid attribute value: agreement_id. Agreement must be active", field="agreement_id"
        )


async def _record_charge(
    uow: UnitOfWork, pay: PayComponent, payment: Payment, result: AuthorisationResult
) -> uuid.UUID | None:
    """Record the processor's answer; the capture job's id when the charge was authorised."""
    payment.processor_id = result.processor_id
    if result.outcome is Outcome.AUTHORISED:
        await payments.change_state(uow, pay.box, payment, PaymentState.SUBMITTED)
        return await operations.approve_capture(uow, pay, payment)
    if result.outcome is Outcome.REJECTED:
        payment.can_retry = False
        await payments.change_state(uow, pay.box, payment, PaymentState.FAILED_REJECTED)
        agreement = await uow.session.get(Agreement, payment.agreement_id)
        if agreement is not None and agreement.status == "active":
            agreement.status = "inactive"  # pay.md: a recurring payment failing with can_retry false
    else:
        payment.can_retry = True
        await payments.change_state(uow, pay.box, payment, PaymentState.ERROR)
    return None


async def charge_agreement(pay: PayComponent, payment_id: str) -> Payment:
    """Take an agreement payment from the saved card: started, submitted, then success or failed."""
    async with pay.uow() as uow:
        payment = await payments.get(uow, payment_id, for_update=True)
        assert payment is not None
        agreement = await uow.session.get(Agreement, payment.agreement_id)
        assert agreement is not None
        await payments.change_state(uow, pay.box, payment, PaymentState.STARTED)
        payment.stage = payments.AUTHORISING
        for field in ("card_brand", "card_type", "first_digits", "last_digits", "expiry_date", "cardholder_name"):
            setattr(payment, field, getattr(agreement, field))
        instrument, processor = agreement.processor_instrument or "", pay.processors[payment.processor]
        amount, description = payment.amount, payment.description
        await uow.commit()
    try:
        result = await processor.charge_instrument(instrument, payment_id, amount, description)
    except ProcessorError:
        result = AuthorisationResult(Outcome.ERROR, message="processor unavailable")
    except Exception as error:  # an adapter's surprise must not leave the payment authorising
        log.error("pay.processor_failed", payment_id=payment_id, error=type(error).__name__)
        result = AuthorisationResult(Outcome.ERROR, message="processor failed")
    release, job_id = False, None
    async with pay.uow() as uow:
        payment = await payments.get(uow, payment_id, for_update=True)
        assert payment is not None
        if payments.state_of(payment) is not PaymentState.STARTED or payment.stage != payments.AUTHORISING:
            # Expired while the processor was charging the card: the answer changes nothing, and an
            # authorisation it gave is released rather than left on the card.
            release = result.outcome is Outcome.AUTHORISED and result.processor_id is not None
        else:
            job_id = await _record_charge(uow, pay, payment, result)
            await uow.commit()
    if release and result.processor_id:
        await operations.release_authorisation(pay, payment.processor, result.processor_id)
        return payment
    if result.outcome is Outcome.AUTHORISED:
        await operations.capture_now(pay, payment_id, job_id=job_id)
        async with pay.uow(read_only=True) as uow:
            refreshed = await payments.get(uow, payment_id)
            assert refreshed is not None
            payment = refreshed
    return payment
