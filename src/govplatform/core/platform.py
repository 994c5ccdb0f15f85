"""The composition root for core: builds engines, ciphers and registries from settings.

Nothing connects or reads secrets at import time; `build_platform(settings)`
does it once per process, and tests build their own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from govplatform.core import admin_entries
from govplatform.core.admin_registry import AdminRegistry
from govplatform.core.cache_notices import Notices, notices_for
from govplatform.core.crypto import FieldCipher
from govplatform.core.database import create_engine, create_session_factory
from govplatform.core.interfaces import KeyFormat, Messages
from govplatform.core.jobs.queue import TaskRegistry
from govplatform.core.services import passwords
from govplatform.core.services.api_keys import PlatformKeyFormat, StoredKeys
from govplatform.core.services.sign_in import SessionPolicy
from govplatform.core.services.throttle import TallyStore, Throttle
from govplatform.core.services.throttle_stores import DatabaseTallies, RedisTallies, redis_client
from govplatform.core.settings import Settings
from govplatform.core.unit_of_work import UnitOfWork


@dataclasses.dataclass
class Platform:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    cipher: FieldCipher
    tasks: TaskRegistry
    key_formats: dict[str, KeyFormat]
    session_policy: SessionPolicy
    # Every place a person can guess a secret goes through this (services/throttle.py).
    throttle: Throttle
    # How a change reaches the read caches of every process (cache_notices.py, ADR 0015).
    notices: Notices
    # The API keys every component checks, kept briefly and forgotten everywhere when revoked.
    keys: StoredKeys
    # Long-running loops a worker process runs beside the job queue (the log's sequencer).
    background_loops: list[Callable[[asyncio.Event], Awaitable[None]]] = dataclasses.field(default_factory=list)
    # Component services, by component name, registered by the composition root.
    components: dict[str, Any] = dataclasses.field(default_factory=dict)
    # Emails and texts from templates: notify registers its implementation (core never imports notify).
    messages: Messages | None = None
    # What core's admin pages show for every component: panels, a service's sections, audit events' names.
    admin: AdminRegistry = dataclasses.field(default_factory=AdminRegistry)

    def uow(self, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(self.sessions, read_only=read_only, notices=self.notices)

    @property
    def platform_keys(self) -> KeyFormat:
        return self.key_formats["platform"]

    def add_key_format(self, key_format: KeyFormat) -> None:
        self.key_formats[key_format.component] = key_format

    async def dispose(self) -> None:
        await self.notices.stop()
        if isinstance(self.throttle.store, RedisTallies):
            await self.throttle.store.aclose()
        await self.engine.dispose()


def build_platform(settings: Settings, sessions: async_sessionmaker[AsyncSession] | None = None) -> Platform:
    passwords.use_cost(settings.password_hash_time_cost, settings.password_hash_memory_kib)
    engine = create_engine(settings)
    sessions = sessions or create_session_factory(engine)
    cipher = FieldCipher(settings.encryption_key_list())
    notices = notices_for(engine, sessions)
    return Platform(
        settings=settings,
        engine=engine,
        sessions=sessions,
        cipher=cipher,
        tasks=TaskRegistry(),
        key_formats={"platform": PlatformKeyFormat(settings.api_key_hash_secret)},
        session_policy=SessionPolicy(
            hash_secret=settings.api_key_hash_secret,
            idle=dt.timedelta(minutes=settings.session_idle_minutes),
            absolute=dt.timedelta(hours=settings.session_absolute_hours),
        ),
        throttle=Throttle(guess_tallies(settings), settings.api_key_hash_secret),
        admin=admin_registry(),
        notices=notices,
        keys=StoredKeys(cipher, notices),
    )


def admin_registry() -> AdminRegistry:
    """The admin registry holding core's own entries; each component adds its own at start-up."""
    registry = AdminRegistry()
    admin_entries.declare(registry)
    return registry


def guess_tallies(settings: Settings) -> TallyStore:
    """The throttle's tallies: in Redis when GOVPLATFORM_REDIS_URL is set (the database when it fails), else the
    database."""
    if settings.redis_url:
        return RedisTallies(redis_client(settings.redis_url), DatabaseTallies())
    return DatabaseTallies()
