"""How a change to what queries read reaches every process's copies (services/query_cache.py).

Kept apart from the cache itself so the services that make the changes (members, agreements, the record store)
can say so without importing the cache, which imports them.
"""

from __future__ import annotations

import weakref
from typing import Protocol

from govplatform.core.interfaces import UnitOfWork, forget_after_change

TOPIC = "exchange"


class Forgets(Protocol):
    def forget_everything(self) -> None: ...


_CACHES: weakref.WeakSet[Forgets] = weakref.WeakSet()


def register(cache: Forgets) -> None:
    _CACHES.add(cache)


def _forget_here() -> None:
    for cache in list(_CACHES):
        cache.forget_everything()


async def changed(uow: UnitOfWork) -> None:
    """Call in the unit of work of any change a query reads: every process forgets its copies once it commits."""
    await uow.forget_elsewhere(TOPIC, "changed")
    forget_after_change(uow, _forget_here)
