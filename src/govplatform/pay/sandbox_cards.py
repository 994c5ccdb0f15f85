"""The sandbox processor's test cards: which number gives which answer.

Test keys reach only the sandbox, and services test their journeys with the
numbers GOV.UK Pay documents, so our sandbox answers them exactly as Pay's
does (pay.md section 5; pay-connector `gateway/sandbox/SandboxCardNumbers`,
matched on the full number). Any other number gets the gateway error
"Unsupported card details.", which Pay shows as `error` / P0050.

Three cards are our own additions, marked `ours`, because Pay's sandbox has no
such card (pay.md: "There is no sandbox 3DS"; disputes come only from Stripe).
Each reuses the number Stripe's test mode gives the same meaning, so a card
behaves alike on both processors:

- 4000000000000259 authorises and is captured, then the sandbox raises a
  dispute against it (Stripe: "Payment disputed and lost");
- 4000002500003155 asks for a 3-D Secure step before it authorises
  (Stripe: "Requires 3DS check");
- 2221000000000009 is the 2-series Mastercard that pay-cardid's test data
  describes; pay.md lists it as 222100000000000, 15 digits, which fails the
  16-digit Mastercard length that the card page checks.
"""

from __future__ import annotations

import dataclasses
import enum

from govplatform.pay.cards import normalise_card_number
from govplatform.pay.states import PaymentState

UNSUPPORTED_CARD_MESSAGE = "Unsupported card details."
PROCESSING_ERROR_MESSAGE = "This transaction could be not be processed."  # Pay's wording, typo and all


class SandboxOutcome(enum.Enum):
    """What the sandbox answers to an authorisation, and the state the payment ends in."""

    SUCCESS = "success"
    DECLINED = "declined"
    EXPIRED_CARD = "expired_card"
    CVC_ERROR = "cvc_error"
    PROCESSING_ERROR = "processing_error"
    UNSUPPORTED = "unsupported"
    THREE_D_SECURE = "three_d_secure"
    DISPUTE = "dispute"

    @property
    def authorised(self) -> bool:
        return self in (SandboxOutcome.SUCCESS, SandboxOutcome.THREE_D_SECURE, SandboxOutcome.DISPUTE)

    @property
    def state_after_authorisation(self) -> PaymentState:
        """SUBMITTED (awaiting the user's Confirm) if authorised, else the unhappy ending."""
        if self.authorised:
            return PaymentState.SUBMITTED
        if self in (SandboxOutcome.DECLINED, SandboxOutcome.EXPIRED_CARD, SandboxOutcome.CVC_ERROR):
            return PaymentState.FAILED_REJECTED
        return PaymentState.ERROR

    @property
    def gateway_message(self) -> str | None:
        if self is SandboxOutcome.PROCESSING_ERROR:
            return PROCESSING_ERROR_MESSAGE
        if self is SandboxOutcome.UNSUPPORTED:
            return UNSUPPORTED_CARD_MESSAGE
        return None


class Corporate(enum.Enum):
    """Corporate cards, on which services may add a surcharge."""

    CREDIT = "credit"
    PREPAID_DEBIT = "prepaid_debit"


@dataclasses.dataclass(frozen=True)
class SandboxCard:
    number: str
    outcome: SandboxOutcome
    corporate: Corporate | None = None
    recurring_declines: bool = False  # agreement set-up succeeds, later recurring payments decline
    ours: bool = False


_OK = SandboxOutcome.SUCCESS
SANDBOX_CARDS: tuple[SandboxCard, ...] = (
    # pay.md: success.
    SandboxCard("4242424242424242", _OK),
    SandboxCard("4444333322221111", _OK),
    SandboxCard("4000056655665556", _OK),
    SandboxCard("5105105105105100", _OK, recurring_declines=True),
    SandboxCard("371449635398431", _OK),
    SandboxCard("3566002020360505", _OK),
    SandboxCard("6011000990139424", _OK),
    SandboxCard("36148900647913", _OK),
    SandboxCard("4917610000000000003", _OK),
    SandboxCard("222100000000000", _OK),
    SandboxCard("4000000000000010", _OK),
    SandboxCard("4000160000000004", _OK),
    SandboxCard("4000020000000000", _OK),
    # pay.md: success with a corporate surcharge.
    SandboxCard("4988080000000000", _OK, corporate=Corporate.CREDIT),
    SandboxCard("4111111111111111", _OK, corporate=Corporate.CREDIT),
    SandboxCard("4293189100000008", _OK, corporate=Corporate.CREDIT),
    SandboxCard("5101180000000007", _OK, corporate=Corporate.CREDIT),
    SandboxCard("4131840000000003", _OK, corporate=Corporate.PREPAID_DEBIT),
    SandboxCard("4000180000000002", _OK, corporate=Corporate.PREPAID_DEBIT),
    SandboxCard("5200828282828210", _OK, corporate=Corporate.PREPAID_DEBIT),
    # pay.md: unhappy endings.
    SandboxCard("4000000000000002", SandboxOutcome.DECLINED),
    SandboxCard("4000000000000069", SandboxOutcome.EXPIRED_CARD),
    SandboxCard("4000000000000127", SandboxOutcome.CVC_ERROR),
    SandboxCard("4000000000000119", SandboxOutcome.PROCESSING_ERROR),
    # Ours (see the module docstring).
    SandboxCard("4000000000000259", SandboxOutcome.DISPUTE, ours=True),
    SandboxCard("4000002500003155", SandboxOutcome.THREE_D_SECURE, ours=True),
    SandboxCard("2221000000000009", _OK, ours=True),
)
_BY_NUMBER: dict[str, SandboxCard] = {card.number: card for card in SANDBOX_CARDS}


def sandbox_card(card_number: str) -> SandboxCard | None:
    """The test card with this number (spaces and dashes allowed), or None."""
    return _BY_NUMBER.get(normalise_card_number(card_number))


def outcome_for(card_number: str) -> SandboxOutcome:
    """What the sandbox answers when asked to authorise this card number."""
    card = sandbox_card(card_number)
    return SandboxOutcome.UNSUPPORTED if card is None else card.outcome
