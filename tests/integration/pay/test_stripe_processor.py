"""One contract for every card processor: the sandbox, and Stripe against localstripe.

The same tests run against `SandboxProcessor` and against `StripeProcessor`
talking, through the unchanged `stripe` library, to localstripe (1.15.10 from
PyPI, someone else's fake but stateful Stripe server) started as a real
process on a loopback port. Each processor names its own test cards for "a
card that succeeds", "one that is declined", "one that needs 3-D Secure" and
"one whose later payments decline"; where the two may honestly differ (a
refund beyond what is left) the rig says what each does.

localstripe's gaps, and what stands in for them:
- it answers "declined" for 4000000000000002 only when the card is attached to
  a customer, so the Stripe rig's declined card is 4000000000000341, which
  real Stripe and localstripe both decline when charged;
- the user's 3-D Secure step happens in the browser with real Stripe; here the
  test plays that part through localstripe's `_authenticate` endpoint (what
  its Stripe.js stand-in calls), then asks the processor for the outcome;
- it has no disputes API: `reported_dispute` and `disputes()` are tested at the
  end on Stripe's documented dispute JSON, through the library, with no network;
- it ignores Idempotency-Key, so a repeated refund is not tested here;
- localstripe_shim.py lists the small changes that make it answer as Stripe does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import json
import logging
import select
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from govplatform.pay.cards import CardDetails, validate_card_number, validate_cvc, validate_expiry
from govplatform.pay.processors.base import Authorisation, AuthorisationResult, CardProcessor, Outcome, ProcessorError
from govplatform.pay.processors.sandbox import SandboxProcessor
from govplatform.pay.processors.stripe import StripeProcessor, reported_dispute

pytestmark = pytest.mark.process

SHIM = Path(__file__).with_name("localstripe_shim.py")
KEY = "sk_test_localstripe"
AMOUNT = 1250  # above Stripe's 30p minimum


@dataclasses.dataclass
class Rig:
    """A processor and its test cards, and how the user's 3-D Secure step is played."""

    processor: CardProcessor
    succeeds: str
    declined: str
    three_d_secure: str
    later_declines: str  # saves on an agreement, but payments against it decline
    refuses_refund_beyond_amount: bool
    user_authenticates: Callable[[str, bool], Awaitable[None]]


async def nobody_needed(processor_id: str, success: bool) -> None:
    """The sandbox's 3-D Secure is our own page: there is nothing to do at an issuer."""


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """localstripe as a real process on a free loopback port; its base URL."""
    if importlib.util.find_spec("localstripe") is None:
        pytest.skip("localstripe is not installed (pip install -c constraints.txt -e '.[dev]')")
    errors = tmp_path_factory.mktemp("localstripe") / "stderr.log"
    with errors.open("w") as stderr:
        process = subprocess.Popen([sys.executable, str(SHIM)], stdout=subprocess.PIPE, stderr=stderr, text=True)
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        line = process.stdout.readline() if ready else ""
        if not line.startswith("localstripe listening on "):
            pytest.fail(f"localstripe did not start: {line!r} {errors.read_text()[-2000:]}")
        base = line.split()[-1]
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/v1/customers", auth=(KEY, ""), timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"localstripe did not answer: {errors.read_text()[-2000:]}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="module")
async def stripe_processor(localstripe: str) -> AsyncIterator[StripeProcessor]:
    processor = StripeProcessor(KEY, localstripe)
    yield processor
    await processor.aclose()


def stripe_user(base: str) -> Callable[[str, bool], Awaitable[None]]:
    """The user's 3-D Secure step, as Stripe.js would take it in the browser (localstripe's `_authenticate`)."""

    async def authenticate(processor_id: str, success: bool) -> None:
        async with httpx.AsyncClient(base_url=base, auth=(KEY, ""), timeout=10) as client:
            intent = (await client.get(f"/v1/payment_intents/{processor_id}")).json()
            answer = await client.post(
                f"/v1/payment_intents/{processor_id}/_authenticate",
                data={"client_secret": intent["client_secret"], "success": "true" if success else "false"},
            )
            answer.raise_for_status()

    return authenticate


@pytest.fixture(params=["sandbox", "stripe"])
def rig(request: pytest.FixtureRequest) -> Rig:
    if request.param == "sandbox":
        return Rig(
            processor=SandboxProcessor(),
            succeeds="4242424242424242",
            declined="4000000000000002",
            three_d_secure="4000002500003155",
            later_declines="5105105105105100",
            refuses_refund_beyond_amount=False,  # Pay's sandbox refunds anything; the service checks first
            user_authenticates=nobody_needed,
        )
    processor = request.getfixturevalue("stripe_processor")
    return Rig(
        processor=processor,
        succeeds="4242424242424242",
        declined="4000000000000341",
        three_d_secure="4000002500003155",
        later_declines="4000002760003184",  # 3-D Secure at set-up, then every off-session payment needs it
        refuses_refund_beyond_amount=True,
        user_authenticates=stripe_user(request.getfixturevalue("localstripe")),
    )


def card(number: str, cvc: str = "123") -> CardDetails:
    checked = validate_card_number(number)
    return CardDetails(
        number=checked,
        cvc=validate_cvc(cvc, checked.brand),
        expiry=validate_expiry("12", "2034", dt.datetime.now(dt.UTC)),
        cardholder_name="Ada Lovelace",
    )


def authorisation(number: str, *, save_card: bool = False, payment_id: str = "pay-contract") -> Authorisation:
    return Authorisation(
        payment_id=payment_id,
        amount=AMOUNT,
        description="Parking permit",
        card=card(number),
        billing_postcode="SW1A 1AA",
        save_card=save_card,
    )


async def authorised(rig: Rig, number: str, *, save_card: bool = False) -> AuthorisationResult:
    """Authorise, taking the 3-D Secure step successfully if the card asks for one."""
    result = await rig.processor.authorise(authorisation(number, save_card=save_card))
    if result.outcome is Outcome.THREE_D_SECURE:
        assert result.processor_id
        await rig.user_authenticates(result.processor_id, True)
        result = await rig.processor.complete_three_d_secure(result.processor_id, True)
    assert result.outcome is Outcome.AUTHORISED, result
    assert result.processor_id
    return result


# --- the contract ---------------------------------------------------------------------------------------------


async def test_a_good_card_is_authorised_with_an_id_and_a_card_type(rig: Rig) -> None:
    result = await rig.processor.authorise(authorisation(rig.succeeds))
    assert result.outcome is Outcome.AUTHORISED
    assert result.processor_id
    assert result.card_type == "credit"
    assert result.instrument is None


async def test_capture_takes_the_payment_and_can_be_asked_again(rig: Rig) -> None:
    result = await authorised(rig, rig.succeeds)
    assert result.processor_id
    first = await rig.processor.capture(result.processor_id, AMOUNT)
    assert first.captured
    assert first.fee is None or first.fee >= 0
    # The answer to a capture can be lost on the way back: asking again must not fail.
    assert (await rig.processor.capture(result.processor_id, AMOUNT)).captured


async def test_refunds_succeed_up_to_the_amount(rig: Rig) -> None:
    result = await authorised(rig, rig.succeeds)
    assert result.processor_id
    assert (await rig.processor.capture(result.processor_id, AMOUNT)).captured
    refund = await rig.processor.refund(result.processor_id, 1000, "refund-one")
    assert refund.succeeded
    assert refund.processor_id
    beyond = await rig.processor.refund(result.processor_id, 500, "refund-two")
    # Pay checks what is left before asking the processor; a processor that checks too refuses, without raising.
    assert beyond.succeeded is not rig.refuses_refund_beyond_amount
    if not beyond.succeeded:
        assert beyond.message


async def test_an_authorisation_can_be_cancelled_and_cancelling_again_is_harmless(rig: Rig) -> None:
    result = await authorised(rig, rig.succeeds)
    assert result.processor_id
    await rig.processor.cancel(result.processor_id)
    await rig.processor.cancel(result.processor_id)


async def test_a_declined_card_is_rejected(rig: Rig) -> None:
    result = await rig.processor.authorise(authorisation(rig.declined))
    assert result.outcome is Outcome.REJECTED
    assert result.message


async def test_three_d_secure_then_authenticated_is_authorised(rig: Rig) -> None:
    result = await rig.processor.authorise(authorisation(rig.three_d_secure))
    assert result.outcome is Outcome.THREE_D_SECURE
    assert result.processor_id
    await rig.user_authenticates(result.processor_id, True)
    done = await rig.processor.complete_three_d_secure(result.processor_id, True)
    assert done.outcome is Outcome.AUTHORISED
    assert done.processor_id == result.processor_id
    assert (await rig.processor.capture(result.processor_id, AMOUNT)).captured


async def test_three_d_secure_failed_is_rejected(rig: Rig) -> None:
    result = await rig.processor.authorise(authorisation(rig.three_d_secure))
    assert result.outcome is Outcome.THREE_D_SECURE
    assert result.processor_id
    await rig.user_authenticates(result.processor_id, False)
    done = await rig.processor.complete_three_d_secure(result.processor_id, False)
    assert done.outcome is Outcome.REJECTED


async def test_three_d_secure_abandoned_on_our_page_is_rejected(rig: Rig) -> None:
    """The user says "fail" on the payment pages without finishing at the issuer."""
    result = await rig.processor.authorise(authorisation(rig.three_d_secure))
    assert result.processor_id
    done = await rig.processor.complete_three_d_secure(result.processor_id, False)
    assert done.outcome is Outcome.REJECTED


async def test_a_saved_card_can_be_charged_again(rig: Rig) -> None:
    result = await authorised(rig, rig.succeeds, save_card=True)
    assert result.instrument
    again = await rig.processor.charge_instrument(result.instrument, "pay-recurring", 900, "Monthly permit")
    assert again.outcome is Outcome.AUTHORISED
    assert again.processor_id
    assert again.processor_id != result.processor_id
    assert (await rig.processor.capture(again.processor_id, 900)).captured


async def test_a_card_whose_later_payments_decline(rig: Rig) -> None:
    result = await authorised(rig, rig.later_declines, save_card=True)
    assert result.instrument
    again = await rig.processor.charge_instrument(result.instrument, "pay-recurring-2", 900, "Monthly permit")
    assert again.outcome is Outcome.REJECTED


async def test_disputes_for_payments_without_any_are_empty(rig: Rig) -> None:
    if isinstance(rig.processor, StripeProcessor):
        pytest.skip("localstripe has no disputes API; the Stripe mapping is tested below on Stripe's JSON")
    result = await authorised(rig, rig.succeeds)
    assert result.processor_id
    assert await rig.processor.disputes([result.processor_id]) == []


# --- Stripe only ----------------------------------------------------------------------------------------------


async def test_stripe_three_d_secure_failed_at_the_issuer_is_rejected_even_if_our_page_says_done(
    stripe_processor: StripeProcessor, localstripe: str
) -> None:
    result = await stripe_processor.authorise(authorisation("4000002500003155"))
    assert result.processor_id
    await stripe_user(localstripe)(result.processor_id, False)
    done = await stripe_processor.complete_three_d_secure(result.processor_id, True)
    assert done.outcome is Outcome.REJECTED


async def test_stripe_three_d_secure_not_yet_taken_is_still_waiting(stripe_processor: StripeProcessor) -> None:
    result = await stripe_processor.authorise(authorisation("4000002500003155"))
    assert result.processor_id
    done = await stripe_processor.complete_three_d_secure(result.processor_id, True)
    assert done.outcome is Outcome.THREE_D_SECURE


async def test_stripe_saves_a_card_that_needed_three_d_secure(
    stripe_processor: StripeProcessor, localstripe: str
) -> None:
    result = await stripe_processor.authorise(authorisation("4000002500003155", save_card=True))
    assert result.processor_id
    assert result.instrument is None  # not saved until authorised
    await stripe_user(localstripe)(result.processor_id, True)
    done = await stripe_processor.complete_three_d_secure(result.processor_id, True)
    assert done.outcome is Outcome.AUTHORISED
    assert done.instrument and done.instrument.startswith("cus_")


async def test_stripe_sends_the_payment_as_pay_does(stripe_processor: StripeProcessor, localstripe: str) -> None:
    result = await stripe_processor.authorise(authorisation("4242424242424242", payment_id="pay-sent"))
    async with httpx.AsyncClient(base_url=localstripe, auth=(KEY, ""), timeout=10) as client:
        intent = (await client.get(f"/v1/payment_intents/{result.processor_id}")).json()
        method = (await client.get(f"/v1/payment_methods/{intent['payment_method']}")).json()
    assert intent["status"] == "requires_capture"
    assert intent["capture_method"] == "manual"
    assert (intent["amount"], intent["currency"]) == (AMOUNT, "gbp")
    assert intent["description"] == "Parking permit"
    assert intent["metadata"] == {"payment_id": "pay-sent"}
    assert method["billing_details"] == {"name": "Ada Lovelace", "address": {"postal_code": "SW1A 1AA"}}
    assert method["card"]["last4"] == "4242"


async def test_stripe_capture_of_a_cancelled_payment_is_refused(stripe_processor: StripeProcessor) -> None:
    result = await stripe_processor.authorise(authorisation("4242424242424242"))
    assert result.processor_id
    await stripe_processor.cancel(result.processor_id)
    captured = await stripe_processor.capture(result.processor_id, AMOUNT)
    assert not captured.captured
    assert captured.message


async def test_stripe_unreachable_raises_processor_error() -> None:
    processor = StripeProcessor(KEY, "http://127.0.0.1:9", max_network_retries=0)
    try:
        with pytest.raises(ProcessorError):
            await processor.authorise(authorisation("4242424242424242"))
        with pytest.raises(ProcessorError):
            await processor.capture("pi_nowhere", AMOUNT)
    finally:
        await processor.aclose()


def test_stripe_refuses_to_start_with_the_library_printing_request_bodies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stripe, "log", "debug")
    with pytest.raises(ValueError, match="card numbers"):
        StripeProcessor(KEY)


# --- disputes, on Stripe's documented JSON (localstripe has none) ---------------------------------------------

# The dispute object as Stripe's API reference shows it, with the PaymentIntent set (as it is for a
# PaymentIntent's charge) and the withdrawal a chargeback makes (amount plus Stripe's £20 dispute fee).
STRIPE_DISPUTE: dict[str, Any] = {
    "id": "du_1MtJUT2eZvKYlo2CNaw2HvEv",
    "object": "dispute",
    "amount": 1000,
    "balance_transactions": [
        {
            "id": "txn_1MtJUT2eZvKYlo2C7Jz6YdGf",
            "object": "balance_transaction",
            "amount": -1000,
            "currency": "gbp",
            "fee": 2000,
            "net": -3000,
            "reporting_category": "dispute",
            "type": "adjustment",
        }
    ],
    "charge": "ch_1AZtxr2eZvKYlo2CJDX8whov",
    "created": 1680651737,
    "currency": "gbp",
    "evidence_details": {"due_by": 1682294399, "has_evidence": False, "past_due": False, "submission_count": 0},
    "is_charge_refundable": True,
    "livemode": False,
    "metadata": {},
    "payment_intent": "pi_3MtJUT2eZvKYlo2C1Mbf8Ydz",
    "reason": "general",
    "status": "needs_response",
}


def dispute(**changes: Any) -> stripe.Dispute:
    return stripe.Dispute.construct_from({**STRIPE_DISPUTE, **changes}, KEY)


def test_a_stripe_dispute_as_pay_reports_it() -> None:
    reported = reported_dispute(dispute())
    assert reported is not None
    assert reported.processor_id == "du_1MtJUT2eZvKYlo2CNaw2HvEv"
    assert reported.payment_processor_id == "pi_3MtJUT2eZvKYlo2C1Mbf8Ydz"
    assert (reported.amount, reported.fee) == (1000, 2000)
    assert (reported.reason, reported.status) == ("general", "needs_response")
    assert reported.evidence_due_epoch == 1682294399


@pytest.mark.parametrize(
    ("stripe_status", "pay_status"),
    [
        ("warning_needs_response", "needs_response"),
        ("needs_response", "needs_response"),
        ("warning_under_review", "under_review"),
        ("under_review", "under_review"),
        ("won", "won"),
        ("warning_closed", "won"),
        ("lost", "lost"),
        ("prevented", None),
        ("a_status_stripe_adds_later", None),
    ],
)
def test_stripe_dispute_statuses(stripe_status: str, pay_status: str | None) -> None:
    reported = reported_dispute(dispute(status=stripe_status))
    assert (reported.status if reported else None) == pay_status


@pytest.mark.parametrize(
    ("stripe_reason", "pay_reason"),
    [
        ("fraudulent", "fraudulent"),
        ("unrecognized", "unrecognised"),
        ("subscription_canceled", "subscription_cancelled"),
        ("product_not_received", "product_not_received"),
        ("insufficient_funds", "other"),
    ],
)
def test_stripe_dispute_reasons(stripe_reason: str, pay_reason: str) -> None:
    reported = reported_dispute(dispute(reason=stripe_reason))
    assert reported is not None and reported.reason == pay_reason


def test_an_inquiry_has_no_fee_and_a_charge_without_intent_is_named_by_its_charge() -> None:
    reported = reported_dispute(
        dispute(
            status="warning_needs_response",
            balance_transactions=[],
            payment_intent=None,
            evidence_details={"due_by": None, "has_evidence": False, "past_due": False, "submission_count": 0},
        )
    )
    assert reported is not None
    assert reported.fee is None
    assert reported.payment_processor_id == "ch_1AZtxr2eZvKYlo2CJDX8whov"
    assert reported.evidence_due_epoch is None


class CannedStripe(stripe.HTTPClient):
    """An HTTP client for the stripe library that answers from a list of bodies (200 unless paired with a status)."""

    name = "canned"

    def __init__(self, answers: list[Mapping[str, Any] | tuple[int, Mapping[str, Any]]]) -> None:
        super().__init__()
        self.answers = list(answers)
        self.urls: list[str] = []

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        self.urls.append(url)
        answer = self.answers.pop(0)
        status, body = answer if isinstance(answer, tuple) else (200, answer)
        return json.dumps(body).encode(), status, {}

    async def sleep_async(self, secs: float) -> None:
        return None

    async def close_async(self) -> None:
        return None


async def test_stripe_disputes_pages_through_recent_disputes_and_keeps_ours() -> None:
    other = {**STRIPE_DISPUTE, "id": "du_other", "payment_intent": "pi_someone_elses"}
    second = {**STRIPE_DISPUTE, "id": "du_second", "payment_intent": "pi_ours_too", "status": "lost"}
    canned = CannedStripe(
        [
            {"object": "list", "url": "/v1/disputes", "has_more": True, "data": [STRIPE_DISPUTE, other]},
            {"object": "list", "url": "/v1/disputes", "has_more": False, "data": [second]},
        ]
    )
    processor = StripeProcessor(KEY, "http://stripe.invalid", http_client=canned)
    found = await processor.disputes(["pi_3MtJUT2eZvKYlo2C1Mbf8Ydz", "pi_ours_too"])
    assert [(d.processor_id, d.status) for d in found] == [
        ("du_1MtJUT2eZvKYlo2CNaw2HvEv", "needs_response"),
        ("du_second", "lost"),
    ]
    assert len(canned.urls) == 2
    assert "created[gte]=" in canned.urls[0] and "limit=100" in canned.urls[0]
    assert "starting_after=du_other" in canned.urls[1]
    assert await processor.disputes([]) == []
    assert len(canned.urls) == 2  # nothing to ask about, nothing asked


# --- Stripe's error answers, as its API reference shows them (no network) ------------------------------------

PAYMENT_METHOD = {
    "id": "pm_1",
    "object": "payment_method",
    "type": "card",
    "card": {"funding": "debit", "last4": "0002"},
}


def card_error(code: str, decline_code: str | None = None) -> tuple[int, dict[str, Any]]:
    error = {
        "type": "card_error",
        "code": code,
        "decline_code": decline_code,
        "message": "Your card was declined.",
        "payment_intent": {"id": "pi_declined", "object": "payment_intent", "status": "requires_payment_method"},
    }
    return 402, {"error": error}


@pytest.mark.parametrize(
    ("answer", "outcome", "processor_id"),
    [
        (card_error("card_declined", "generic_decline"), Outcome.REJECTED, "pi_declined"),
        (card_error("expired_card"), Outcome.REJECTED, "pi_declined"),
        (card_error("processing_error"), Outcome.ERROR, "pi_declined"),
        (
            (400, {"error": {"type": "invalid_request_error", "message": "Sending card numbers directly is unsafe."}}),
            Outcome.ERROR,
            None,
        ),
        (
            (401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}),
            Outcome.ERROR,
            None,
        ),
    ],
)
async def test_stripe_refusals_become_outcomes(
    answer: tuple[int, dict[str, Any]], outcome: Outcome, processor_id: str | None
) -> None:
    processor = StripeProcessor(KEY, "http://stripe.invalid", http_client=CannedStripe([PAYMENT_METHOD, answer]))
    result = await processor.authorise(authorisation("4000000000000002"))
    assert (result.outcome, result.processor_id) == (outcome, processor_id)
    assert result.message


async def test_stripe_rate_limiting_raises_processor_error() -> None:
    limited = (429, {"error": {"type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests"}})
    processor = StripeProcessor(
        KEY, "http://stripe.invalid", max_network_retries=0, http_client=CannedStripe([PAYMENT_METHOD, limited])
    )
    with pytest.raises(ProcessorError):
        await processor.authorise(authorisation("4242424242424242"))


async def test_card_numbers_never_reach_the_logs(
    stripe_processor: StripeProcessor, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    result = await stripe_processor.authorise(authorisation("4000000000000341"))  # declined: our own log line too
    assert result.outcome is Outcome.REJECTED
    assert any(record.name == "stripe" for record in caplog.records)  # the library did log, at INFO
    captured = capsys.readouterr()
    for text in (caplog.text, captured.out, captured.err):
        assert "4000000000000341" not in text
        assert "card[cvc]" not in text and "card%5Bcvc%5D" not in text
