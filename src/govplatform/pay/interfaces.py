"""What higher components (forms, exchange) may use from pay: plain data types and one protocol.

They import pay only through this module (an import-linter contract keeps it
so). A journey inside the platform that ends in a payment (a form's last step)
asks `JourneyPayments`, which the composition root lends as
`platform.components["pay.journeys"]`, to create a payment on a service's test
or live account, sends the payer to its `next_url` (Pay's hosted card pages),
and when the payer comes back to the journey's return page, asks for the
payment's outcome as it now stands. The return page's address carries no
outcome, as on GOV.UK Pay; the caller keeps the payment id it was given.

The payments are Pay's own: made by the same checks and services as
`POST /v1/payments`, listed in the service's admin pages, readable with the
account's API keys and sent in its webhooks, exactly like one a key made.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Protocol

from govplatform.pay.states import PaymentStatus

__all__ = [
    "Account",
    "JourneyPayments",
    "PaymentNotFound",
    "PaymentOutcome",
    "PaymentRefused",
    "PaymentRequest",
    "PaymentStatus",
    "StartedPayment",
]


@dataclasses.dataclass(frozen=True)
class Account:
    """A service's test or live account: what an API key reaches. Test accounts reach only the sandbox."""

    service_id: uuid.UUID
    live: bool


@dataclasses.dataclass(frozen=True)
class PaymentRequest:
    """What a journey asks the payer to pay, with the fields of Pay's create-payment request.

    `return_to` is where the payer comes back to, and must be inside the platform: a path
    ("/forms/permit/paid") or an absolute URL under the platform's base URL; anything else is refused,
    so a payment made this way can never send its payer to another site.
    """

    amount: int  # pence
    reference: str
    description: str
    return_to: str
    language: str = "en"  # en or cy: the language of the card pages
    metadata: Mapping[str, str | int | float | bool] | None = None
    email: str | None = None  # prefilled on the card page
    cardholder_name: str | None = None  # prefilled on the card page


@dataclasses.dataclass(frozen=True)
class PaymentOutcome:
    """Where a payment stands, read from the payment itself (never from what the payer's browser sent).

    An unhappy ending carries Pay's code and message: P0010 declined, P0020 expired, P0030 cancelled
    by the payer, P0040 cancelled by the service, P0050 the processor's error.
    """

    payment_id: str
    reference: str
    amount: int  # pence
    status: PaymentStatus  # created, started, submitted, capturable, success, failed, cancelled, error
    finished: bool
    code: str | None
    message: str | None
    card_brand: str | None  # as the API shows it ("Visa"), once a card was given
    last_digits: str | None

    @property
    def paid(self) -> bool:
        return self.status is PaymentStatus.SUCCESS


@dataclasses.dataclass(frozen=True)
class StartedPayment:
    payment: PaymentOutcome
    next_url: str | None  # where to send the payer (single use); None once the payment has finished
    replayed: bool  # the journey step had already made this payment


class PaymentRefused(Exception):
    """Pay refused the request: Pay's code and description (words a caller may show its staff), and the field."""

    def __init__(self, code: str, description: str, field: str | None = None) -> None:
        self.code = code
        self.description = description
        self.field = field
        super().__init__(f"{code} {description}")


class PaymentNotFound(PaymentRefused):
    """The account has no payment with that id (another account's payments are not found)."""


class JourneyPayments(Protocol):
    """Payments for journeys inside the platform, on a service's account; pay implements it.

    Each call runs in pay's own units of work, as the API's do, not in the caller's: creating a payment
    is keyed by the journey step instead (`journey_key`, e.g. the submission and step), so a double
    submit, or a retry after the caller's own transaction failed, gets the first payment back rather
    than a second one, for 24 hours. The same key with a different request is refused (P0191); a new
    attempt after a failed or cancelled payment needs a new key.
    """

    async def create_payment(self, account: Account, journey_key: str, request: PaymentRequest) -> StartedPayment:
        """A new payment in state created (or the one this journey step made); PaymentRefused if Pay refuses it."""
        ...

    async def next_url(self, account: Account, payment_id: str) -> str | None:
        """A fresh single-use address of the card pages, or None if the payment has finished; PaymentNotFound."""
        ...

    async def outcome(self, account: Account, payment_id: str) -> PaymentOutcome:
        """Where the payment stands now; PaymentNotFound."""
        ...

    async def cancel(self, account: Account, payment_id: str) -> PaymentOutcome:
        """Cancel an unfinished payment (P0040), as the API's cancel does; PaymentRefused (P0502) if it cannot be."""
        ...
