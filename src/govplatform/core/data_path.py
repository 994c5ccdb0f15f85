"""The hot paths' way to the database: prebuilt statements on the unit of work's own connection.

Why: on a request that checks a key and reads a row, the ORM session's
per-statement machinery is most of the cost (DESIGN.md, "Hot paths"). Measured
per lookup of a key (docs/benchmarks.md, "The data path"): through
`session.execute` about 580 µs of CPU on PostgreSQL, through SQLAlchemy Core
on the same connection about 450 µs, through asyncpg's own prepared statement
about 150 µs, each after the same 250-300 µs to take a connection from the
pool. So a hot path writes its statement once, at import, as SQLAlchemy Core
(`Prebuilt`), and the unit of work runs it either through Core on its
connection (`UnitOfWork.execute`) or through the driver (`UnitOfWork.fetch`),
which this module does.

What the driver path keeps from SQLAlchemy, so that it is the same statement
with the same answers: the SQL is SQLAlchemy's own compilation for the
dialect (made once per dialect and kept); parameters and columns go through
the column types' own bind and result processors (a UUID is a UUID and a time
is a UTC datetime on both databases); it runs inside the unit's transaction
(on PostgreSQL it begins it, as SQLAlchemy's adapter would, when the unit has
not yet); and a failure reaches the caller as SQLAlchemy's `DBAPIError`, with
the driver's error as `orig`, so the web shell's answers (503 when the
database is away, 409 for a constraint) hold, and a connection the driver
lost is invalidated rather than given back to the pool.

That last part reaches into SQLAlchemy's asyncio adapters (their execute
mutex, asyncpg's transaction start and error translation): the version is
pinned in constraints.txt and tests/integration/test_data_path.py covers each
of them on both databases, so an upgrade that moves them fails there first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.expression import ReturnsRows

DriverRow = Mapping[str, Any]
_Processor = Callable[[Any], Any] | None


@dataclasses.dataclass(frozen=True)
class _Compiled:
    sql: str
    parameters: tuple[str, ...]
    bind: tuple[_Processor, ...]
    columns: tuple[str, ...]
    results: tuple[_Processor, ...]


class Prebuilt:
    """A Core statement written once (at import, no I/O) and compiled once per dialect for the driver.

    Parameters are `bindparam`s by name; rows come back as mappings by column
    name (a column's key or label). Statements whose SQL changes with their
    parameters (an expanding IN list), and unnamed columns, are refused here.
    """

    def __init__(self, statement: ReturnsRows) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def compiled_for(self, dialect: Dialect) -> _Compiled:
        key = f"{dialect.name}+{dialect.driver}"
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        if any(compiled.binds[name].expanding for name in names):
            raise ValueError("a prebuilt statement cannot have an expanding parameter (its SQL changes per call)")
        bind = tuple(compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
        columns = tuple(_name(column) for column in self.statement.exported_columns)
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in self.statement.exported_columns
        )
        return _Compiled(compiled.string, names, bind, columns, results)


def _name(column: Any) -> str:
    name = column.key if column.key is not None else getattr(column, "name", None)
    if not name:
        raise ValueError(f"a prebuilt statement's columns need names: label {column}")
    return str(name)


async def fetch(connection: AsyncConnection, prebuilt: Prebuilt, params: Mapping[str, Any]) -> list[DriverRow]:
    """The statement's rows, by the driver, on `connection` and inside its transaction."""
    dialect = connection.dialect
    compiled = prebuilt.compiled_for(dialect)
    values = tuple(
        value if process is None else process(value)
        for value, process in zip((params[name] for name in compiled.parameters), compiled.bind, strict=True)
    )
    raw = await connection.get_raw_connection()
    adapted: Any = raw.dbapi_connection  # SQLAlchemy's asyncio adapter around the driver's connection
    driver: Any = raw.driver_connection
    try:
        async with adapted._execute_mutex:  # one statement at a time on a connection, as the adapter does
            if dialect.name == "postgresql":
                if adapted._transaction is None:
                    await adapted._start_transaction()  # a no-op in autocommit (read-only units)
                records: Sequence[Sequence[Any]] = await driver.fetch(compiled.sql, *values)
            else:
                records = await driver.execute_fetchall(compiled.sql, values)
    except Exception as error:
        translated = await _translated(connection, adapted, compiled.sql, values, error)
        if translated is error:
            raise
        raise translated from error
    return [_row(compiled, record) for record in records]


def _row(compiled: _Compiled, record: Sequence[Any]) -> DriverRow:
    return {
        name: value if process is None else process(value)
        for name, value, process in zip(compiled.columns, record, compiled.results, strict=True)
    }


async def _translated(
    connection: AsyncConnection, adapted: Any, sql: str, values: tuple[Any, ...], error: Exception
) -> BaseException:
    """The driver's error as SQLAlchemy would have raised it; a lost connection is invalidated."""
    dbapi = connection.dialect.loaded_dbapi
    orig: BaseException = error
    if connection.dialect.name == "postgresql" and not isinstance(error, dbapi.Error):
        try:
            adapted._handle_exception(error)  # asyncpg's error as the adapter's DB-API error (SQLSTATE kept)
        except Exception as translated:
            orig = translated
    if not isinstance(orig, dbapi.Error):
        return orig  # not the database's (a cancellation, say): as it was
    lost = connection.dialect.is_disconnect(orig, adapted, None)
    if lost:
        await connection.invalidate()
    # Parameters stay out of the message: they can be a key's hash or a person's details.
    return DBAPIError.instance(sql, values, orig, dbapi.Error, hide_parameters=True, connection_invalidated=lost)
