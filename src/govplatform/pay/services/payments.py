"""Payments: creating them, finding them, and every move of their state.

Every move goes through `change_state`, which asks the state machine
(`govplatform.pay.states`) first, writes the ledger event and queues the
webhook messages in the caller's unit of work, so a state, its event and its
webhooks are committed together or not at all. The payment row carries a
version that SQLAlchemy checks on every update: of two processes moving one
payment at once, the second fails instead of overwriting the first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets

from sqlalchemy import select, update

from govplatform.core.interfaces import SecretBox, UnitOfWork, utcnow
from govplatform.pay import metadata
from govplatform.pay.ids import new_external_id
from govplatform.pay.interfaces import Account
from govplatform.pay.models import JourneyToken, Payment, PaymentEvent
from govplatform.pay.requests import BillingAddress, CreatePayment
from govplatform.pay.services import webhooks
from govplatform.pay.states import PaymentState, TransitionRefused, move

TOKEN_BYTES = 32
# Where an unfinished (started) payment is inside its state (`Payment.stage`, at most 24 characters).
AUTHORISING = "authorising"
THREE_D_SECURE = "three_d_secure"
COMPLETING_THREE_D_SECURE = "completing_3ds"
WITH_THE_ISSUER = (THREE_D_SECURE, COMPLETING_THREE_D_SECURE)  # the processor holds a pending authorisation


def state_of(payment: Payment) -> PaymentState:
    return PaymentState[payment.state]


async def create_payment(
    uow: UnitOfWork,
    box: SecretBox,
    account: Account,
    request: CreatePayment,
    *,
    processor: str,
    key_id: object | None,
    payment_link_id: object | None = None,
    now: dt.datetime | None = None,
) -> Payment:
    """A new payment in state created, with its first ledger event."""
    metadata.check(request.metadata)  # whichever way the request came (API, payment link, CLI)
    now = now or utcnow()
    payment = Payment(
        id=new_external_id(),
        service_id=account.service_id,
        live=account.live,
        key_id=key_id,
        processor=processor,
        amount=request.amount,
        reference=request.reference,
        description=request.description,
        return_url=request.return_url,
        language=request.language,
        email=request.email,
        state=PaymentState.CREATED.name,
        delayed_capture=request.delayed_capture,
        moto=request.moto,
        authorisation_mode=request.authorisation_mode,
        agreement_id=request.agreement_id or request.set_up_agreement,  # Pay shows it on set-up payments too
        set_up_agreement=request.set_up_agreement,
        agreement_payment_type=request.agreement_payment_type,
        payment_metadata=request.metadata,
        prefilled_cardholder_name=request.cardholder_name,
        payment_link_id=payment_link_id,
        created_at=now,
        updated_at=now,
        version=1,
    )
    if request.billing_address is not None:
        payment.prefilled_address_encrypted = encrypt_address(box, payment.id, request.billing_address)
    uow.session.add(payment)
    uow.session.add(PaymentEvent(payment_id=payment.id, state=payment.state, at=now))
    await uow.session.flush()
    return payment


def encrypt_address(box: SecretBox, payment_id: str, address: BillingAddress | dict[str, str]) -> str:
    fields = address.to_api() if isinstance(address, BillingAddress) else address
    return box.encrypt_text(json.dumps(fields), f"pay-address:{payment_id}")


def decrypt_address(box: SecretBox, payment_id: str, token: str | None) -> dict[str, str] | None:
    if not token:
        return None
    value = json.loads(box.decrypt_text(token, f"pay-address:{payment_id}"))
    return value if isinstance(value, dict) else None


async def find(uow: UnitOfWork, account: Account, payment_id: str, *, for_update: bool = False) -> Payment | None:
    """The account's payment with this id, or None (another account's payments are not found)."""
    query = select(Payment).where(
        Payment.id == payment_id, Payment.service_id == account.service_id, Payment.live == account.live
    )
    if for_update:
        query = query.with_for_update()
    return (await uow.session.execute(query)).scalar_one_or_none()


async def get(uow: UnitOfWork, payment_id: str, *, for_update: bool = False) -> Payment | None:
    """Any payment by id, for the payment pages (whose token or session already names it)."""
    query = select(Payment).where(Payment.id == payment_id)
    if for_update:
        query = query.with_for_update()
    return (await uow.session.execute(query)).scalar_one_or_none()


async def change_state(
    uow: UnitOfWork, box: SecretBox, payment: Payment, target: PaymentState, now: dt.datetime | None = None
) -> None:
    """Move the payment (TransitionRefused if the state machine forbids it) and record the event."""
    now = now or utcnow()
    current = state_of(payment)
    move(current, target)
    payment.state = target.name
    payment.updated_at = now
    if target is not PaymentState.STARTED:
        payment.stage = None
    if target is PaymentState.SUCCESS:
        payment.succeeded_at = now
        payment.capture_submitted_at = now
    uow.session.add(PaymentEvent(payment_id=payment.id, state=target.name, at=now))
    event_type = webhooks.event_for_state(target)
    if event_type is not None:
        await webhooks.queue(uow, box, payment, event_type, now)


def try_change_state(current: PaymentState, target: PaymentState) -> bool:
    try:
        move(current, target)
    except TransitionRefused:
        return False
    return True


async def mint_token(uow: UnitOfWork, payment: Payment) -> str:
    """A new single-use token for the payment's next_url; only its hash is stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    uow.session.add(JourneyToken(token_hash=token_hash(token), payment_id=payment.id))
    await uow.session.flush()
    return token


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def use_token(uow: UnitOfWork, token: str) -> str | None:
    """The payment id of an unused token, marking it used; None if unknown or already used."""
    result = await uow.session.execute(
        update(JourneyToken)
        .where(JourneyToken.token_hash == token_hash(token), JourneyToken.used.is_(False))
        .values(used=True)
        .returning(JourneyToken.payment_id)
    )
    return result.scalar_one_or_none()


async def events(uow: UnitOfWork, payment_id: str) -> list[PaymentEvent]:
    query = select(PaymentEvent).where(PaymentEvent.payment_id == payment_id).order_by(PaymentEvent.id)
    return list((await uow.session.execute(query)).scalars())
