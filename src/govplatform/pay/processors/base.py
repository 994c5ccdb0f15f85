"""What every card processor does for the pay component, whichever company runs it.

GOV.UK Pay's connector talks to sandbox, Stripe and Worldpay through one
`PaymentProvider` interface; ours is the same idea cut down to the moves the
public API and the payment pages make: authorise (perhaps after a 3-D Secure
step), capture, cancel, refund, and charge a card saved on an agreement.
Card details reach a processor in memory only (`CardDetails` hides the number
and the CVC from repr), and nothing here writes them anywhere.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Protocol

from govplatform.pay.cards import CardDetails


class Outcome(enum.Enum):
    AUTHORISED = "authorised"
    REJECTED = "rejected"  # declined, expired card, CVC wrong: failed / P0010
    ERROR = "error"  # the processor could not process it: error / P0050
    THREE_D_SECURE = "three_d_secure"  # the card issuer wants the user to authenticate first


@dataclasses.dataclass(frozen=True)
class Authorisation:
    """An authorisation request: the payment, the card, and whether to keep the card for an agreement."""

    payment_id: str
    amount: int
    description: str
    card: CardDetails
    billing_postcode: str | None = None
    save_card: bool = False
    # Where the card issuer's 3-D Secure page sends the user back to (our payment page), for processors
    # whose challenge is a page of their own (Stripe's next_action.redirect_to_url).
    return_url: str | None = None


@dataclasses.dataclass(frozen=True)
class AuthorisationResult:
    outcome: Outcome
    processor_id: str | None = None
    message: str | None = None  # the processor's own words, for the logs and the admin pages
    card_type: str | None = None  # credit, debit or None (unknown)
    instrument: str | None = None  # a saved card the processor can charge again (agreements)
    recurring_declines: bool = False  # sandbox only: later payments on the saved card decline
    dispute_expected: bool = False  # sandbox only: the card raises a dispute once captured
    challenge_url: str | None = None  # THREE_D_SECURE: the issuer's page to send the user to, if it has one


@dataclasses.dataclass(frozen=True)
class CaptureResult:
    captured: bool
    fee: int | None = None
    message: str | None = None


@dataclasses.dataclass(frozen=True)
class RefundResult:
    succeeded: bool
    processor_id: str | None = None
    message: str | None = None


@dataclasses.dataclass(frozen=True)
class ReportedDispute:
    """A dispute the processor reports against a captured payment."""

    processor_id: str
    payment_processor_id: str
    amount: int
    fee: int | None
    reason: str
    status: str  # needs_response, under_review, lost, won
    evidence_due_epoch: int | None


class ProcessorError(Exception):
    """The processor could not be reached or answered nonsense; nothing is known to have moved."""


class CardProcessor(Protocol):
    """A card processor; `name` is what the API shows as `payment_provider`."""

    name: str

    async def authorise(self, request: Authorisation) -> AuthorisationResult: ...

    async def complete_three_d_secure(self, processor_id: str, authenticated: bool) -> AuthorisationResult:
        """The answer after the user's 3-D Secure step.

        `authenticated` is what the user chose on our own challenge page (the sandbox's). Where the
        challenge is the issuer's page (Stripe), the processor's own status decides, and False only
        means the user gave up on our page; an answer of THREE_D_SECURE means the step is not over.
        """
        ...

    async def capture(self, processor_id: str, amount: int) -> CaptureResult: ...

    async def cancel(self, processor_id: str) -> None:
        """Release an authorisation that will not be captured."""
        ...

    async def refund(self, processor_id: str, amount: int, refund_id: str) -> RefundResult: ...

    async def charge_instrument(
        self, instrument: str, payment_id: str, amount: int, description: str
    ) -> AuthorisationResult:
        """Take a payment against a card saved on an agreement (no user present)."""
        ...

    async def disputes(self, processor_ids: list[str]) -> list[ReportedDispute]:
        """Disputes raised against these captured payments since they were captured."""
        ...
