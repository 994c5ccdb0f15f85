"""The paying user's journey: open the next_url, enter card details, 3-D Secure, confirm or cancel.

It follows pay-frontend's route order (`/secure/{token}` -> card details ->
confirm -> return) and connector's states. Authorisation is split around the
processor call: a first unit of work marks the payment `authorising` and keeps
what may be kept of the card (brand, first six, last four, expiry, name,
billing address, email); the processor is called with nothing locked; a second
unit of work records its answer. A second card submission while one is
authorising is refused, so a card is never charged twice for one payment.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Coroutine

import structlog
from sqlalchemy import select

from govplatform.core.interfaces import UnitOfWork, utcnow
from govplatform.pay.cards import CardDetails
from govplatform.pay.component import PayComponent
from govplatform.pay.models import Agreement, Payment
from govplatform.pay.processors.base import Authorisation, AuthorisationResult, Outcome, ProcessorError
from govplatform.pay.requests import BillingAddress
from govplatform.pay.services import operations, payments
from govplatform.pay.states import PaymentState

log = structlog.get_logger("govplatform.pay")
AUTHORISING = payments.AUTHORISING
THREE_D_SECURE = payments.THREE_D_SECURE
COMPLETING_THREE_D_SECURE = payments.COMPLETING_THREE_D_SECURE
_AUTHORISED_STATES = (PaymentState.SUBMITTED, PaymentState.CAPTURABLE, PaymentState.SUCCESS)


class JourneyRefused(Exception):
    """The payment is not where this step can happen (finished, or another tab is ahead)."""


@dataclasses.dataclass(frozen=True)
class CardEntry:
    card: CardDetails
    billing_address: BillingAddress | None
    email: str | None


async def open_token(pay: PayComponent, token: str) -> Payment | None:
    """The payment behind a next_url token, used up; the payment moves to started on first visit."""
    async with pay.uow() as uow:
        payment_id = await payments.use_token(uow, token)
        if payment_id is None:
            return None
        payment = await payments.get(uow, payment_id, for_update=True)
        if payment is None:
            return None
        if payments.state_of(payment) is PaymentState.CREATED:
            await payments.change_state(uow, pay.box, payment, PaymentState.STARTED)
        await uow.commit()
        return payment


async def submit_card(pay: PayComponent, payment_id: str, entry: CardEntry) -> Payment:
    """Authorise the card; the payment as it then stands (submitted, failed, error, or 3-D Secure)."""
    async with pay.uow() as uow:
        payment = await payments.get(uow, payment_id, for_update=True)
        if payment is None or payments.state_of(payment) is not PaymentState.STARTED or payment.stage is not None:
            raise JourneyRefused(payment_id)
        card = entry.card
        payment.stage = AUTHORISING
        payment.card_brand = card.brand.value
        payment.first_digits = card.first_six
        payment.last_digits = card.last_four
        payment.expiry_date = card.expiry.mm_yy
        payment.cardholder_name = card.cardholder_name
        if entry.billing_address is not None:
            payment.billing_address_encrypted = payments.encrypt_address(pay.box, payment.id, entry.billing_address)
        if entry.email:
            payment.email = entry.email
        payment.updated_at = utcnow()
        request = Authorisation(
            payment_id=payment.id,
            amount=payment.amount,
            description=payment.description,
            card=card,
            billing_postcode=entry.billing_address.postcode if entry.billing_address else None,
            save_card=payment.set_up_agreement is not None,
            return_url=f"{pay.base_url}/card_details/{payment.id}/3ds",
        )
        processor = pay.processors[payment.processor]
        await uow.commit()
    result = await _ask(processor.authorise(request), payment_id, None)
    return await _record_authorisation(pay, payment_id, result, expected_stage=AUTHORISING)


async def complete_three_d_secure(pay: PayComponent, payment_id: str, authenticated: bool) -> Payment:
    """The answer to the 3-D Secure step; claimed first, so two at once (a double click) ask the processor once."""
    async with pay.uow() as uow:
        payment = await payments.get(uow, payment_id, for_update=True)
        if payment is None or payment.stage != THREE_D_SECURE or payment.processor_id is None:
            raise JourneyRefused(payment_id)
        payment.stage = COMPLETING_THREE_D_SECURE
        processor, processor_id = pay.processors[payment.processor], payment.processor_id
        await uow.commit()
    result = await _ask(processor.complete_three_d_secure(processor_id, authenticated), payment_id, processor_id)
    return await _record_authorisation(pay, payment_id, result, expected_stage=COMPLETING_THREE_D_SECURE)


async def _ask(
    call: Coroutine[object, object, AuthorisationResult], payment_id: str, processor_id: str | None
) -> AuthorisationResult:
    """The processor's answer; any failure to get one is the processor's error (P0050), never a stuck payment."""
    try:
        return await call
    except ProcessorError:
        return AuthorisationResult(Outcome.ERROR, processor_id, message="processor unavailable")
    except Exception as error:  # a bug or a surprise in an adapter must not leave the payment authorising
        log.error("pay.processor_failed", payment_id=payment_id, error=type(error).__name__)
        return AuthorisationResult(Outcome.ERROR, processor_id, message="processor failed")


async def _record_authorisation(
    pay: PayComponent, payment_id: str, result: AuthorisationResult, *, expected_stage: str
) -> Payment:
    release = False
    async with pay.uow() as uow:
        payment = await payments.get(uow, payment_id, for_update=True)
        assert payment is not None
        still_waiting = payments.state_of(payment) is PaymentState.STARTED and payment.stage == expected_stage
        payment.updated_at = utcnow()
        if not still_waiting:
            # Expired or cancelled while the processor was thinking: let go of the authorisation it gave,
            # unless it is the very one the payment already goes on with.
            state = payments.state_of(payment)
            going_on = state in _AUTHORISED_STATES and result.processor_id == payment.processor_id
            release = result.outcome is Outcome.AUTHORISED and result.processor_id is not None and not going_on
        else:
            await _apply(uow, pay, payment, result, expected_stage)
        await uow.commit()
    if release and result.processor_id:
        await operations.release_authorisation(pay, payment.processor, result.processor_id)
    return payment


async def _apply(
    uow: UnitOfWork, pay: PayComponent, payment: Payment, result: AuthorisationResult, expected_stage: str
) -> None:
    """Record the processor's answer on a payment that was still waiting for it."""
    if result.processor_id:
        payment.processor_id = result.processor_id
    if result.card_type is not None:
        payment.card_type = result.card_type
    if result.outcome is Outcome.THREE_D_SECURE:
        if result.challenge_url or expected_stage == AUTHORISING:  # a step not yet over keeps its page
            payment.three_d_secure_url = result.challenge_url
        payment.stage = THREE_D_SECURE
        payment.three_d_secure_required = True
    elif result.outcome is Outcome.AUTHORISED:
        if expected_stage == COMPLETING_THREE_D_SECURE:
            payment.three_d_secure_required = True
        if payment.set_up_agreement and result.instrument:
            await _save_card(uow, pay, payment, result)
        await payments.change_state(uow, pay.box, payment, PaymentState.SUBMITTED)
    elif result.outcome is Outcome.REJECTED:
        await payments.change_state(uow, pay.box, payment, PaymentState.FAILED_REJECTED)
    else:
        log.info("pay.authorisation_error", payment_id=payment.id, processor=payment.processor)
        await payments.change_state(uow, pay.box, payment, PaymentState.ERROR)


async def _save_card(uow: UnitOfWork, pay: PayComponent, payment: Payment, result: AuthorisationResult) -> None:
    """Keep the card on the agreement the payment sets up; the agreement becomes active on success."""
    agreement = (
        await uow.session.execute(select(Agreement).where(Agreement.id == payment.set_up_agreement))
    ).scalar_one_or_none()
    if agreement is None:
        return
    agreement.processor = payment.processor
    agreement.processor_instrument = result.instrument
    agreement.recurring_declines = result.recurring_declines
    agreement.card_brand = payment.card_brand
    agreement.card_type = payment.card_type
    agreement.first_digits = payment.first_digits
    agreement.last_digits = payment.last_digits
    agreement.expiry_date = payment.expiry_date
    agreement.cardholder_name = payment.cardholder_name
    if payment.billing_address_encrypted:
        address = payments.decrypt_address(pay.box, payment.id, payment.billing_address_encrypted)
        if address:
            agreement.billing_address_encrypted = payments.encrypt_address(
                pay.box, "agreement:" + agreement.id, address
            )


async def confirm(pay: PayComponent, payment_id: str) -> Payment:
    """The user's Confirm: success (captured at once) or capturable for a delayed capture."""
    async with pay.uow() as uow:
        payment = await payments.get(uow, payment_id, for_update=True)
        if payment is None or payments.state_of(payment) is not PaymentState.SUBMITTED:
            raise JourneyRefused(payment_id)
        job_id = None
        if payment.delayed_capture:
            await payments.change_state(uow, pay.box, payment, PaymentState.CAPTURABLE)
        else:
            job_id = await operations.approve_capture(uow, pay, payment)
        if payment.set_up_agreement:
            await _activate_agreement(uow, payment)
        await uow.commit()
    if not payment.delayed_capture:
        await operations.capture_now(pay, payment_id, approved=payment, job_id=job_id)
    return payment


async def _activate_agreement(uow: UnitOfWork, payment: Payment) -> None:
    agreement = await uow.session.get(Agreement, payment.set_up_agreement)
    if agreement is not None and agreement.status == "created" and agreement.processor_instrument:
        agreement.status = "active"
        agreement.instrument_created_at = utcnow()


async def cancel_by_user(pay: PayComponent, payment_id: str) -> Payment:
    """The user's "Cancel payment": failed, P0030."""
    async with pay.uow() as uow:
        payment = await payments.get(uow, payment_id, for_update=True)
        if payment is None:
            raise JourneyRefused(payment_id)
        state = payments.state_of(payment)
        if not payments.try_change_state(state, PaymentState.FAILED_CANCELLED):
            raise JourneyRefused(payment_id)
        release = operations.holds_authorisation(payment)
        await payments.change_state(uow, pay.box, payment, PaymentState.FAILED_CANCELLED)
        await uow.commit()
    if release and payment.processor_id:
        await operations.release_authorisation(pay, payment.processor, payment.processor_id)
    return payment
