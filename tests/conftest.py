"""Shared fixtures: settings, a migrated test database, rolled-back units of work, an app client.

The database is SQLite unless GOVPLATFORM_TEST_DATABASE_URL names a PostgreSQL
server (`.ci/run` runs the suite both ways). Service tests run inside one
outer transaction that is rolled back; tests that involve another process get
a fresh database of their own (`fresh_database`).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from govplatform.app import build_app
from govplatform.core.database import create_engine
from govplatform.core.migrate import upgrade_to_head
from govplatform.core.platform import Platform, build_platform
from govplatform.core.services import passwords
from govplatform.core.settings import Settings, load_settings, normalise_database_url
from govplatform.core.unit_of_work import UnitOfWork

ROOT = Path(__file__).resolve().parent.parent
# The suite's tiers and their budgets, and the one way tests skip without ../shared/reference.
pytest_plugins = ("tests.tiers", "tests.reference")

# Property tests: no per-example deadline (a shared two-core machine stalls now and then), and
# under CI a fixed seed, so a run that passed once passes again on the same code.
hypothesis_settings.register_profile("default", deadline=None)
hypothesis_settings.register_profile("ci", deadline=None, derandomize=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "default")
TEST_DATABASE_URL = os.environ.get("GOVPLATFORM_TEST_DATABASE_URL", "")


def is_postgres() -> bool:
    return TEST_DATABASE_URL.startswith("postgres")


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


# argon2's least cost (settings.py says why tests use it); tests/unit/test_passwords.py checks the real one.
CHEAP_PASSWORDS = {"password_hash_time_cost": 1, "password_hash_memory_kib": 32}


def use_cheap_passwords() -> None:
    passwords.use_cost(CHEAP_PASSWORDS["password_hash_time_cost"], CHEAP_PASSWORDS["password_hash_memory_kib"])


@pytest.fixture
def raise_password_cost() -> Iterator[Callable[[], int]]:
    """Call it to have the operator raise argon2's memory (to the KiB it returns); the tests' cost is back after."""

    def raise_cost() -> int:
        passwords.use_cost(1, 64)
        return 64

    yield raise_cost
    use_cheap_passwords()


def make_settings(var_dir: Path, database_url: str, **overrides: object) -> Settings:
    return load_settings(
        environment="test",
        var_dir=var_dir,
        database_url=database_url,
        frontend_dir=ROOT / "node_modules/govuk-frontend/dist/govuk",
        **{**CHEAP_PASSWORDS, **overrides},
    )


async def _create_postgres_database(url: str) -> str:
    """A new, empty PostgreSQL database on the server that `url` names; returns its URL."""
    base = normalise_database_url(url)
    name = f"gp_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(base.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return base.rsplit("/", 1)[0] + "/" + name


async def _drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_async_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def new_database(var_dir: Path) -> str:
    if is_postgres():
        url = await _create_postgres_database(TEST_DATABASE_URL)
    else:
        url = f"sqlite+aiosqlite:///{var_dir / f'test-{uuid.uuid4().hex[:12]}.db'}"
    settings = make_settings(var_dir, url)
    await asyncio.to_thread(upgrade_to_head, settings)
    return url


async def drop_database(url: str) -> None:
    if url.startswith("postgres"):
        await _drop_postgres_database(url)


@pytest.fixture(scope="session")
async def database_url(var_dir: Path) -> AsyncIterator[str]:
    url = await new_database(var_dir)
    yield url
    await drop_database(url)


@pytest.fixture
async def fresh_database(var_dir: Path) -> AsyncIterator[str]:
    """A migrated database of this test's own, for tests that start another process."""
    url = await new_database(var_dir)
    yield url
    await drop_database(url)


@pytest.fixture
async def own_platform(var_dir: Path, fresh_database: str) -> AsyncIterator[Platform]:
    """A platform on a database of this test's own: units of work at once need connections of their own."""
    platform = build_platform(make_settings(var_dir, fresh_database))
    yield platform
    await platform.dispose()


@pytest.fixture(scope="session")
def settings(var_dir: Path, database_url: str) -> Settings:
    return make_settings(var_dir, database_url)


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """One connection in an outer transaction that the test never commits."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


@pytest.fixture
def sessions(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    # Each unit of work's commit releases a SAVEPOINT; the outer transaction is rolled back.
    return async_sessionmaker(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")


@pytest.fixture
async def platform(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[Platform]:
    platform = build_platform(settings, sessions=sessions)
    yield platform
    await platform.engine.dispose()


@pytest.fixture
def uow(platform: Platform) -> UnitOfWork:
    return platform.uow()


def _browser_on(platform: Platform) -> httpx.AsyncClient:
    """An HTTP client on the whole app over `platform`, from one client address (the tests' own)."""
    app = build_app(platform.settings, platform)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=("203.0.113.7", 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def client(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    async with _browser_on(platform) as client:
        yield client


@pytest.fixture
async def own_client(own_platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on an app over `own_platform`: each unit of work on a connection of its own, as in a server."""
    async with _browser_on(own_platform) as client:
        yield client


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"
