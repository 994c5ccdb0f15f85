"""Forget notices: a change made in one process is forgotten by every process's read caches at once.

Why: each web process keeps a few rows that every request reads (the key
behind a Bearer token, a service's key secrets) in its `ReadCache` for two
seconds (ADR 0009). Where a stale copy would let someone do what they no
longer may (a revoked key, a withdrawn consent), two seconds is too long:
the change must reach every process before the person who made it is told it
is done. A change says so with `UnitOfWork.forget_elsewhere(topic, subject)`
in its own transaction; the caches that keep copies subscribe to the topic.
How the notice travels depends on the database (ADR 0015):

- PostgreSQL (`PostgresNotices`): the transaction sends `pg_notify` (which
  PostgreSQL delivers only if and when it commits) and counts the processes
  listening. Every process keeps one connection of its own that LISTENs and,
  on a notice, forgets and then answers on the announcer's own channel. The
  announcer's `commit` waits for as many answers as it counted (at most
  `ack_wait_seconds`), so when the request that revoked a key is answered,
  every listening process has already forgotten it. A process serves kept
  copies only while its listener is connected: when it drops, everything kept
  is forgotten and reads go to the database until it is listening again.
- SQLite (`SqliteNotices`, the embedded default, one machine): the
  transaction adds one to a single-row epoch (`read_cache_epoch`); before a
  cache serves a kept copy it reads the epoch on a plain sqlite3 connection of
  its own (about 0.1 ms, with no trip to aiosqlite's thread), and forgets
  everything when it moved. A committed change is seen by the next read in
  every process, with no window at all.
- One process, or units bound to one outer connection (the tests' rolled-back
  transaction): `Notices`, which tells nobody; the process's own caches forget
  as before (`caching.forget_after_change`).

The cache's time limit stays as the backstop for what no notice can cover
(a listener that counted but does not answer in time, a connection that dies
without either side noticing until the heartbeat).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import sqlite3
import uuid
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from govplatform.core.models import ReadCacheEpoch

if TYPE_CHECKING:
    import asyncpg

    from govplatform.core.unit_of_work import UnitOfWork

log = structlog.get_logger()

Forget = Callable[[str | None], None]  # forgets one subject, or everything when given None


class Notices:
    """The subscriptions of this process's caches; on its own, for one process: it tells nobody else."""

    def __init__(self) -> None:
        self._subscribers: dict[str, list[Callable[[], Forget | None]]] = {}

    def subscribe(self, topic: str, forget: Forget) -> None:
        """Call `forget(subject)` for each notice on `topic`, and `forget(None)` when everything must go.

        A bound method is held weakly, so a cache that is dropped stops being told.
        """
        held: Callable[[], Forget | None] = (
            weakref.WeakMethod(forget) if inspect.ismethod(forget) else lambda: forget  # a function as it is
        )
        self._subscribers.setdefault(topic, []).append(held)

    def fresh(self) -> bool:
        """Whether kept copies may be served now: every notice committed so far has been applied."""
        return True

    async def announce(self, uow: UnitOfWork, topic: str, subject: str) -> None:
        """Make `uow`'s commit tell every other process to forget `subject` under `topic`."""

    async def start(self) -> None:
        """Begin listening, where there is anything to listen to."""

    async def stop(self) -> None:
        """Stop listening."""

    def deliver(self, topic: str, subject: str | None) -> None:
        for held in list(self._subscribers.get(topic, ())):
            forget = held()
            if forget is None:
                self._subscribers[topic].remove(held)
            else:
                forget(subject)

    def forget_everything(self) -> None:
        for topic in list(self._subscribers):
            self.deliver(topic, None)


def notices_for(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> Notices:
    """The notices that fit the database: PostgreSQL's LISTEN/NOTIFY, SQLite's epoch, or none.

    Units bound to one connection (the tests' outer transaction, which is never
    committed) have no other process to tell.
    """
    if isinstance(sessions.kw.get("bind"), AsyncConnection):
        return Notices()
    url = engine.url
    if url.get_backend_name() == "postgresql":
        return PostgresNotices(url.set(drivername="postgresql").render_as_string(hide_password=False))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return SqliteNotices(url.database)
    return Notices()


# --- SQLite -----------------------------------------------------------------------------------------

_BUMP = (
    sqlite_insert(ReadCacheEpoch)
    .values(id=1, epoch=1)
    .on_conflict_do_update(index_elements=[ReadCacheEpoch.id], set_={"epoch": ReadCacheEpoch.epoch + 1})
)
_EPOCH = "SELECT epoch FROM read_cache_epoch WHERE id = 1"


class SqliteNotices(Notices):
    """One epoch in the database, moved by every change that others keep copies of; read before each serve."""

    def __init__(self, path: str, busy_seconds: float = 0.05) -> None:
        super().__init__()
        self._path = path
        self._busy_seconds = busy_seconds
        self._reader: sqlite3.Connection | None = None
        self._epoch: int | None = None

    def fresh(self) -> bool:
        try:
            if self._reader is None:
                # Its own connection, read in the event loop's thread: a read of one row of a WAL
                # database never waits on a writer, and a lock held for longer than busy_seconds
                # (a checkpoint) means "not fresh", which only sends this read to the database.
                self._reader = sqlite3.connect(
                    self._path, timeout=self._busy_seconds, isolation_level=None, check_same_thread=False
                )
            found = self._reader.execute(_EPOCH).fetchone()
        except sqlite3.Error:
            self._close()
            return False
        epoch = int(found[0]) if found else 0
        if epoch != self._epoch:
            if self._epoch is not None:
                self.forget_everything()
            self._epoch = epoch
        return True

    async def announce(self, uow: UnitOfWork, topic: str, subject: str) -> None:
        # Inside the unit's transaction (BEGIN IMMEDIATE): other processes see the new epoch when it commits.
        await uow.execute(_BUMP)

    async def stop(self) -> None:
        self._close()

    def _close(self) -> None:
        if self._reader is not None:
            with contextlib.suppress(sqlite3.Error):
                self._reader.close()
        self._reader = None


# --- PostgreSQL -------------------------------------------------------------------------------------

CHANNEL = "govplatform_forget"
LISTENER_NAME = "govplatform read-cache listener"  # the application_name of every listening connection
# Sends the notice (on commit) and counts who will hear it: every listener's connection is named LISTENER_NAME.
_NOTIFY = text(
    "SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = :listener)"
    " FROM (SELECT pg_notify(:channel, :payload)) AS sent"
)


class _Waiting:
    """An announcement's answers: how many listeners were counted, and which backends have answered."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.answered: set[int] = set()
        self.done = asyncio.Event()
        if expected <= 0:
            self.done.set()

    def answer(self, backend_pid: int) -> None:
        self.answered.add(backend_pid)
        if len(self.answered) >= self.expected:
            self.done.set()


class PostgresNotices(Notices):
    """LISTEN/NOTIFY on a connection of this process's own, with answers so the announcer knows when all heard."""

    def __init__(
        self,
        dsn: str,
        ack_wait_seconds: float = 2.0,
        heartbeat_seconds: float = 5.0,
        start_wait_seconds: float = 5.0,
    ) -> None:
        super().__init__()
        self._dsn = dsn
        self.ack_wait_seconds = ack_wait_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.start_wait_seconds = start_wait_seconds
        self.answers_channel = f"govplatform_forgot_{uuid.uuid4().hex}"  # this process's own
        self._listening = False
        self._listening_now = asyncio.Event()
        self._connection: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._sending = asyncio.Lock()  # one statement at a time on the listening connection
        self._lost = asyncio.Event()
        self._waiting: weakref.WeakValueDictionary[str, _Waiting] = weakref.WeakValueDictionary()
        self._answering: set[asyncio.Task[None]] = set()

    @property
    def listening(self) -> bool:
        return self._listening

    def fresh(self) -> bool:
        if self._task is None and not self._stopping:
            self._begin()
        return self._listening

    async def start(self) -> None:
        """Listen, waiting up to `start_wait_seconds` for it; until then caches read through."""
        if self._task is None:
            self._begin()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._listening_now.wait(), self.start_wait_seconds)

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._answering):
            task.cancel()
        await self._close()

    async def announce(self, uow: UnitOfWork, topic: str, subject: str) -> None:
        # Our own listener must be up to hear the answers: started now if it never was (a command's first
        # change), but not waited for inside the change if it is reconnecting. The notice goes either way.
        if self._task is None:
            await self.start()
        notice = uuid.uuid4().hex
        payload = json.dumps({"id": notice, "answer": self.answers_channel, "forget": [topic, subject]})
        sent = await uow.execute(_NOTIFY, {"channel": CHANNEL, "payload": payload, "listener": LISTENER_NAME})
        listeners = int(sent.scalar_one())
        if not self._listening:
            log.warning("read_cache.notice_unconfirmed", reason="this process is not listening")
            return
        waiting = _Waiting(listeners)
        self._waiting[notice] = waiting  # held by the commit's callback below; gone with the unit if it rolls back

        async def until_heard() -> None:
            try:
                await asyncio.wait_for(waiting.done.wait(), self.ack_wait_seconds)
            except TimeoutError:
                log.warning("read_cache.notice_unanswered", expected=waiting.expected, answered=len(waiting.answered))

        uow.after_commit(until_heard)

    # The listening connection ------------------------------------------------------------------

    def _begin(self) -> None:
        self._stopping = False
        self._task = asyncio.get_running_loop().create_task(self._listen_forever())

    async def _listen_forever(self) -> None:
        pause = 0.2
        while not self._stopping:
            try:
                await self._listen_once()
                pause = 0.2
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is away: read through, and try again
                log.warning("read_cache.listener_lost", error=type(error).__name__)
            finally:
                self._not_listening()
                await self._close()
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)

    async def _listen_once(self) -> None:
        import asyncpg

        self._lost.clear()
        connection = await asyncpg.connect(self._dsn, timeout=10)
        self._connection = connection
        connection.add_termination_listener(lambda _connection: self._lost.set())
        await connection.add_listener(CHANNEL, self._on_notice)
        await connection.add_listener(self.answers_channel, self._on_answer)
        # Counted by announcers only from here on, when every notice they send will reach us.
        await connection.execute(f"SET application_name = '{LISTENER_NAME}'")
        self.forget_everything()  # whatever was kept may have missed notices while nobody listened
        self._listening = True
        self._listening_now.set()
        while not self._lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self.heartbeat_seconds)
            if self._lost.is_set():
                return
            async with self._sending:  # a connection that died without a word is found here
                await connection.fetchval("SELECT 1", timeout=self.heartbeat_seconds)

    def _not_listening(self) -> None:
        if self._listening:
            self.forget_everything()
        self._listening = False
        self._listening_now.clear()

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 2)

    def _on_notice(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            notice = json.loads(payload)
            topic, subject = notice["forget"]
            notice_id, answer_to = str(notice["id"]), str(notice["answer"])
        except (ValueError, KeyError, TypeError):
            log.warning("read_cache.notice_unreadable")
            self.forget_everything()
            return
        self.deliver(str(topic), str(subject))
        task = asyncio.get_running_loop().create_task(self._answer(answer_to, notice_id))
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _answer(self, channel: str, notice_id: str) -> None:
        connection = self._connection
        if connection is None:
            return
        try:
            async with self._sending:
                await connection.execute("SELECT pg_notify($1, $2)", channel, notice_id)
        except Exception as error:  # the announcer waits its time and says so; nothing else is lost
            log.warning("read_cache.answer_failed", error=type(error).__name__)

    def _on_answer(self, _connection: Any, pid: int, _channel: str, payload: str) -> None:
        waiting = self._waiting.get(payload)
        if waiting is not None:
            waiting.answer(pid)
