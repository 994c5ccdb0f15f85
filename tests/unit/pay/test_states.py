import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govplatform.pay.states import (
    TRANSITIONS,
    AuthorisationMode,
    PaymentState,
    Refund,
    RefundAvailability,
    RefundRefusal,
    RefundStatus,
    RefundSummary,
    TransitionRefused,
    can_move,
    expiry_due,
    link_names,
    move,
    refund_refusal,
    refund_summary,
)

S = PaymentState
M = AuthorisationMode
A = RefundAvailability

ALLOWED: set[tuple[PaymentState, PaymentState]] = {
    (S.CREATED, S.STARTED),
    (S.CREATED, S.FAILED_REJECTED),
    (S.CREATED, S.FAILED_EXPIRED),
    (S.CREATED, S.FAILED_CANCELLED),
    (S.CREATED, S.CANCELLED),
    (S.STARTED, S.SUBMITTED),
    (S.STARTED, S.FAILED_REJECTED),
    (S.STARTED, S.FAILED_EXPIRED),
    (S.STARTED, S.FAILED_CANCELLED),
    (S.STARTED, S.CANCELLED),
    (S.STARTED, S.ERROR),
    (S.SUBMITTED, S.SUCCESS),
    (S.SUBMITTED, S.CAPTURABLE),
    (S.SUBMITTED, S.CANCELLED),
    (S.SUBMITTED, S.FAILED_CANCELLED),
    (S.SUBMITTED, S.FAILED_EXPIRED),
    (S.CAPTURABLE, S.SUCCESS),
    (S.CAPTURABLE, S.CANCELLED),
    (S.CAPTURABLE, S.FAILED_EXPIRED),
    (S.SUCCESS, S.ERROR),
}
ALL_PAIRS = list(itertools.product(PaymentState, repeat=2))


@pytest.mark.parametrize(
    ("state", "status", "finished", "code", "message"),
    [
        (S.CREATED, "created", False, None, None),
        (S.STARTED, "started", False, None, None),
        (S.SUBMITTED, "submitted", False, None, None),
        (S.CAPTURABLE, "capturable", False, None, None),
        (S.SUCCESS, "success", True, None, None),
        (S.FAILED_REJECTED, "failed", True, "P0010", "Payment method rejected"),
        (S.FAILED_EXPIRED, "failed", True, "P0020", "Payment expired"),
        (S.FAILED_CANCELLED, "failed", True, "P0030", "Payment was cancelled by the user"),
        (S.CANCELLED, "cancelled", True, "P0040", "Payment was cancelled by the service"),
        (S.ERROR, "error", True, "P0050", "Payment provider returned an error"),
    ],
)
def test_each_state_shows_pays_status_finished_flag_code_and_message(
    state: PaymentState, status: str, finished: bool, code: str | None, message: str | None
) -> None:
    expected: dict[str, object] = {"status": status, "finished": finished}
    if message:
        expected |= {"message": message, "code": code}
    assert state.to_api() == expected
    assert list(state.to_api()) == list(expected)


def test_can_retry_appears_only_on_failed_payments() -> None:
    assert S.FAILED_REJECTED.to_api(can_retry=False)["can_retry"] is False
    assert "can_retry" not in S.SUCCESS.to_api(can_retry=True)
    assert "can_retry" not in S.FAILED_REJECTED.to_api()


def by_name(pair: tuple[PaymentState, PaymentState]) -> tuple[str, str]:
    return pair[0].name, pair[1].name


ALLOWED_IN_ORDER = sorted(ALLOWED, key=by_name)


@pytest.mark.parametrize(("current", "target"), ALLOWED_IN_ORDER)
def test_every_allowed_transition_is_made(current: PaymentState, target: PaymentState) -> None:
    assert move(current, target) is target


REFUSED = [pair for pair in ALL_PAIRS if pair not in ALLOWED]


@pytest.mark.parametrize(("current", "target"), REFUSED, ids=[f"{a.name}->{b.name}" for a, b in REFUSED])
def test_every_other_transition_is_refused(current: PaymentState, target: PaymentState) -> None:
    assert not can_move(current, target)
    with pytest.raises(TransitionRefused):
        move(current, target)


def test_the_transition_table_is_exactly_the_documented_one() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED


def test_no_transition_leads_from_a_finished_state_back_to_an_unfinished_one() -> None:
    for current, targets in TRANSITIONS.items():
        if current.finished:
            assert all(target.finished for target in targets)


@given(st.lists(st.sampled_from(list(PaymentState)), max_size=30))
def test_no_sequence_of_moves_reaches_success_twice_or_leaves_a_final_state(attempts: list[PaymentState]) -> None:
    state = S.CREATED
    successes = 0
    for target in attempts:
        if can_move(state, target):
            was_finished = state.finished
            state = move(state, target)
            successes += state is S.SUCCESS
            assert state.finished or not was_finished
    assert successes <= 1


CREATED_AT = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("state", "age", "due"),
    [
        (S.CREATED, timedelta(minutes=89, seconds=59), False),
        (S.CREATED, timedelta(minutes=90), True),
        (S.STARTED, timedelta(minutes=90), True),
        (S.SUBMITTED, timedelta(minutes=90), True),
        (S.CAPTURABLE, timedelta(minutes=90), False),
        (S.CAPTURABLE, timedelta(hours=120) - timedelta(seconds=1), False),
        (S.CAPTURABLE, timedelta(hours=120), True),
        (S.SUCCESS, timedelta(days=30), False),
        (S.FAILED_REJECTED, timedelta(days=30), False),
    ],
)
def test_payments_expire_90_minutes_after_creation_or_120_hours_when_awaiting_capture(
    state: PaymentState, age: timedelta, due: bool
) -> None:
    assert expiry_due(state, CREATED_AT, CREATED_AT + age) is due


BASE = {"self", "events", "refunds"}
JOURNEY = {"next_url", "next_url_post"}


@pytest.mark.parametrize(
    ("state", "mode", "names"),
    [
        (S.CREATED, M.WEB, BASE | JOURNEY | {"cancel"}),
        (S.STARTED, M.WEB, BASE | JOURNEY | {"cancel"}),
        (S.SUBMITTED, M.WEB, BASE | JOURNEY | {"cancel"}),
        (S.CAPTURABLE, M.WEB, BASE | {"cancel", "capture"}),
        (S.SUCCESS, M.WEB, BASE),
        (S.FAILED_EXPIRED, M.WEB, BASE),
        (S.CANCELLED, M.WEB, BASE),
        (S.ERROR, M.WEB, BASE),
        (S.CREATED, M.MOTO_API, BASE | {"auth_url_post", "cancel"}),
        (S.SUCCESS, M.MOTO_API, BASE),
        (S.CREATED, M.AGREEMENT, BASE),
        (S.SUBMITTED, M.AGREEMENT, BASE),
        (S.FAILED_REJECTED, M.AGREEMENT, BASE),
    ],
)
def test_a_payment_shows_cancel_and_journey_links_only_while_allowed(
    state: PaymentState, mode: AuthorisationMode, names: set[str]
) -> None:
    assert link_names(state, mode) == names


@pytest.mark.parametrize("state", list(PaymentState))
def test_search_results_never_carry_the_journey_links(state: PaymentState) -> None:
    names = link_names(state, M.WEB, search=True)
    assert not names & (JOURNEY | {"auth_url_post"})
    assert ("capture" in names) is (state is S.CAPTURABLE)
    assert ("cancel" in names) is (not state.finished)


def refunds(*items: tuple[int, RefundStatus]) -> list[Refund]:
    return [Refund(amount, status) for amount, status in items]


R = RefundStatus


@pytest.mark.parametrize(
    ("state", "captured", "made", "expected"),
    [
        (S.CREATED, False, [], RefundSummary(A.PENDING, 5000, 0)),
        (S.STARTED, False, [], RefundSummary(A.PENDING, 5000, 0)),
        (S.SUBMITTED, False, [], RefundSummary(A.PENDING, 5000, 0)),
        (S.CAPTURABLE, False, [], RefundSummary(A.PENDING, 5000, 0)),
        (S.SUCCESS, False, [], RefundSummary(A.PENDING, 5000, 0)),
        (S.SUCCESS, True, [], RefundSummary(A.AVAILABLE, 5000, 0)),
        (S.SUCCESS, True, [(3000, R.SUCCESS)], RefundSummary(A.AVAILABLE, 2000, 3000)),
        (S.SUCCESS, True, [(3000, R.SUBMITTED), (1000, R.SUCCESS)], RefundSummary(A.AVAILABLE, 1000, 4000)),
        (S.SUCCESS, True, [(3000, R.ERROR)], RefundSummary(A.AVAILABLE, 5000, 0)),
        (S.SUCCESS, True, [(2000, R.SUCCESS), (3000, R.SUBMITTED)], RefundSummary(A.FULL, 0, 5000)),
        (S.FAILED_REJECTED, False, [], RefundSummary(A.UNAVAILABLE, 5000, 0)),
        (S.CANCELLED, False, [], RefundSummary(A.UNAVAILABLE, 5000, 0)),
        (S.ERROR, True, [], RefundSummary(A.UNAVAILABLE, 5000, 0)),
    ],
)
def test_refund_summary_follows_connectors_availability_rules(
    state: PaymentState, captured: bool, made: list[tuple[int, RefundStatus]], expected: RefundSummary
) -> None:
    assert refund_summary(state, captured=captured, total_amount=5000, refunds=refunds(*made)) == expected


def test_refund_summary_has_pays_field_names() -> None:
    assert RefundSummary(A.AVAILABLE, 6000, 3000).to_api() == {
        "status": "available",
        "amount_available": 6000,
        "amount_submitted": 3000,
    }


@given(st.integers(1, 10_000_000), st.lists(st.tuples(st.integers(1, 10_000), st.sampled_from(list(RefundStatus)))))
def test_the_amount_available_and_submitted_always_add_up_to_the_total(
    total: int, made: list[tuple[int, RefundStatus]]
) -> None:
    summary = refund_summary(S.SUCCESS, captured=True, total_amount=total, refunds=refunds(*made))
    assert summary.amount_available + summary.amount_submitted == total
    assert summary.amount_submitted == sum(amount for amount, status in made if status is not R.ERROR)


AVAILABLE = RefundSummary(A.AVAILABLE, 5000, 0)
NOT_AVAILABLE = "The payment is not available for refund. Payment refund status: %s"


@pytest.mark.parametrize(
    ("summary", "amount", "expected_available", "disputed", "refusal"),
    [
        (AVAILABLE, 5000, None, False, None),
        (AVAILABLE, 1, 5000, False, None),
        (AVAILABLE, 5001, None, False, RefundRefusal(400, "P0603", NOT_AVAILABLE % "amount_not_available")),
        (AVAILABLE, 100, 4000, False, RefundRefusal(412, "P0604", "Refund amount available mismatch.")),
        (AVAILABLE, 100, None, True, RefundRefusal(400, "P0603", "The payment is disputed and cannot be refunded")),
        (RefundSummary(A.FULL, 0, 5000), 1, None, False, RefundRefusal(400, "P0603", NOT_AVAILABLE % "full")),
        (RefundSummary(A.PENDING, 5000, 0), 1, None, False, RefundRefusal(400, "P0603", NOT_AVAILABLE % "pending")),
        (
            RefundSummary(A.UNAVAILABLE, 5000, 0),
            1,
            5000,
            False,
            RefundRefusal(400, "P0603", NOT_AVAILABLE % "unavailable"),
        ),
    ],
)
def test_refund_requests_are_refused_with_pays_codes_and_no_money_moves(
    summary: RefundSummary, amount: int, expected_available: int | None, disputed: bool, refusal: RefundRefusal | None
) -> None:
    assert refund_refusal(summary, amount, expected_available, disputed=disputed) == refusal
