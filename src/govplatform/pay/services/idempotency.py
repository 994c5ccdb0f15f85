"""Idempotency-Key on every POST that creates, kept 24 hours (Pay honours it only for agreement payments).

pay.md section 4: a replay with the same body answers with what the first
request made, with 200; the same key with a different body is 409 P0191.
Pay's connector honours the key only for agreement payments; the platform
honours it on every POST that creates something (payments of every mode,
refunds, agreements), because a client that retries after a timeout must
never refund or charge twice.

A key is stored with a hash of the request (body, and the path's ids where
the endpoint has them) and the id of what the request made, in the same unit
of work as that thing, under a primary key of (service, account, endpoint,
key): one key is separate on each account and each endpoint. Of two requests
with one key at once, the second's insert waits for the first's commit (or
SQLite's write lock makes it wait before it looks) and then fails on the
primary key; `once` then runs it again, and the second run finds the first's
row and replays it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from govplatform.core.interfaces import UnitOfWork, utcnow
from govplatform.pay.errors import PayError
from govplatform.pay.interfaces import Account
from govplatform.pay.models import IdempotencyKey

KEPT_FOR = dt.timedelta(hours=24)
T = TypeVar("T")


class Replay(Exception):
    """The request repeats an earlier one: answer with what that one made."""

    def __init__(self, resource_id: str) -> None:
        self.resource_id = resource_id
        super().__init__(resource_id)


def body_hash(body: object) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def conflict() -> PayError:
    # Pay's code (P0191); the wording is ours, as the sources we read do not give Pay's.
    return PayError(
        409,
        "P0191",
        "The Idempotency-Key has already been used with a different request body. Use a new key for a new request.",
    )


async def check(uow: UnitOfWork, account: Account, endpoint: str, key: str, request_hash: str) -> None:
    """Raise Replay or the 409 if the key was used in the last 24 hours; forget an older use."""
    row = (
        await uow.session.execute(
            select(IdempotencyKey).where(
                IdempotencyKey.service_id == account.service_id,
                IdempotencyKey.live == account.live,
                IdempotencyKey.endpoint == endpoint,
                IdempotencyKey.key == key,
            )
        )
    ).scalar_one_or_none()
    if row is None:
        return
    if row.created_at <= utcnow() - KEPT_FOR:
        await uow.session.delete(row)
        await uow.session.flush()
        return
    if row.request_hash != request_hash:
        raise conflict()
    raise Replay(row.resource_id)


def remember(uow: UnitOfWork, account: Account, endpoint: str, key: str, request_hash: str, resource_id: str) -> None:
    uow.session.add(
        IdempotencyKey(
            service_id=account.service_id,
            live=account.live,
            endpoint=endpoint,
            key=key,
            request_hash=request_hash,
            resource_id=resource_id,
            created_at=utcnow(),
        )
    )


async def purge(uow: UnitOfWork, now: dt.datetime | None = None) -> int:
    result = await uow.session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at <= (now or utcnow()) - KEPT_FOR)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclasses.dataclass(frozen=True)
class Keyed:
    """One POST that creates: its account and endpoint, its Idempotency-Key (None: not sent), its hash."""

    account: Account
    endpoint: str
    key: str | None
    request_hash: str


@dataclasses.dataclass(frozen=True)
class Done(Generic[T]):
    value: T
    replayed: bool


def original_missing() -> PayError:
    # What a key points at is never deleted, so this is the platform's fault: Pay's downstream error.
    return PayError(500, "P0198", "Downstream system error")


async def once(
    uow_factory: Callable[..., UnitOfWork],
    request: Keyed,
    make: Callable[[UnitOfWork], Awaitable[tuple[T, str]]],
    replay: Callable[[UnitOfWork, str], Awaitable[T | None]],
) -> Done[T]:
    """Make the thing in one unit of work, remembering the key with it; or replay what the key made.

    `make` adds the new thing to the unit of work and returns it with its id; `replay` finds the thing
    an earlier request made from its id (None if it is gone). Both may write (a payment's replay mints
    a next_url token); `once` commits.
    """
    for attempt in (1, 2):
        try:
            async with uow_factory() as uow:
                if request.key is not None:
                    try:
                        await check(uow, request.account, request.endpoint, request.key, request.request_hash)
                    except Replay as earlier:
                        found = await replay(uow, earlier.resource_id)
                        if found is None:
                            raise original_missing() from None
                        await uow.commit()
                        return Done(found, replayed=True)
                made, resource_id = await make(uow)
                if request.key is not None:
                    remember(uow, request.account, request.endpoint, request.key, request.request_hash, resource_id)
                await uow.commit()
                return Done(made, replayed=False)
        except IntegrityError:
            if request.key is None or attempt == 2:
                raise
            # Another request with this key committed first: the second run replays it.
    raise AssertionError("unreachable")
