"""What every component's commands share: the database named and checked, the platform built, one way to fail.

Why in core: the root command (`govplatform/cli.py`) lends each run a `CommandContext` that holds the
composition root's `register_components`, through click's context, so a component's `cli.py` gets a
platform with every component registered without importing `app.py`, which sits above it. There is one
way to add commands: a component writes a typer app in its `cli.py` using this kit (through
`core/interfaces.py`), and the root command adds it under the component's name.

Why the database is named and checked first: run from another folder, the embedded default would
quietly create a new, empty `var/` database and new secrets there. Every command that uses the
database says on stderr which one it uses, and only the commands that exist to create one
(`db upgrade`, `demo`) go on where there is none; the others stop with one line before any folder,
secret or database file is written.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console

from govplatform.core.interfaces import Actor, UserFacingError
from govplatform.core.settings import Settings, SettingsError, read_settings, with_generated_secrets

T = TypeVar("T")
console = Console()
err = Console(stderr=True)
CLI_ACTOR = Actor("cli", None, "govplatform cli")
CREATE_IT = "Create it with `govplatform db upgrade`"


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[red]Error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def parse_id(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        fail(f"{what} must be an ID like 123e4567-e89b-12d3-a456-426614174000, not {value!r}", 2)


def emit(as_json: bool, values: dict[str, Any], human: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(values, default=str) + "\n")
    else:
        console.print(human, highlight=False, soft_wrap=True)


def describe_database(settings: Settings) -> str:
    """The database as a person would write its URL: SQLite's file as an absolute path, any password masked."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(settings.resolved_database_url)
    except ArgumentError:
        fail("Setting GOVPLATFORM_DATABASE_URL is not valid: it is not a database URL", 2)
    url = url.set(drivername=url.get_backend_name())
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        url = url.set(database=str(Path(url.database).absolute()))
    if "password" in url.query:
        url = url.update_query_dict({"password": "***"})
    return url.render_as_string(hide_password=True)


class CommandContext:
    """One run of a command: its settings, read once, and the platform with every component registered.

    `prepare` is the composition root's `register_components`, lent by the root command.
    """

    def __init__(self, prepare: Callable[[Any], None] | None = None) -> None:
        self._prepare = prepare
        self._settings: Settings | None = None
        self.database_was_there = True

    def settings(self, creates: bool = False) -> Settings:
        """The settings; the first call names the database on stderr and, unless the command `creates` one,
        stops where there is none (or it has no tables), before any folder, secret or file is written."""
        if self._settings is None:
            self._settings = self._open(creates)
        return self._settings

    def _open(self, creates: bool) -> Settings:
        try:
            settings = read_settings()
        except SettingsError as error:
            fail(str(error), 2)
        absent = _absent_sqlite_file(settings)
        err.print(
            f"{'Creating' if absent and creates else 'Using'} database {describe_database(settings)}",
            highlight=False,
            soft_wrap=True,
        )
        missing = f"There is no database at {absent}." if absent else asyncio.run(_without_tables(settings))
        self.database_was_there = missing is None
        if missing and not creates:
            fail(f"{missing} {CREATE_IT}, or run this command where the platform's var/ folder is "
                 "(or set GOVPLATFORM_VAR_DIR or GOVPLATFORM_DATABASE_URL).")  # fmt: skip
        try:
            return with_generated_secrets(settings)
        except SettingsError as error:
            fail(str(error), 2)

    def run(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """Build the platform with every component, run `work(platform)`, and turn start-up faults into one line."""
        from sqlalchemy.exc import DBAPIError, OperationalError

        from govplatform.core.platform import build_platform

        settings = self.settings()

        async def main() -> T:
            platform = build_platform(settings)
            try:
                if self._prepare is not None:
                    self._prepare(platform)
                return await work(platform)
            finally:
                await platform.dispose()

        try:
            return asyncio.run(main())
        except SettingsError as error:
            fail(str(error), 2)
        except (OperationalError, DBAPIError, OSError) as error:
            fail(f"Cannot use the database ({describe_database(settings)}): {_reason(error)}")


def _reason(error: BaseException) -> str:
    return str(getattr(error, "orig", error)).splitlines()[0][:200]


def _absent_sqlite_file(settings: Settings) -> Path | None:
    """The SQLite file the settings name, when it does not exist; looked for before anything opens it,
    since opening one creates it."""
    url = settings.resolved_database_url
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[1]
    if path in ("", ":memory:") or Path(path).is_file():
        return None
    return Path(path).absolute()


async def _without_tables(settings: Settings) -> str | None:
    """Why the database is not ready (it has no tables), or None when it is."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import DBAPIError, OperationalError
    from sqlalchemy.ext.asyncio import create_async_engine

    # Not the platform's engine: that one makes var/ and the SQLite file.
    engine = create_async_engine(settings.resolved_database_url)
    try:
        async with engine.connect() as connection:
            migrated = await connection.run_sync(lambda sync: inspect(sync).has_table("alembic_version"))
    except (OperationalError, DBAPIError, OSError) as error:
        fail(f"Cannot use the database ({describe_database(settings)}): {_reason(error)}")
    finally:
        await engine.dispose()
    return None if migrated else f"The database {describe_database(settings)} has no tables."


_LENT: contextvars.ContextVar[CommandContext] = contextvars.ContextVar("command_context")


def lend(context: CommandContext) -> None:
    """Called by the root command before each run's command (govplatform/cli.py)."""
    _LENT.set(context)


def command_context() -> CommandContext:
    """The context the root command lent this run."""
    try:
        return _LENT.get()
    except LookupError:
        raise RuntimeError("commands run under the root command (govplatform.cli), which lends their context") from None


def run_with_platform(work: Callable[[Any], Awaitable[T]]) -> T:
    """`work(platform)` on this run's platform, every component registered (CommandContext.run)."""
    return command_context().run(work)


def create_api_key(component: str, service_id: uuid.UUID, name: str, key_type: str | None = None) -> tuple[Any, str]:
    """Make a key in a component's format; returns the stored key and the text to show once. Rule
    violations exit with one line."""
    from govplatform.core.services import api_keys

    async def work(platform: Any) -> Any:
        async with platform.uow() as uow:
            made = await api_keys.create_key(
                uow, CLI_ACTOR, platform.key_formats[component], service_id, name, key_type
            )
            await uow.commit()
            return made

    key, shown = user_facing(lambda: run_with_platform(work))
    return key, shown


def user_facing(call: Callable[[], T]) -> T:
    """Rule violations (duplicate names, unknown IDs) become one line and exit code 1."""
    try:
        return call()
    except UserFacingError as error:
        fail(str(error))
