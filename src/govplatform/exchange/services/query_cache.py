"""What every query reads and what changes rarely: members' keys, and each agreement with its dataset.

Kept for 2 seconds in each process (core's ReadCache, ADR 0009), as notifications-api keeps a service's keys:
reading them was most of a query's database work (measured: bench/exchange.py, docs/benchmarks.md). A change
is seen everywhere at once, not after 2 seconds: each change (a key retired, an agreement approved, suspended,
resumed or revoked, a dataset's records loaded) calls `changes.changed`, which drops this process's copies when it
commits and tells every other process through core's notices (`forget_elsewhere`, ADR 0015); copies are served
only while the notices say every change so far has arrived. Unknown keys and agreements are never kept, so a
key or agreement made a moment ago is found. Consent is never read through here: a withdrawal holds for the
very next query.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from govplatform.core.interfaces import Notices, ReadCache, UnitOfWork
from govplatform.exchange.services import agreements, changes, datasets, members
from govplatform.exchange.services.agreements import AgreementView
from govplatform.exchange.services.datasets import DatasetView
from govplatform.exchange.services.members import MemberKeyView

TTL_SECONDS = 2.0


class QueryCache:
    def __init__(self, uow: Callable[..., UnitOfWork], notices: Notices | None, ttl_seconds: float = TTL_SECONDS):
        self._uow = uow
        fresh = notices.fresh if notices is not None else None
        self._keys: ReadCache[str, MemberKeyView | None] = ReadCache(ttl_seconds, 1024, fresh=fresh)
        self._terms: ReadCache[uuid.UUID, tuple[AgreementView, DatasetView] | None] = ReadCache(
            ttl_seconds, 1024, fresh=fresh
        )
        if notices is not None:
            notices.subscribe(changes.TOPIC, self._on_notice)
        changes.register(self)

    async def key(self, key_id: str) -> MemberKeyView | None:
        async def read() -> MemberKeyView | None:
            async with self._uow(read_only=True) as uow:
                return await members.find_key(uow, key_id)

        return await self._keys.get(key_id, read, keep=lambda found: found is not None)

    async def terms(self, agreement_id: uuid.UUID) -> tuple[AgreementView, DatasetView] | None:
        async def read() -> tuple[AgreementView, DatasetView] | None:
            async with self._uow(read_only=True) as uow:
                agreement = await agreements.find_agreement(uow, agreement_id)
                dataset = await datasets.find(uow, agreement.dataset.id) if agreement is not None else None
            return (agreement, dataset) if agreement is not None and dataset is not None else None

        return await self._terms.get(agreement_id, read, keep=lambda found: found is not None)

    def forget_everything(self) -> None:
        self._keys.forget_everything()
        self._terms.forget_everything()

    def _on_notice(self, _subject: str | None) -> None:
        self.forget_everything()
