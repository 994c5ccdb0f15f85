"""The guessing throttle's two stores, the database and Redis, pass the same tests (STYLE.md rule 4).

A clock that stands still until the test moves it makes every wait exact.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from govplatform.core.models import GuessTally
from govplatform.core.platform import Platform, build_platform
from govplatform.core.services.throttle import BackOff, Guessing, Throttle, TooManyGuesses
from govplatform.core.services.throttle_stores import DatabaseTallies, RedisTallies, redis_client
from tests.conftest import make_settings
from tests.integration.notify.limits_support import reachable_redis
from tests.throttle_support import HeldClock

SMALL = BackOff(free=3, first_wait=2.0, longest_wait=16.0, forgive_every=10_000.0)  # waits forgive next to nothing
GENTLE = BackOff(free=5, first_wait=1.0, longest_wait=4.0, forgive_every=10.0)
GUESSING = Guessing("test.guess", SMALL, GENTLE)


@dataclasses.dataclass
class Subject:
    throttle: Throttle
    clock: HeldClock
    platform: Platform

    async def guess(self, address: str | None = "192.0.2.1", account: str | None = "ada") -> float:
        """One wrong guess: 0.0 if it was counted, else the wait it was refused with."""
        async with self.platform.uow() as uow:
            try:
                await self.throttle.attempt(uow, GUESSING, address, account)
            except TooManyGuesses as refused:
                return float(refused.wait_seconds)
            await uow.commit()
        return 0.0

    async def right(self, address: str | None = "192.0.2.1", account: str | None = "ada") -> None:
        async with self.platform.uow() as uow:
            attempt = await self.throttle.attempt(uow, GUESSING, address, account)
            await self.throttle.succeeded(uow, attempt)
            await uow.commit()


@pytest.fixture(params=["database", "redis"])
async def subject(request: pytest.FixtureRequest, platform: Platform) -> AsyncIterator[Subject]:
    clock = HeldClock()
    if request.param == "database":
        yield Subject(Throttle(DatabaseTallies(), uuid.uuid4().hex, clock), clock, platform)
        return
    async for client, prefix in reachable_redis():
        yield Subject(Throttle(RedisTallies(client, DatabaseTallies(), prefix=prefix), "s", clock), clock, platform)


async def test_the_first_failures_are_free_then_each_wait_doubles_up_to_the_longest(subject: Subject) -> None:
    for _ in range(SMALL.free + 1):
        assert await subject.guess(account=None) == 0.0
    waits = []
    for _ in range(5):
        wait = await subject.guess(account=None)
        waits.append(wait)
        subject.clock.now += wait
        assert await subject.guess(account=None) == 0.0, "counted once the wait is over"
    assert waits == [2.0, 4.0, 8.0, 16.0, 16.0]


async def test_an_attempt_refused_during_a_wait_is_not_counted(subject: Subject) -> None:
    for _ in range(SMALL.free + 1):
        assert await subject.guess(account=None) == 0.0
    for _ in range(20):
        assert await subject.guess(account=None) == 2.0, "waiting again and again does not make the wait longer"
    subject.clock.now += 2
    assert await subject.guess(account=None) == 0.0
    assert await subject.guess(account=None) == 4.0


async def test_failures_are_forgiven_one_at_a_time_as_time_passes(subject: Subject) -> None:
    for _ in range(SMALL.free + 1):
        assert await subject.guess(account=None) == 0.0
    assert await subject.guess(account=None) == SMALL.first_wait
    subject.clock.now += 3 * SMALL.forgive_every  # four counted, three forgiven
    for _ in range(SMALL.free):
        assert await subject.guess(account=None) == 0.0
    assert await subject.guess(account=None) == SMALL.first_wait


async def test_a_right_guess_is_given_back_and_makes_nobody_wait(subject: Subject) -> None:
    for _ in range(SMALL.free):
        await subject.guess(account=None)
    for _ in range(10):
        await subject.right(account=None)
    assert await subject.guess(account=None) == 0.0, "the rights did not count"
    assert await subject.guess(account=None) == SMALL.first_wait


async def test_one_tally_that_must_wait_refuses_the_attempt_and_neither_counts_it(subject: Subject) -> None:
    for n in range(GENTLE.free + 1):
        assert await subject.guess(address=f"198.51.100.{n}") == 0.0  # a new address each time: only ada's count
    assert await subject.guess(address="203.0.113.1") == GENTLE.first_wait, "ada must wait from any address"
    for _ in range(SMALL.free + 1):
        assert await subject.guess(address="203.0.113.1", account="bob") == 0.0, "203.0.113.1 was not counted"


async def test_tallies_of_different_places_and_secrets_are_apart(subject: Subject) -> None:
    other = Guessing("test.other", SMALL, None)
    for _ in range(SMALL.free + 1):
        await subject.guess(account=None)
    assert await subject.guess(account=None) > 0
    async with subject.platform.uow() as uow:
        await subject.throttle.attempt(uow, other, "192.0.2.1", None)  # another place: its own tally
        await subject.throttle.attempt(uow, GUESSING, "192.0.2.2", None)  # another address


async def test_parallel_attempts_cannot_slip_past_the_count(var_dir, fresh_database: str) -> None:
    platform = build_platform(make_settings(var_dir, fresh_database))
    clock = HeldClock()
    throttle = Throttle(DatabaseTallies(), "s", clock)

    async def one() -> bool:
        async with platform.uow() as uow:
            try:
                await throttle.attempt(uow, GUESSING, "192.0.2.9", None)
            except TooManyGuesses:
                return False
            await asyncio.sleep(0.01)  # the guess being looked at, with the rows held
            await uow.commit()
            return True

    try:
        allowed = await asyncio.gather(*(one() for _ in range(12)))
    finally:
        await platform.dispose()
    assert sum(allowed) == SMALL.free + 1


async def test_forgotten_tallies_are_deleted_as_new_attempts_come(platform: Platform) -> None:
    clock = HeldClock()
    throttle = Throttle(DatabaseTallies(), uuid.uuid4().hex, clock)
    async with platform.uow() as uow:
        for n in range(5):
            await throttle.attempt(uow, Guessing("test.purge", SMALL, None), f"192.0.2.{n}", None)
        await uow.commit()
    clock.now += SMALL.forgive_every + 1
    async with platform.uow() as uow:
        await throttle.attempt(uow, Guessing("test.purge", SMALL, None), "198.51.100.1", None)
        await uow.commit()
    async with platform.uow(read_only=True) as uow:
        left = await uow.session.scalar(
            select(func.count()).select_from(GuessTally).where(GuessTally.forget_at < clock.now)
        )
    assert left == 0


async def test_when_redis_does_not_answer_the_database_keeps_the_tallies(platform: Platform) -> None:
    clock = HeldClock()
    unreachable = RedisTallies(redis_client("redis://127.0.0.1:1/0", timeout_seconds=0.2), DatabaseTallies())
    throttle = Throttle(unreachable, uuid.uuid4().hex, clock)
    subject = Subject(throttle, clock, platform)
    for _ in range(SMALL.free + 1):
        assert await subject.guess(account=None) == 0.0
    assert await subject.guess(account=None) == SMALL.first_wait, "still throttled, never failed open"
    await unreachable.aclose()


async def test_an_attempt_whose_clock_was_read_before_another_finished_is_not_made_to_wait(subject: Subject) -> None:
    # Parallel sign-ins from one address: one reads its clock, waits for the rows another holds, and then
    # sees what that one wrote at a later moment. A right guess or a free failure must not look like a wait.
    subject.clock.now += 5.0
    await subject.right(account=None)
    subject.clock.now -= 0.1
    assert await subject.guess(account=None) == 0.0, "a right guess made a parallel attempt wait"
    subject.clock.now += 0.2
    assert await subject.guess(account=None) == 0.0
    subject.clock.now -= 0.1
    assert await subject.guess(account=None) == 0.0, "a free failure made a parallel attempt wait"
