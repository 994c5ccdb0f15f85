"""The unit of work: the one place that commits.

Services receive a UnitOfWork and change things through its session; only the
caller that opened the unit (a route, a task runner, a CLI command) decides to
commit. Leaving the block without a commit rolls everything back, so a failed
request never leaves half its changes behind (Architecture Patterns with
Python, chapter 6).

Hot paths lend the unit's own connection rather than use its session's ORM
machinery (DESIGN.md, "Hot paths"; core/data_path.py): `execute` runs a Core
statement on it, `fetch` and `fetch_first` run a `Prebuilt` statement through
the driver. Either way the statement is inside the unit's transaction, and
the unit still commits or rolls back everything together. A change that other
processes keep a copy of tells them with `forget_elsewhere`, which reaches
them when the unit commits (core/cache_notices.py, ADR 0015); `commit` then
waits, briefly, until they have heard.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import Executable, Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from govplatform.core import data_path
from govplatform.core.data_path import DriverRow, Prebuilt

if TYPE_CHECKING:
    from govplatform.core.cache_notices import Notices

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

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        read_only: bool = False,
        notices: Notices | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.read_only = read_only
        self._notices = notices
        self._after_commit: list[Callable[[], Awaitable[None]]] = []

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
        waiting, self._after_commit = self._after_commit, []
        for wait in waiting:
            await wait()

    async def rollback(self) -> None:
        self._after_commit = []
        await self.session.rollback()

    def after_commit(self, wait: Callable[[], Awaitable[None]]) -> None:
        """Await `wait()` once `commit` has committed, before it returns (nothing if the unit rolls back)."""
        self._after_commit.append(wait)

    # The data path -----------------------------------------------------------------------------

    async def connection(self) -> AsyncConnection:
        """The unit's own connection, in its transaction. The session's pending ORM changes are not flushed first."""
        return await self.session.connection()

    async def execute(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Result[Any]:
        """A Core statement on the unit's connection, without the ORM session's per-statement work."""
        connection = await self.session.connection()
        return await connection.execute(statement, params)

    async def fetch(self, statement: Prebuilt, **params: Any) -> list[DriverRow]:
        """A prebuilt statement's rows, by the driver, on the unit's connection (core/data_path.py)."""
        return await data_path.fetch(await self.session.connection(), statement, params)

    async def fetch_first(self, statement: Prebuilt, **params: Any) -> DriverRow | None:
        rows = await data_path.fetch(await self.session.connection(), statement, params)
        return rows[0] if rows else None

    async def forget_elsewhere(self, topic: str, subject: str) -> None:
        """Tell every process that keeps copies under `topic` (core/cache_notices.py) to forget `subject` once
        this unit commits; `commit` waits until they have. Call it inside the change (a write unit)."""
        if self._notices is not None:
            await self._notices.announce(self, topic, subject)
