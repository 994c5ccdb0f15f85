"""The back-off's sums, and the staff policies they make: one address can never make an account wait."""

from __future__ import annotations

import pytest

from govplatform.core.services.throttle import (
    ADDRESS,
    CODE_ACCOUNT,
    PASSWORD_ACCOUNT,
    BackOff,
    TooManyGuesses,
)


def test_no_wait_for_the_free_failures_then_doubling_waits_up_to_the_longest() -> None:
    back_off = BackOff(free=2, first_wait=1.0, longest_wait=10.0, forgive_every=60.0)
    assert [back_off.wait(level) for level in range(1, 9)] == [0.0, 0.0, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert back_off.wait(10**9) == 10.0, "a huge level neither overflows nor waits longer"


def test_the_level_falls_by_one_every_forgive_every_seconds_and_never_below_nothing() -> None:
    back_off = BackOff(free=2, first_wait=1.0, longest_wait=10.0, forgive_every=60.0)
    assert back_off.fallen(5.0, 1000.0, 1120.0) == 3.0
    assert back_off.fallen(5.0, 1000.0, 9999.0) == 0.0
    assert back_off.fallen(5.0, 1000.0, 900.0) == 5.0, "a clock behind the last writer forgives nothing"
    assert back_off.wait(2.5) == 1.0, "a failure partly forgiven still counts"


def attack(address: BackOff, account: BackOff, hours: float) -> tuple[int, float]:
    """One address guessing at one account as fast as it is let: attempts made, and the account's highest wait."""
    now, attempts, longest = 0.0, 0, 0.0
    address_level = address_at = address_until = 0.0
    account_level = account_at = 0.0
    while now < hours * 3600:
        now = max(now, address_until)
        address_level = address.fallen(address_level, address_at, now) + 1
        address_at, address_until = now, now + address.wait(address_level)
        account_level = account.fallen(account_level, account_at, now) + 1
        account_at = now
        longest = max(longest, account.wait(account_level))
        attempts += 1
        now += 0.001
    return attempts, longest


def test_one_address_hammering_a_password_never_makes_its_account_wait() -> None:
    attempts, longest = attack(ADDRESS, PASSWORD_ACCOUNT, hours=72)
    assert longest == 0.0
    assert attempts < 72 * 10, "an address makes fewer than ten guesses an hour once it is slowed down"


def test_many_addresses_together_make_an_account_wait_a_minute_at_most() -> None:
    assert PASSWORD_ACCOUNT.wait(10**6) == 60.0
    assert CODE_ACCOUNT.wait(10**6) == ADDRESS.wait(10**6) == 15 * 60.0


@pytest.mark.parametrize(
    ("seconds", "message"),
    [
        (0.2, "You have tried to sign in too many times. Wait a minute, then try again."),
        (60, "You have tried to sign in too many times. Wait a minute, then try again."),
        (61, "You have tried to sign in too many times. Wait 2 minutes, then try again."),
        (900, "You have tried to sign in too many times. Wait 15 minutes, then try again."),
    ],
)
def test_the_wait_is_said_in_minutes_and_given_whole_seconds_for_retry_after(seconds: float, message: str) -> None:
    refused = TooManyGuesses(seconds)
    assert str(refused) == message
    assert refused.wait_seconds == max(1, -(-seconds // 1))
