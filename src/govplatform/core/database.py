"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production).

Built by the composition root from settings; nothing connects at import time.
SQLite runs in WAL mode so readers never wait on the writer, with a busy
timeout so the web process and the in-process worker take turns instead of
failing with "database is locked".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from govplatform.core.private_files import create_private, make_private, private_folder
from govplatform.core.settings import Settings
from govplatform.core.unit_of_work import READ_ONLY


def _sqlite_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # Stop the sqlite3 module from issuing its own BEGINs; SQLAlchemy's "begin" event does it
    # (the SQLAlchemy recipe for SAVEPOINT support on pysqlite and aiosqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE takes the write lock at the start, so a transaction that reads and then writes
    # never fails with SQLITE_BUSY when another writer committed in between (WAL mode snapshots).
    # A unit of work that only reads says so and begins nothing: each read is its own snapshot,
    # as on PostgreSQL, where read-only units run in autocommit (unit_of_work.py), and the
    # BEGIN it saves is one trip fewer to aiosqlite's thread.
    if not connection.get_execution_options().get(READ_ONLY, False):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _private_database(path: Path) -> None:
    """Create the database file 0600 before SQLite opens it, or make an existing one private.

    SQLite gives the -wal and -shm files it creates the database file's permissions, so they
    follow; ones left from an earlier run are made private too (issue 13 fault 8).
    """
    if not path.parent.is_dir():
        return  # SQLite says so, in its own words, when it connects
    create_private(path)
    for companion in ("-wal", "-shm", "-journal"):
        make_private(path.with_name(path.name + companion))


def create_engine(settings: Settings, url: str | None = None) -> AsyncEngine:
    url = url or settings.resolved_database_url
    # No pre-ping: it costs a round trip per checkout; a connection that died is invalidated on
    # its first error (a 503 for that one request) and the pool reconnects.
    kwargs: dict[str, Any] = {"echo": settings.database_echo, "pool_recycle": 1800}
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1]
        if path and path != ":memory:":
            private_folder(settings.var_dir)
            _private_database(Path(path))
        kwargs["connect_args"] = {"timeout": 10}
    else:
        kwargs.update(pool_size=10, max_overflow=10)
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
