"""Idempotency-Key on every POST, kept 24 hours (Pay honours it only for agreement payments; we go further).

A key is stored with a hash of the request body and the id of what the
request made, in the same unit of work as that thing, under a primary key of
(service, account, endpoint, key). Of two requests with one key at once, the
second's insert waits for the first's commit and then fails on the primary
key; it then reads the first's row and replays it. The same body replays the
original with 200; a different body is refused with 409 P0191.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from sqlalchemy import delete, select

from govplatform.core.interfaces import UnitOfWork, utcnow
from govplatform.pay.errors import PayError
from govplatform.pay.models import IdempotencyKey
from govplatform.pay.services.payments import Account

KEPT_FOR = dt.timedelta(hours=24)


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
