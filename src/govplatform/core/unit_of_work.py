"""The unit of work: the one place that commits.

Services receive a UnitOfWork and change things through its session; only the
caller that opened the unit (a route, a task runner, a CLI command) decides to
commit. Leaving the block without a commit rolls everything back, so a failed
request never leaves half its changes behind (Architecture Patterns with
Python, chapter 6).
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

READ_ONLY = "govplatform_read_only"


class UnitOfWork:
    session: AsyncSession

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], read_only: bool = False) -> None:
        self._session_factory = session_factory
        self.read_only = read_only

    async def __aenter__(self) -> Self:
        self.session = self._session_factory()
        if self.read_only:
            options: dict[str, object] = {READ_ONLY: True}  # SQLite: a deferred BEGIN, not the write lock
            bind = self.session.get_bind()
            if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
                # PostgreSQL: reads run without BEGIN and ROLLBACK, two round trips fewer. What the
                # platform reads in one unit (a key, tiles that only ever grow) needs no snapshot.
                options["isolation_level"] = "AUTOCOMMIT"
            await self.session.connection(execution_options=options)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            # Detach first so that what was read stays readable after the block (a rollback
            # would expire it); anything not committed is still rolled back.
            self.session.expunge_all()
            await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
