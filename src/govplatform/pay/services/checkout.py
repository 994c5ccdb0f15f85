"""pay/interfaces.py's `JourneyPayments`: the payments that journeys inside the platform take.

Nothing here decides what Pay's public API does not. A request becomes the
body of `POST /v1/payments` and is created by `creating.create_keyed`, so it
meets the same checks in Pay's order (with Pay's codes and words), the same
Idempotency-Key mechanism, the same `create_payment`, ledger event and
webhooks. The next_url is minted as `GET /v1/payments/{id}` mints it, and
cancelling is the API's cancel. The payment belongs to the account named,
has no API key (`key_id` None), and shows in the admin pages, the API and
webhooks like any other.

Two things are the platform's own, and both are about the caller being
inside the platform:

- The journey step's key stands for the Idempotency-Key. It is hashed, so any
  text a caller uses fits Pay's key rules, and kept under an endpoint name of
  its own, so it can never meet a key an API client sent.
- The return address must be inside the platform: a path, put under the base
  URL, or a URL that starts with the base URL and a "/". Nothing else is
  taken, so the payment pages' way back (`/return/{id}`) can only lead to the
  platform. A service's return URL prefixes name its own sites and are not
  asked; Pay's other return_url checks (a valid URL, https on a live account)
  still are.

Pay's refusals come back as `PaymentRefused` with Pay's code, description and
field; a platform fault (Pay's 5xx) is not the caller's to show and passes on.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from govplatform.core.interfaces import JsonBodyError, UnitOfWork, parse_json_body
from govplatform.pay.cards import brand_label
from govplatform.pay.component import PayComponent
from govplatform.pay.errors import PayError, body_refused
from govplatform.pay.ids import is_external_id
from govplatform.pay.interfaces import (
    Account,
    PaymentNotFound,
    PaymentOutcome,
    PaymentRefused,
    PaymentRequest,
    StartedPayment,
)
from govplatform.pay.models import Payment
from govplatform.pay.services import creating, idempotency, operations, payments

ENDPOINT = "journey_payment"  # where journey steps' keys are kept, apart from API clients' Idempotency-Keys
JOURNEY_KEY_MAX = 255
_NOT_A_URL_CHARACTER = frozenset("\\\x7f") | frozenset(chr(code) for code in range(0x21))
_OUTSIDE = "Invalid attribute value: return_url. Must be a path inside the platform or a URL under its base URL"
_NOT_JSON = "Invalid attribute value: every value must be a string, a whole number, a number or true or false"
_STEP_REUSED = (
    "This journey step has already made a payment with different details. Use a new journey key for a new payment."
)


def platform_return_url(base_url: str, return_to: str) -> str:
    """The absolute return URL for `return_to`; PaymentRefused if it could lead anywhere but the platform."""
    if not return_to or any(ch in _NOT_A_URL_CHARACTER for ch in return_to):
        raise PaymentRefused("P0102", _OUTSIDE, "return_url")
    if return_to.startswith(base_url + "/"):
        return return_to
    if return_to.startswith("/") and not return_to.startswith("//"):  # "//host" is another site to a browser
        return base_url + return_to
    raise PaymentRefused("P0102", _OUTSIDE, "return_url")


def api_body(request: PaymentRequest, return_url: str) -> object:
    """The request as the body of POST /v1/payments, read back as the API reads a body.

    Core's safe JSON parser refuses what no API takes (NUL, a lone surrogate, NaN), which Pay's own
    parser, given the decoded body, does not look for.
    """
    body: dict[str, Any] = {
        "amount": request.amount,
        "reference": request.reference,
        "description": request.description,
        "return_url": return_url,
        "language": request.language,
    }
    if request.metadata is not None:
        body["metadata"] = dict(request.metadata)
    if request.email is not None:
        body["email"] = request.email
    if request.cardholder_name is not None:
        body["prefilled_cardholder_details"] = {"cardholder_name": request.cardholder_name}
    try:
        raw = json.dumps(body).encode()
    except (TypeError, ValueError):
        raise PaymentRefused("P0102", _NOT_JSON) from None
    try:
        return parse_json_body(raw)
    except JsonBodyError as error:
        raise refused(body_refused(error)) from None


def outcome_of(payment: Payment) -> PaymentOutcome:
    state = payments.state_of(payment)
    return PaymentOutcome(
        payment_id=payment.id,
        reference=payment.reference,
        amount=payment.amount,
        status=state.status,
        finished=state.finished,
        code=state.code,
        message=state.message,
        card_brand=brand_label(payment.card_brand),
        last_digits=payment.last_digits,
    )


def refused(error: PayError) -> Exception:
    """Pay's refusal in the interface's terms; a platform fault stays what it is."""
    if error.status_code >= 500:
        return error
    if error.status_code == 404:
        return PaymentNotFound(error.code, error.description, error.field)
    if error.code == "P0191":  # the Idempotency-Key's words would mislead a caller that sent no such header
        return PaymentRefused(error.code, _STEP_REUSED, "journey_key")
    return PaymentRefused(error.code, error.description, error.field)


class Checkout:
    """Pay's `JourneyPayments` (pay/interfaces.py), lent to higher components by the composition root."""

    def __init__(self, pay: PayComponent) -> None:
        self._pay = pay

    def _next_url(self, token: str | None) -> str | None:
        return None if token is None else f"{self._pay.base_url}/secure/{token}"  # as the API's next_url

    async def create_payment(self, account: Account, journey_key: str, request: PaymentRequest) -> StartedPayment:
        if not journey_key or len(journey_key) > JOURNEY_KEY_MAX:
            raise PaymentRefused(
                "P0102",
                f"Invalid attribute value: journey_key. Must be 1 to {JOURNEY_KEY_MAX} characters",
                "journey_key",
            )
        body = api_body(request, platform_return_url(self._pay.base_url, request.return_to))
        key = hashlib.sha256(journey_key.encode("utf-8", "surrogatepass")).hexdigest()
        keyed = idempotency.Keyed(account, ENDPOINT, key, idempotency.body_hash(body))
        try:
            created = await creating.create_keyed(self._pay, keyed, body, key_id=None, platform_return=True)
        except PayError as error:
            raise refused(error) from None
        return StartedPayment(outcome_of(created.payment), self._next_url(created.token), created.replayed)

    async def next_url(self, account: Account, payment_id: str) -> str | None:
        async with self._pay.uow() as uow:
            payment = await _find(uow, account, payment_id)
            token = await creating.token_if_open(uow, payment)  # a fresh single-use token, as each GET mints
            await uow.commit()
        return self._next_url(token)

    async def outcome(self, account: Account, payment_id: str) -> PaymentOutcome:
        async with self._pay.uow(read_only=True) as uow:
            return outcome_of(await _find(uow, account, payment_id))

    async def cancel(self, account: Account, payment_id: str) -> PaymentOutcome:
        if not is_external_id(payment_id):
            raise PaymentNotFound("P0500", "Not found")
        try:
            await operations.cancel_by_service(self._pay, account, payment_id)
        except PayError as error:
            raise refused(error) from None
        return await self.outcome(account, payment_id)


async def _find(uow: UnitOfWork, account: Account, payment_id: str) -> Payment:
    found = await payments.find(uow, account, payment_id) if is_external_id(payment_id) else None
    if found is None:
        raise PaymentNotFound("P0200", "Not found")
    return found
