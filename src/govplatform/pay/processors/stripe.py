"""Stripe as a card processor, through Stripe's own Python library (`stripe`).

Why the card details go to Stripe from our servers: GOV.UK Pay collects the
card on its own payment pages and its connector sends the number, expiry and
security code to Stripe server to server, so the paying user sees one
service's pages from start to finish. We do the same: `authorise` creates a
Stripe PaymentMethod from the raw card details, then a PaymentIntent that is
confirmed at once and captured later (`capture_method=manual`: Pay authorises,
and captures only once the user has confirmed, or the service has approved a
delayed capture).

What that costs, plainly: Stripe accepts raw card numbers only from accounts
it has given the "raw card data APIs" permission (ask Stripe support; without
it every authorisation fails with an error), and a platform that handles card
numbers is in PCI DSS scope for SAQ D, the full self-assessment, with the
network segmentation, scanning and penetration testing that goes with it.
docs/pay-stripe.md says what an operator must do.

Card data is never logged, by us or by the library. Our own log lines carry
Stripe's ids, status and error codes only. The library logs every request's
form body at DEBUG (which would include the card number), so the "stripe"
logger gets a filter that drops its DEBUG records, and this processor refuses
to start if the library's own console logging is set to "debug"
(`stripe.log` or STRIPE_LOG). Nothing here keeps a card detail beyond the call.

Outcomes: a card error (a decline, an expired card, a wrong security code, or
an off-session payment the issuer wants authenticated) is REJECTED, except
Stripe's `processing_error`, which is ERROR as in Pay's sandbox; any other
refusal from Stripe is ERROR; a connection failure or rate limit, where nothing
is known to have happened, raises ProcessorError so the caller can try again.

3-D Secure: when the issuer wants the user to authenticate, the intent comes
back `requires_action` and we answer THREE_D_SECURE with the intent's id. The
user then authenticates with their issuer through Stripe (in the browser, for
real Stripe); `complete_three_d_secure` reads the intent back and answers from
its status. The intent carries our payment page as its `return_url`, and the
issuer's page Stripe sends the user to (`next_action.redirect_to_url`) comes
back as the result's `challenge_url`, which the payment pages redirect to.

Agreements (recurring payments): with `save_card` the intent is made for a
new Customer with `setup_future_usage=off_session`, so Stripe keeps the card
on that Customer once the payment is authorised, and the instrument we hand
back is "customer_id:payment_method_id". `charge_instrument` charges it with
`off_session=true`, still `capture_method=manual`, so the service captures as
for any web payment.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

import httpx
import stripe
import structlog

from govplatform.pay.processors.base import (
    Authorisation,
    AuthorisationResult,
    CaptureResult,
    Outcome,
    ProcessorError,
    RefundResult,
    ReportedDispute,
)

if TYPE_CHECKING:
    from stripe.params import PaymentIntentCreateParams, PaymentMethodCreateParamsBillingDetails

log = structlog.get_logger("govplatform.pay")

CURRENCY: Final = "gbp"
TIMEOUT_SECONDS: Final = 30.0
# The library retries a connection failure or a 409/429/5xx this many times, with the same idempotency key.
NETWORK_RETRIES: Final = 2
# How far back to list disputes. The caller asks about payments captured in the last 120 days
# (services/disputes.py), and a dispute comes after its capture; ten days' margin for clock skew.
DISPUTE_LOOKBACK_SECONDS: Final = 130 * 24 * 3600

# Stripe's dispute statuses, as Pay's public API names them (needs_response, under_review, won, lost).
# An inquiry (warning_*) is reported as what it asks for; an inquiry closed without a chargeback
# (warning_closed) cost the service nothing, so it counts as won. Anything else ("prevented", where
# Stripe refunded the payment instead; statuses Stripe adds later) is not reported.
DISPUTE_STATUSES: Final[dict[str, str]] = {
    "warning_needs_response": "needs_response",
    "needs_response": "needs_response",
    "appeal_needs_response": "needs_response",
    "warning_under_review": "under_review",
    "under_review": "under_review",
    "appeal_under_review": "under_review",
    "won": "won",
    "warning_closed": "won",
    "lost": "lost",
}
# Pay's dispute reasons (its OpenAPI spec); Stripe spells two of them the American way.
PAY_DISPUTE_REASONS: Final = frozenset(
    {
        "credit_not_processed",
        "duplicate",
        "fraudulent",
        "general",
        "product_not_received",
        "product_unacceptable",
        "unrecognised",
        "subscription_cancelled",
    }
)
_STRIPE_REASON_SPELLING: Final = {"unrecognized": "unrecognised", "subscription_canceled": "subscription_cancelled"}


class _DropDebugRecords(logging.Filter):
    """The stripe library logs request bodies (card numbers included) at DEBUG: never let them through."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


def _guard_library_logging() -> None:
    logger = logging.getLogger("stripe")
    if not any(isinstance(existing, _DropDebugRecords) for existing in logger.filters):
        logger.addFilter(_DropDebugRecords())
    if "debug" in (stripe.log, os.environ.get("STRIPE_LOG")):
        raise ValueError("stripe.log / STRIPE_LOG is 'debug', which prints card numbers; unset it")


class _Httpx(stripe.HTTPClient):
    """The library's async requests over httpx (which the platform already uses).

    Why not the library's own HTTPXClient: it hands httpx the encoded form body as
    `data=`, which httpx deprecates with a warning on every request. This is the
    same thing with `content=`, and a connection failure becomes the library's
    retryable APIConnectionError exactly as there. (The library's documented way
    to bring your own HTTP client is a subclass of `stripe.HTTPClient`.)
    """

    name = "httpx"

    def __init__(self, timeout_seconds: float) -> None:
        super().__init__()
        self._client = httpx.AsyncClient(timeout=timeout_seconds)

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: str | None = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        try:
            response = await self._client.request(method, url, headers=dict(headers), content=post_data)
        except httpx.HTTPError as error:
            message = f"Could not reach Stripe ({type(error).__name__})"
            raise stripe.APIConnectionError(message, should_retry=True) from error  # type: ignore[no-untyped-call]
        return response.content, response.status_code, response.headers

    async def sleep_async(self, secs: float) -> None:
        await asyncio.sleep(secs)

    async def close_async(self) -> None:
        await self._client.aclose()


class StripeProcessor:
    """`CardProcessor` for Stripe; `api_base` points it at another server (a fake Stripe, in tests).

    Use it from one event loop (the app's): its HTTP connections belong to the loop that opened them.
    """

    name = "stripe"

    def __init__(
        self,
        api_key: str,
        api_base: str | None = None,
        *,
        timeout_seconds: float = TIMEOUT_SECONDS,
        max_network_retries: int = NETWORK_RETRIES,
        http_client: stripe.HTTPClient | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("a Stripe secret key is required")
        _guard_library_logging()
        self._http = http_client or _Httpx(timeout_seconds)
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            http_client=self._http,
            max_network_retries=max_network_retries,
        )

    async def aclose(self) -> None:
        """Close the HTTP connections (at shutdown)."""
        await self._http.close_async()  # type: ignore[no-untyped-call]  # unannotated on the base class

    # --- authorisation -------------------------------------------------------------------------------------

    async def authorise(self, request: Authorisation) -> AuthorisationResult:
        card = request.card
        billing: PaymentMethodCreateParamsBillingDetails = {"name": card.cardholder_name}
        if request.billing_postcode:
            billing["address"] = {"postal_code": request.billing_postcode}
        try:
            method = await self._client.v1.payment_methods.create_async(
                {
                    "type": "card",
                    "card": {
                        "number": card.number.digits,
                        "exp_month": card.expiry.month,
                        "exp_year": card.expiry.year,
                        "cvc": card.cvc,
                    },
                    "billing_details": billing,
                }
            )
            card_type = _card_type(method.card.funding if method.card else None)
            params: PaymentIntentCreateParams = {
                "amount": request.amount,
                "currency": CURRENCY,
                "payment_method": method.id,
                "allowed_payment_method_types": ["card"],
                "confirm": True,
                "capture_method": "manual",
                "description": request.description,
                "metadata": {"payment_id": request.payment_id},
            }
            if request.return_url:
                params["return_url"] = request.return_url  # where the issuer's 3-D Secure page sends the user
            if request.save_card:
                customer = await self._client.v1.customers.create_async(
                    {"metadata": {"payment_id": request.payment_id}}
                )
                params["customer"] = customer.id
                params["setup_future_usage"] = "off_session"
            intent = await self._client.v1.payment_intents.create_async(params)
        except stripe.StripeError as error:
            return _failed_authorisation(error, "authorise", request.payment_id)
        return _from_intent(intent, card_type)

    async def complete_three_d_secure(self, processor_id: str, authenticated: bool) -> AuthorisationResult:
        try:
            intent = await self._client.v1.payment_intents.retrieve_async(processor_id, {"expand": ["payment_method"]})
        except stripe.StripeError as error:
            return _failed_authorisation(error, "complete_three_d_secure", processor_id)
        if not authenticated:
            await self._cancel_quietly(intent)
            return AuthorisationResult(Outcome.REJECTED, processor_id, message="3-D Secure authentication failed")
        return _from_intent(intent, _intent_card_type(intent))

    async def charge_instrument(
        self, instrument: str, payment_id: str, amount: int, description: str
    ) -> AuthorisationResult:
        customer, _, method = instrument.partition(":")
        if not customer.startswith("cus_") or not method:
            return AuthorisationResult(Outcome.ERROR, message="not a Stripe saved card")
        try:
            intent = await self._client.v1.payment_intents.create_async(
                {
                    "amount": amount,
                    "currency": CURRENCY,
                    "customer": customer,
                    "payment_method": method,
                    "allowed_payment_method_types": ["card"],
                    "confirm": True,
                    "off_session": True,
                    "capture_method": "manual",
                    "description": description,
                    "metadata": {"payment_id": payment_id},
                    "expand": ["payment_method"],
                },
                # The same payment is never charged twice, even if this call is repeated.
                {"idempotency_key": f"charge-{payment_id}"},
            )
        except stripe.StripeError as error:
            return _failed_authorisation(error, "charge_instrument", payment_id)
        if intent.status == "requires_action":
            # Nobody is there to authenticate: Stripe's own answer off session is a card error
            # (authentication_required); a server that lets the intent wait gets the same outcome.
            await self._cancel_quietly(intent)
            return AuthorisationResult(Outcome.REJECTED, intent.id, message="authentication_required")
        return _from_intent(intent, _intent_card_type(intent))

    # --- after authorisation --------------------------------------------------------------------------------

    async def capture(self, processor_id: str, amount: int) -> CaptureResult:
        expand = ["latest_charge.balance_transaction"]
        try:
            intent = await self._client.v1.payment_intents.capture_async(
                processor_id, {"amount_to_capture": amount, "expand": expand}
            )
        except stripe.InvalidRequestError as error:
            # Perhaps an earlier capture got through and only its answer was lost.
            intent = await self._retrieve(processor_id, expand)
            if intent.status != "succeeded":
                log.warning("pay.stripe_capture_refused", processor_id=processor_id, code=error.code)
                return CaptureResult(captured=False, message=_message(error))
        except stripe.StripeError as error:
            raise _unavailable(error, "capture") from error
        if intent.status != "succeeded":
            log.warning("pay.stripe_capture_refused", processor_id=processor_id, status=intent.status)
            return CaptureResult(captured=False, message=f"PaymentIntent status {intent.status}")
        return CaptureResult(captured=True, fee=_fee(intent))

    async def cancel(self, processor_id: str) -> None:
        try:
            await self._client.v1.payment_intents.cancel_async(processor_id)
        except stripe.InvalidRequestError as error:
            intent = await self._retrieve(processor_id, [])
            if intent.status != "canceled":
                raise ProcessorError(f"Stripe would not cancel {processor_id} ({intent.status})") from error
        except stripe.StripeError as error:
            raise _unavailable(error, "cancel") from error

    async def refund(self, processor_id: str, amount: int, refund_id: str) -> RefundResult:
        try:
            refund = await self._client.v1.refunds.create_async(
                {"payment_intent": processor_id, "amount": amount, "metadata": {"refund_id": refund_id}},
                # A retried refund (the refunds job tries again after a ProcessorError) is the same refund.
                {"idempotency_key": refund_id},
            )
        except stripe.InvalidRequestError as error:
            log.warning("pay.stripe_refund_refused", processor_id=processor_id, code=error.code)
            return RefundResult(succeeded=False, message=_message(error))
        except stripe.StripeError as error:
            raise _unavailable(error, "refund") from error
        # "pending" refunds complete later without anything more from us; "failed" and "canceled" did not happen.
        succeeded = refund.status in ("succeeded", "pending")
        return RefundResult(succeeded=succeeded, processor_id=refund.id, message=None if succeeded else refund.status)

    async def disputes(self, processor_ids: list[str]) -> list[ReportedDispute]:
        """Stripe's disputes of the last 130 days that concern these PaymentIntents.

        One listing of recent disputes rather than one call per payment: disputes are
        rare and payments are many.
        """
        wanted = set(processor_ids)
        if not wanted:
            return []
        since = int(time.time()) - DISPUTE_LOOKBACK_SECONDS
        found: list[ReportedDispute] = []
        try:
            page = await self._client.v1.disputes.list_async({"created": {"gte": since}, "limit": 100})
            async for dispute in page.auto_paging_iter():
                reported = reported_dispute(dispute)
                if reported is not None and reported.payment_processor_id in wanted:
                    found.append(reported)
        except stripe.StripeError as error:
            raise _unavailable(error, "disputes") from error
        return found

    # --- helpers --------------------------------------------------------------------------------------------

    async def _retrieve(self, processor_id: str, expand: list[str]) -> stripe.PaymentIntent:
        try:
            return await self._client.v1.payment_intents.retrieve_async(processor_id, {"expand": expand})
        except stripe.StripeError as error:
            raise _unavailable(error, "retrieve") from error

    async def _cancel_quietly(self, intent: stripe.PaymentIntent) -> None:
        """Release an intent that will not go on; one that cannot be cancelled is left to expire."""
        if intent.status in ("canceled", "succeeded"):
            return
        try:
            await self._client.v1.payment_intents.cancel_async(intent.id)
        except stripe.StripeError as error:
            log.warning("pay.stripe_cancel_failed", processor_id=intent.id, error=type(error).__name__)


def _from_intent(intent: stripe.PaymentIntent, card_type: str | None) -> AuthorisationResult:
    """What a PaymentIntent's status means for the payment."""
    status = intent.status
    if status in ("requires_capture", "succeeded"):
        return AuthorisationResult(Outcome.AUTHORISED, intent.id, card_type=card_type, instrument=_instrument(intent))
    if status == "requires_action":
        return AuthorisationResult(
            Outcome.THREE_D_SECURE, intent.id, card_type=card_type, challenge_url=_challenge_url(intent)
        )
    if status in ("requires_payment_method", "canceled"):
        error = intent.last_payment_error
        message = (error.message or error.code) if error else None
        return AuthorisationResult(Outcome.REJECTED, intent.id, message=message or status, card_type=card_type)
    log.warning("pay.stripe_unexpected_status", processor_id=intent.id, status=status)
    return AuthorisationResult(Outcome.ERROR, intent.id, message=f"PaymentIntent status {status}")


def _challenge_url(intent: stripe.PaymentIntent) -> str | None:
    """The issuer's authentication page that Stripe asks us to send the user to, if any."""
    action = intent.next_action
    redirect = getattr(action, "redirect_to_url", None) if action is not None else None
    url = getattr(redirect, "url", None) if redirect is not None else None
    return url if isinstance(url, str) else None


def _instrument(intent: stripe.PaymentIntent) -> str | None:
    """The saved card, if this intent was made to keep one."""
    customer, method = _id_of(intent.customer), _id_of(intent.payment_method)
    if customer and method and intent.setup_future_usage == "off_session":
        return f"{customer}:{method}"
    return None


def _failed_authorisation(error: stripe.StripeError, step: str, reference: str) -> AuthorisationResult:
    if isinstance(error, stripe.CardError):
        detail = error.error
        intent = detail.payment_intent if detail else None
        log.info("pay.stripe_card_error", step=step, reference=reference, code=error.code)
        # A processing error is Stripe's "try again", not the issuer's "no": Pay's error, not failed.
        outcome = Outcome.ERROR if error.code == "processing_error" else Outcome.REJECTED
        return AuthorisationResult(outcome, intent.id if intent else None, message=_message(error))
    if isinstance(error, stripe.APIConnectionError | stripe.RateLimitError):
        raise _unavailable(error, step) from error
    log.warning("pay.stripe_error", step=step, reference=reference, error=type(error).__name__, code=error.code)
    return AuthorisationResult(Outcome.ERROR, message=_message(error))


def _unavailable(error: stripe.StripeError, step: str) -> ProcessorError:
    log.warning("pay.stripe_unavailable", step=step, error=type(error).__name__, status=error.http_status)
    return ProcessorError(f"Stripe {step}: {type(error).__name__} ({error.http_status})")


def _message(error: stripe.StripeError) -> str:
    """Stripe's words for the error (they never contain card details), or its class and code."""
    return error.user_message or error.code or type(error).__name__


def _card_type(funding: str | None) -> str | None:
    return funding if funding in ("credit", "debit") else None


def _intent_card_type(intent: stripe.PaymentIntent) -> str | None:
    method = intent.payment_method
    if isinstance(method, stripe.PaymentMethod) and method.card is not None:
        return _card_type(method.card.funding)
    return None


def _id_of(field: object) -> str | None:
    """The id of an expandable field, expanded or not."""
    if field is None or isinstance(field, str):
        return field
    value = getattr(field, "id", None)
    return value if isinstance(value, str) else None


def _fee(intent: stripe.PaymentIntent) -> int | None:
    """Stripe's fee for the payment, from the charge's balance transaction (None if not yet known)."""
    charge = intent.latest_charge
    if not isinstance(charge, stripe.Charge):
        return None
    transaction = charge.balance_transaction
    return transaction.fee if isinstance(transaction, stripe.BalanceTransaction) else None


def reported_dispute(dispute: stripe.Dispute) -> ReportedDispute | None:
    """A Stripe dispute as Pay reports one; None for a status Pay has no name for."""
    status = DISPUTE_STATUSES.get(dispute.status)
    payment = _id_of(dispute.payment_intent) or _id_of(dispute.charge)
    if status is None or payment is None:
        log.info("pay.stripe_dispute_skipped", dispute_id=dispute.id, status=dispute.status)
        return None
    reason = _STRIPE_REASON_SPELLING.get(dispute.reason, dispute.reason)
    transactions = [t for t in dispute.balance_transactions if isinstance(t, stripe.BalanceTransaction)]
    return ReportedDispute(
        processor_id=dispute.id,
        payment_processor_id=payment,
        amount=dispute.amount,
        fee=sum(t.fee for t in transactions) if transactions else None,
        reason=reason if reason in PAY_DISPUTE_REASONS else "other",
        status=status,
        evidence_due_epoch=dispute.evidence_details.due_by if dispute.evidence_details else None,
    )
