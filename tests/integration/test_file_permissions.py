"""Files that hold secrets or personal data are readable by their owner only (issue 13 fault 8).

The SQLite database with its write-ahead log and shared-memory file, and
var/secrets.json: each is created 0600, in a var folder created 0700, whatever
the umask (here 022, the usual default, under which files come out 0644 and
readable by every account on the machine). Notify's sandbox files and the
letters' print folders are tested in tests/integration/notify/test_file_permissions.py.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from govplatform.core.database import create_engine
from govplatform.examples import parking_shop, parking_sign_in
from tests.conftest import make_settings


@pytest.fixture(autouse=True)
def umask_lets_everyone_read() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_new_sqlite_database_its_wal_and_its_shared_memory_are_readable_by_their_owner_only(
    tmp_path: Path,
) -> None:
    var_dir = tmp_path / "var"
    database = var_dir / "govplatform.db"
    engine = create_engine(make_settings(var_dir, f"sqlite+aiosqlite:///{database}"))
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE letters (address TEXT)"))
            await connection.execute(text("INSERT INTO letters VALUES ('1 High Street')"))
        async with engine.connect() as connection:  # WAL mode: the log and the index exist while it is open
            await connection.execute(text("SELECT address FROM letters"))
            files = {path.name: mode(path) for path in var_dir.glob("govplatform.db*")}
    finally:
        await engine.dispose()
    assert files == {"govplatform.db": 0o600, "govplatform.db-wal": 0o600, "govplatform.db-shm": 0o600}
    assert mode(var_dir) == 0o700


async def test_an_existing_database_that_others_could_read_is_made_readable_by_its_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "govplatform.db"
    database.touch(mode=0o644)
    engine = create_engine(make_settings(tmp_path, f"sqlite+aiosqlite:///{database}"))
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
    assert mode(database) == 0o600


def test_the_generated_secrets_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    settings = make_settings(var_dir, "sqlite+aiosqlite:///:memory:")
    assert json.loads((var_dir / "secrets.json").read_text())["session_secret"] == settings.session_secret
    assert mode(var_dir / "secrets.json") == 0o600
    assert mode(var_dir) == 0o700


def test_a_secrets_file_that_others_could_read_is_made_readable_by_its_owner_only(tmp_path: Path) -> None:
    make_settings(tmp_path, "sqlite+aiosqlite:///:memory:")
    (tmp_path / "secrets.json").chmod(0o644)
    make_settings(tmp_path, "sqlite+aiosqlite:///:memory:")
    assert mode(tmp_path / "secrets.json") == 0o600


def test_the_parking_example_keeps_its_keys_in_a_folder_only_its_owner_can_open(tmp_path: Path) -> None:
    """The example's API key and its private key for signing in are 0600, in var/examples 0700 (one an older
    run left 0755 is tightened)."""
    (tmp_path / "examples").mkdir(mode=0o755)
    parking_shop.save_key(tmp_path, "test-key")
    key, _ = parking_sign_in.new_key_pair()
    parking_sign_in.save_registration(
        tmp_path, parking_sign_in.Registration("client", key, "cookie-key", "http://localhost:8000")
    )
    folder = tmp_path / "examples"
    assert mode(folder) == 0o700
    assert sorted(path.name for path in folder.iterdir()) == ["parking-permits-sign-in.json", "parking-permits.json"]
    assert all(mode(path) == 0o600 for path in folder.iterdir())
