"""The payment state machine, the `_links` a payment shows, and what can still be refunded.

GOV.UK Pay's connector keeps about 40 internal charge statuses and shows each
as one of ten external states (`ExternalChargeState`): a status, whether the
journey is finished, and for unhappy endings a P-code and message. We keep the
external states only, because they are all the public API and the webhooks
ever show. The allowed moves are connector's `PaymentGatewayStateTransitions`
graph projected onto those ten states (an internal move that stays within one
external state is no move at all here).

One move runs from a finished state: `success` to `error`, which connector
makes when a capture is abandoned after too many retries (CAPTURE_ERROR maps
to the external error state). No move ever leads from a finished state back
to an unfinished one.

Refund availability follows connector's
`DefaultExternalRefundAvailabilityCalculator` and `RefundCalculator`: a
payment is `pending` until its capture is confirmed, then `available` or
`full`; `amount_submitted` counts refunds that have not failed, and
`amount_available` is the total amount less that, whatever the status.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from datetime import datetime, timedelta

# connector config.yaml: CHARGE_EXPIRY_WINDOW_SECONDS and AWAITING_DELAY_CAPTURE_EXPIRY_WINDOW.
PAYMENT_EXPIRY = timedelta(minutes=90)
DELAYED_CAPTURE_EXPIRY = timedelta(hours=120)


class PaymentStatus(enum.StrEnum):
    CREATED = "created"
    STARTED = "started"
    SUBMITTED = "submitted"
    CAPTURABLE = "capturable"
    SUCCESS = "success"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ERROR = "error"


FINISHED_STATUSES = frozenset(
    {PaymentStatus.SUCCESS, PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.ERROR}
)


class PaymentState(enum.Enum):
    """A payment's state as the API shows it (pay.md section 3; connector's ExternalChargeState)."""

    CREATED = (PaymentStatus.CREATED, None, None)
    STARTED = (PaymentStatus.STARTED, None, None)
    SUBMITTED = (PaymentStatus.SUBMITTED, None, None)
    CAPTURABLE = (PaymentStatus.CAPTURABLE, None, None)
    SUCCESS = (PaymentStatus.SUCCESS, None, None)
    FAILED_REJECTED = (PaymentStatus.FAILED, "P0010", "Payment method rejected")
    FAILED_EXPIRED = (PaymentStatus.FAILED, "P0020", "Payment expired")
    FAILED_CANCELLED = (PaymentStatus.FAILED, "P0030", "Payment was cancelled by the user")
    CANCELLED = (PaymentStatus.CANCELLED, "P0040", "Payment was cancelled by the service")
    ERROR = (PaymentStatus.ERROR, "P0050", "Payment provider returned an error")

    def __init__(self, status: PaymentStatus, code: str | None, message: str | None) -> None:
        self.status = status
        self.code = code
        self.message = message

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    def to_api(self, can_retry: bool | None = None) -> dict[str, object]:
        """The `state` object; `can_retry` appears only on failed agreement payments."""
        body: dict[str, object] = {"status": self.status.value, "finished": self.finished}
        if self.message is not None:
            body["message"] = self.message
        if self.code is not None:
            body["code"] = self.code
        if can_retry is not None and self.status is PaymentStatus.FAILED:
            body["can_retry"] = can_retry
        return body


S = PaymentState
_ENDINGS_BEFORE_AUTHORISATION = frozenset({S.FAILED_REJECTED, S.FAILED_EXPIRED, S.FAILED_CANCELLED, S.CANCELLED})

TRANSITIONS: dict[PaymentState, frozenset[PaymentState]] = {
    # CREATED -> ENTERING CARD DETAILS / AUTHORISATION READY, EXPIRED, USER_CANCELLED,
    # SYSTEM_CANCELLED, AUTHORISATION_REJECTED.
    S.CREATED: frozenset({S.STARTED}) | _ENDINGS_BEFORE_AUTHORISATION,
    # Card details, 3-D Secure and authorisation all show as started; the processor
    # then authorises, rejects or errs (AUTHORISATION_SUBMITTED counts as an error).
    S.STARTED: frozenset({S.SUBMITTED, S.ERROR}) | _ENDINGS_BEFORE_AUTHORISATION,
    # AUTHORISATION_SUCCESS -> capture (success), AWAITING_CAPTURE_REQUEST (capturable),
    # or a cancel by the service, the user or expiry.
    S.SUBMITTED: frozenset({S.SUCCESS, S.CAPTURABLE, S.CANCELLED, S.FAILED_CANCELLED, S.FAILED_EXPIRED}),
    # AWAITING_CAPTURE_REQUEST -> CAPTURE_APPROVED, SYSTEM_CANCEL_READY, EXPIRE_CANCEL_READY.
    S.CAPTURABLE: frozenset({S.SUCCESS, S.CANCELLED, S.FAILED_EXPIRED}),
    # CAPTURE_APPROVED / CAPTURE_SUBMITTED -> CAPTURE_ERROR.
    S.SUCCESS: frozenset({S.ERROR}),
    S.FAILED_REJECTED: frozenset(),
    S.FAILED_EXPIRED: frozenset(),
    S.FAILED_CANCELLED: frozenset(),
    S.CANCELLED: frozenset(),
    S.ERROR: frozenset(),
}


class TransitionRefused(Exception):
    """A move the state machine does not allow; nothing should change."""

    def __init__(self, current: PaymentState, target: PaymentState) -> None:
        self.current = current
        self.target = target
        super().__init__(f"a payment cannot move from {current.name} to {target.name}")


def can_move(current: PaymentState, target: PaymentState) -> bool:
    return target in TRANSITIONS[current]


def move(current: PaymentState, target: PaymentState) -> PaymentState:
    """The target state if the move is allowed; TransitionRefused otherwise."""
    if not can_move(current, target):
        raise TransitionRefused(current, target)
    return target


def expiry_due(state: PaymentState, created_at: datetime, now: datetime) -> bool:
    """Whether the expiry sweep should expire this payment now (measured from creation).

    Payments awaiting the user expire 90 minutes after creation; payments
    awaiting a delayed capture get 120 hours.
    """
    if state is S.CAPTURABLE:
        return now - created_at >= DELAYED_CAPTURE_EXPIRY
    if state in (S.CREATED, S.STARTED, S.SUBMITTED):
        return now - created_at >= PAYMENT_EXPIRY
    return False


class AuthorisationMode(enum.StrEnum):
    WEB = "web"
    MOTO_API = "moto_api"
    AGREEMENT = "agreement"


def can_cancel(state: PaymentState, mode: AuthorisationMode) -> bool:
    """Services may cancel any unfinished payment except one taken against an agreement."""
    return not state.finished and mode is not AuthorisationMode.AGREEMENT


def can_capture(state: PaymentState) -> bool:
    return state is S.CAPTURABLE


def link_names(state: PaymentState, mode: AuthorisationMode, *, search: bool = False) -> frozenset[str]:
    """Which `_links` a payment shows (pay.md section 2, "_links").

    Search results never carry the journey links (next_url, next_url_post,
    auth_url_post): each GET of a single payment mints a fresh token for those.
    """
    names = {"self", "events", "refunds"}
    if can_cancel(state, mode):
        names.add("cancel")
    if can_capture(state):
        names.add("capture")
    journey_open = not state.finished and state is not S.CAPTURABLE
    if journey_open and not search:
        if mode is AuthorisationMode.WEB:
            names |= {"next_url", "next_url_post"}
        elif mode is AuthorisationMode.MOTO_API:
            names.add("auth_url_post")
    return frozenset(names)


class RefundStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    SUCCESS = "success"
    ERROR = "error"


class RefundAvailability(enum.StrEnum):
    PENDING = "pending"
    UNAVAILABLE = "unavailable"
    AVAILABLE = "available"
    FULL = "full"


@dataclasses.dataclass(frozen=True)
class Refund:
    amount: int
    status: RefundStatus


@dataclasses.dataclass(frozen=True)
class RefundSummary:
    status: RefundAvailability
    amount_available: int
    amount_submitted: int

    def to_api(self) -> dict[str, object]:
        return {
            "status": self.status.value,
            "amount_available": self.amount_available,
            "amount_submitted": self.amount_submitted,
        }


def refund_summary(
    state: PaymentState, *, captured: bool, total_amount: int, refunds: Iterable[Refund]
) -> RefundSummary:
    """A payment's `refund_summary`.

    `captured` is whether the processor has confirmed the capture (connector's
    CAPTURED); a success not yet captured is still `pending`. `total_amount`
    includes any corporate card surcharge.
    """
    submitted = sum(refund.amount for refund in refunds if refund.status is not RefundStatus.ERROR)
    available = total_amount - submitted
    if state is S.SUCCESS and captured:
        status = RefundAvailability.AVAILABLE if available > 0 else RefundAvailability.FULL
    elif not state.finished or state is S.SUCCESS:
        status = RefundAvailability.PENDING
    else:
        status = RefundAvailability.UNAVAILABLE
    return RefundSummary(status=status, amount_available=available, amount_submitted=submitted)


@dataclasses.dataclass(frozen=True)
class RefundRefusal:
    """Why a refund request is turned away, as the public API answers it."""

    http_status: int
    code: str
    description: str


def refund_refusal(
    summary: RefundSummary, amount: int, refund_amount_available: int | None, *, disputed: bool = False
) -> RefundRefusal | None:
    """None if the refund may go ahead; otherwise Pay's answer (publicapi RequestError codes).

    `refund_amount_available` is optional: when it is left out nothing is
    compared, as publicapi looks the figure up itself.
    """
    if disputed:
        return RefundRefusal(400, "P0603", "The payment is disputed and cannot be refunded")
    if summary.status is not RefundAvailability.AVAILABLE:
        return _not_available(summary.status.value)
    if refund_amount_available is not None and refund_amount_available != summary.amount_available:
        return RefundRefusal(412, "P0604", "Refund amount available mismatch.")
    if amount > summary.amount_available:
        return _not_available("amount_not_available")
    return None


def _not_available(reason: str) -> RefundRefusal:
    return RefundRefusal(400, "P0603", f"The payment is not available for refund. Payment refund status: {reason}")
