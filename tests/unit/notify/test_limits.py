"""Notify's rate and daily limits as rules: the bucket's sums, its shares, which limits apply, the messages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govplatform.core.interfaces import UnitOfWork
from govplatform.notify.errors import NotifyError
from govplatform.notify.services.limits import (
    Bucket,
    SendingLimits,
    capacity,
    counted_channels,
    daily_limit_error,
    daily_limits,
    rate_limit_error,
    refill_per_second,
    shares,
    utc_day,
)
from govplatform.notify.services.settings import ServicePolicy

SERVICE = uuid.uuid4()


def policy(restricted: bool = False, rate_limit: int = 3000, **daily: int) -> ServicePolicy:
    limits = {"email": 250_000, "sms": 250_000, "letter": 20_000, "international_sms": 100} | daily
    return ServicePolicy(SERVICE, restricted, rate_limit, limits, 7, "bins", "GOVUK", None, None, False, False)


@pytest.mark.parametrize(
    ("rate_limit", "size"), [(1, 2), (3, 2), (4, 3), (30, 11), (60, 21), (2997, 1000), (3000, 1000), (10**6, 1000)]
)
def test_a_bucket_holds_a_third_of_the_limit_plus_one_and_never_more_than_1000(rate_limit: int, size: int) -> None:
    assert capacity(rate_limit) == size


def test_a_bucket_refills_at_the_limit_spread_over_60_seconds() -> None:
    assert refill_per_second(3000) == 50.0
    assert refill_per_second(30) == 0.5


def test_a_full_bucket_admits_its_capacity_at_once_and_then_refuses() -> None:
    bucket, admitted = Bucket(3.0, 100.0), []
    for _ in range(5):
        taken, bucket = bucket.take(100.0, size=3, rate=0.5)
        admitted.append(taken)
    assert admitted == [True, True, True, False, False]
    assert bucket == Bucket(0.0, 100.0)


def test_an_empty_bucket_gets_a_token_back_after_one_refill_interval() -> None:
    empty = Bucket(0.0, 100.0)
    assert empty.take(101.9, size=3, rate=0.5)[0] is False  # 0.95 of a token is not a token
    taken, after = empty.take(102.0, size=3, rate=0.5)
    assert taken and after == Bucket(0.0, 102.0)


def test_a_bucket_never_fills_beyond_its_capacity_however_long_it_waits() -> None:
    assert Bucket(1.0, 0.0).refilled(10_000.0, size=3, rate=0.5) == Bucket(3.0, 10_000.0)


def test_a_clock_behind_the_last_request_adds_nothing_and_does_not_move_time_back() -> None:
    bucket = Bucket(1.5, 100.0)
    assert bucket.refilled(90.0, size=3, rate=0.5) == Bucket(1.5, 100.0)
    taken, after = bucket.take(90.0, size=3, rate=0.5)
    assert taken and after == Bucket(0.5, 100.0)


def test_a_lowered_capacity_clips_the_tokens_at_once() -> None:
    assert Bucket(1000.0, 5.0).refilled(5.0, size=2, rate=0.05) == Bucket(2.0, 5.0)


@given(
    st.lists(st.floats(min_value=0, max_value=30, allow_nan=False), min_size=1, max_size=60),
    st.integers(1, 100),
)
def test_a_bucket_admits_no_more_than_its_capacity_plus_what_it_refilled(gaps: list[float], size: int) -> None:
    rate, bucket, now, admitted = 0.5, Bucket(float(size), 0.0), 0.0, 0
    for gap in gaps:
        now += gap
        taken, bucket = bucket.take(now, size, rate)
        admitted += taken
        assert 0 <= bucket.tokens <= size
    assert admitted <= size + now * rate + 1e-9


@given(st.integers(1, 5000), st.integers(1, 64))
def test_shares_are_whole_differ_by_at_most_one_and_add_up_to_the_bucket(size: int, count: int) -> None:
    split = shares(size, count)
    assert sum(split) == size
    assert len(split) == min(size, count)
    assert max(split) - min(split) <= 1 and min(split) >= 1


@pytest.mark.parametrize(("key_type", "name"), [("normal", "LIVE"), ("team", "TEAM"), ("test", "TEST")])
def test_the_rate_limit_error_is_notifys_with_live_for_normal_keys(key_type: str, name: str) -> None:
    message = f"Exceeded rate limit for key type {name} of 3000 requests per 60 seconds"
    assert rate_limit_error(key_type, 3000).body() == {
        "status_code": 429,
        "errors": [{"error": "RateLimitError", "message": message}],
    }


def test_the_daily_limit_error_is_notifys_and_names_the_channel_and_its_limit() -> None:
    assert daily_limit_error("email", 250_000).body() == {
        "status_code": 429,
        "errors": [{"error": "TooManyRequestsError", "message": "Exceeded send limits (email: 250000) for today"}],
    }


def test_a_live_service_has_one_daily_limit_per_channel_from_its_settings() -> None:
    found = daily_limits(policy(email=1000), "normal", "email")
    assert [(limit.channel, limit.limit, limit.counted) for limit in found] == [("email", 1000, ("email",))]


def test_a_trial_service_may_also_send_only_50_emails_and_texts_a_day_in_all() -> None:
    for key_type in ("normal", "team"):
        found = daily_limits(policy(restricted=True), key_type, "sms")
        assert [(limit.channel, limit.limit, limit.counted) for limit in found] == [
            ("sms", 250_000, ("sms",)),
            ("sms", 50, ("email", "sms")),
        ]


def test_a_test_key_of_a_trial_service_is_held_only_to_the_services_own_limits() -> None:
    assert [limit.limit for limit in daily_limits(policy(restricted=True), "test", "email")] == [250_000]
    assert [limit.limit for limit in daily_limits(policy(restricted=True), "normal", "letter")] == [20_000]


def test_a_text_abroad_counts_as_a_text_and_as_an_international_text() -> None:
    assert counted_channels("sms", international=True) == ("sms", "international_sms")
    assert counted_channels("sms", international=False) == ("sms",)
    assert counted_channels("email", international=True) == ("email",)


def test_a_day_is_a_utc_day() -> None:
    midnight = dt.datetime(2026, 3, 29, tzinfo=dt.UTC).timestamp()  # the clocks go forward in the UK
    assert utc_day(midnight - 0.001) == dt.date(2026, 3, 28)
    assert utc_day(midnight) == dt.date(2026, 3, 29)


@dataclasses.dataclass
class Counts:
    """Daily counts in memory."""

    sent: dict[str, int] = dataclasses.field(default_factory=dict)

    async def today(self, uow: UnitOfWork, service_id: uuid.UUID, channels: Sequence[str]) -> dict[str, int]:
        return {channel: self.sent[channel] for channel in channels if channel in self.sent}

    async def add(self, uow: UnitOfWork, service_id: uuid.UUID, channels: Sequence[str], amount: int = 1) -> None:
        for channel in channels:
            self.sent[channel] = self.sent.get(channel, 0) + amount


class Buckets:
    def __init__(self, tokens: int) -> None:
        self.tokens = tokens

    async def take(self, service_id: uuid.UUID, key_type: str, rate_limit: int) -> bool:
        self.tokens -= 1
        return self.tokens >= 0


NO_UOW: UnitOfWork = None  # type: ignore[assignment]  # the in-memory counts need none


async def test_an_empty_bucket_is_refused_with_the_keys_type_and_the_services_limit() -> None:
    limits = SendingLimits(Buckets(1), Counts())
    await limits.check_rate(SERVICE, "team", policy(rate_limit=60))
    with pytest.raises(NotifyError) as refused:
        await limits.check_rate(SERVICE, "team", policy(rate_limit=60))
    assert refused.value.messages == ["Exceeded rate limit for key type TEAM of 60 requests per 60 seconds"]


async def test_the_last_message_under_a_daily_limit_is_allowed_and_the_next_refused() -> None:
    counts = Counts({"email": 9})
    limits = SendingLimits(Buckets(0), counts)
    await limits.check_daily(NO_UOW, SERVICE, "normal", policy(email=10), "email")
    await limits.record(NO_UOW, SERVICE, "normal", "email")
    with pytest.raises(NotifyError) as refused:
        await limits.check_daily(NO_UOW, SERVICE, "normal", policy(email=10), "email")
    assert (refused.value.status_code, refused.value.error) == (429, "TooManyRequestsError")
    assert refused.value.messages == ["Exceeded send limits (email: 10) for today"]


async def test_a_trial_services_emails_and_texts_share_the_50_and_the_refusal_names_the_channel_asked_for() -> None:
    limits = SendingLimits(Buckets(0), Counts({"email": 30, "sms": 19, "letter": 5}))
    await limits.check_daily(NO_UOW, SERVICE, "normal", policy(restricted=True), "email")
    await limits.record(NO_UOW, SERVICE, "normal", "sms")
    with pytest.raises(NotifyError) as refused:
        await limits.check_daily(NO_UOW, SERVICE, "normal", policy(restricted=True), "email")
    assert refused.value.messages == ["Exceeded send limits (email: 50) for today"]
    await limits.check_daily(NO_UOW, SERVICE, "test", policy(restricted=True), "email")


async def test_a_test_keys_messages_are_never_counted() -> None:
    counts = Counts()
    limits = SendingLimits(Buckets(0), counts)
    await limits.record(NO_UOW, SERVICE, "test", "email")
    await limits.record(NO_UOW, SERVICE, "normal", "sms", international=True)
    await limits.record(NO_UOW, SERVICE, "team", "letter")
    assert counts.sent == {"sms": 1, "international_sms": 1, "letter": 1}
