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

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

READ_ONLY = "govplatform_read_only"
_READ_ONLY_COPY = "_govplatform_read_only_engine"  # kept on the engine itself, so both go together


def _read_only_options(dialect_name: str) -> dict[str, object]:
    options: dict[str, object] = {READ_ONLY: True}  # SQLite: no BEGIN, so never the write lock
    if dialect_name == "postgresql":
        # PostgreSQL: reads run without BEGIN and ROLLBACK, two round trips fewer. What the
        # platform reads in one unit (a key, tiles that only ever grow) needs no snapshot.
        options["isolation_level"] = "AUTOCOMMIT"
    return options


def read_only_engine(engine: AsyncEngine) -> AsyncEngine:
    """The engine with the read-only options set, made once per engine (it shares the engine's pool)."""
    found: AsyncEngine | None = getattr(engine.sync_engine, _READ_ONLY_COPY, None)
    if found is None:
        found = engine.execution_options(**_read_only_options(engine.dialect.name))
        setattr(engine.sync_engine, _READ_ONLY_COPY, found)
    return found


class UnitOfWork:
    session: AsyncSession

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], read_only: bool = False) -> None:
        self._session_factory = session_factory
        self.read_only = read_only

    async def __aenter__(self) -> Self:
        bind = self._session_factory.kw.get("bind")
        if self.read_only and isinstance(bind, AsyncEngine):
            # Bound to an engine that carries the read-only options, the session still connects
            # only when it first reads: a unit that finds what it needs in memory (a proof from
            # cached tiles) never touches the database.
            self.session = self._session_factory(bind=read_only_engine(bind))
            return self
        self.session = self._session_factory()
        if self.read_only:
            # Bound to one connection (the tests' outer transaction): the flag goes on that
            # connection's transaction; its isolation level is the outer transaction's to keep.
            await self.session.connection(execution_options={READ_ONLY: True})
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
