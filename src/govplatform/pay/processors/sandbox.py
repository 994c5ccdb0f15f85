"""The sandbox processor: answers Pay's documented test cards with their documented outcomes.

It is a real implementation of `CardProcessor` that moves no money: test keys
reach only this processor, as in GOV.UK Pay, so services can rehearse every
outcome (pay.md section 5; `govplatform.pay.sandbox_cards` lists the cards).
Capture and refund succeed at once, as Pay's sandbox does. Its ids are
random, prefixed `sandbox_`, so the admin pages never mistake one for a real
processor's. What it must remember between calls (which payments asked for
3-D Secure, which cards were saved and how they behave, which payments are
to be disputed) is kept in the processor ids themselves, so any worker or web
process can carry on a payment that another one started.
"""

from __future__ import annotations

import secrets

from govplatform.pay.processors.base import (
    Authorisation,
    AuthorisationResult,
    CaptureResult,
    Outcome,
    RefundResult,
    ReportedDispute,
)
from govplatform.pay.sandbox_cards import Corporate, SandboxOutcome, sandbox_card

_DEBIT_CARDS = frozenset({"4000056655665556", "5200828282828210", "4131840000000003", "4000180000000002"})
DISPUTE_REASON = "fraudulent"


def _id(kind: str) -> str:
    return f"sandbox_{kind}_{secrets.token_hex(8)}"


class SandboxProcessor:
    name = "sandbox"

    async def authorise(self, request: Authorisation) -> AuthorisationResult:
        card = sandbox_card(request.card.number.digits)
        if card is None:
            return AuthorisationResult(Outcome.ERROR, message="Unsupported card details.")
        outcome = card.outcome
        card_type = "debit" if card.number in _DEBIT_CARDS or card.corporate is Corporate.PREPAID_DEBIT else "credit"
        if outcome is SandboxOutcome.THREE_D_SECURE:
            # Our own challenge page plays the issuer (no challenge_url); the id remembers a card to save.
            challenge = _id("3dssave" if request.save_card else "3ds")
            return AuthorisationResult(Outcome.THREE_D_SECURE, challenge, card_type=card_type)
        if not outcome.authorised:
            kind = Outcome.REJECTED if outcome.state_after_authorisation.code == "P0010" else Outcome.ERROR
            return AuthorisationResult(kind, _id("auth"), message=outcome.gateway_message or outcome.value)
        dispute = outcome is SandboxOutcome.DISPUTE
        processor_id = _id("dispute" if dispute else "auth")
        instrument = None
        if request.save_card:
            instrument = _id("declines" if card.recurring_declines else "card")
        return AuthorisationResult(
            Outcome.AUTHORISED,
            processor_id,
            card_type=card_type,
            instrument=instrument,
            recurring_declines=card.recurring_declines,
            dispute_expected=dispute,
        )

    async def complete_three_d_secure(self, processor_id: str, authenticated: bool) -> AuthorisationResult:
        if not authenticated:
            return AuthorisationResult(Outcome.REJECTED, processor_id, message="3-D Secure authentication failed")
        instrument = _id("card") if processor_id.startswith("sandbox_3dssave_") else None
        return AuthorisationResult(Outcome.AUTHORISED, processor_id, card_type="credit", instrument=instrument)

    async def capture(self, processor_id: str, amount: int) -> CaptureResult:
        return CaptureResult(captured=True)

    async def cancel(self, processor_id: str) -> None:
        return None

    async def refund(self, processor_id: str, amount: int, refund_id: str) -> RefundResult:
        return RefundResult(succeeded=True, processor_id=_id("refund"))

    async def charge_instrument(
        self, instrument: str, payment_id: str, amount: int, description: str
    ) -> AuthorisationResult:
        if instrument.startswith("sandbox_declines_"):
            return AuthorisationResult(Outcome.REJECTED, _id("auth"), message="declined")
        return AuthorisationResult(Outcome.AUTHORISED, _id("auth"), card_type="credit")

    async def disputes(self, processor_ids: list[str]) -> list[ReportedDispute]:
        """Every captured payment made with the dispute card is disputed (and, being a sandbox, lost)."""
        return [
            ReportedDispute(
                processor_id="sandbox_dp_" + processor_id.removeprefix("sandbox_dispute_"),
                payment_processor_id=processor_id,
                amount=0,  # filled from the payment by the caller
                fee=1500,
                reason=DISPUTE_REASON,
                status="needs_response",
                evidence_due_epoch=None,
            )
            for processor_id in processor_ids
            if processor_id.startswith("sandbox_dispute_")
        ]
