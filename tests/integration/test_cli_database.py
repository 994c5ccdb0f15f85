"""The installed `govplatform` command names its database, and only `db upgrade` and `demo` create one.

Run from a folder that is not the platform's, the embedded default's relative `var/` would once have
become a new, empty database with new secrets; these run the real console script in an empty folder.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, TEST_DATABASE_URL, _create_postgres_database, _drop_postgres_database, is_postgres

pytestmark = pytest.mark.process

GOVPLATFORM = Path(sys.executable).parent / "govplatform"
SOME_ID = "f62b4fbe-09a8-4e97-8e36-c3652e4deb0e"  # fixed: test ids must be the same in every pytest-xdist worker


def run_in(folder: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # Nothing from the outer shell's GOVPLATFORM_* may point the command at a database.
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GOVPLATFORM_")}
    environment["GOVPLATFORM_FRONTEND_DIR"] = str(ROOT / "node_modules/govuk-frontend/dist/govuk")
    return subprocess.run(
        [str(GOVPLATFORM), *args], capture_output=True, text=True, cwd=folder, env={**environment, **(env or {})},
        timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize(
    "args",
    [
        ["org", "create", "--name", "Anytown Council"],
        ["notify", "key", "create", "--service", SOME_ID, "--type", "test"],
        ["pay", "key", "create", "--service", SOME_ID, "--mode", "test"],
        ["transparency", "integrate"],
        ["worker"],
        ["serve", "--port", "1"],
    ],
    ids=" ".join,
)
def test_a_command_run_where_there_is_no_database_names_the_one_it_looked_for_and_creates_nothing(
    tmp_path: Path, args: list[str]
) -> None:
    result = run_in(tmp_path, *args)
    expected = tmp_path / "var" / "govplatform.db"
    assert result.returncode == 1
    first, error = result.stderr.strip().splitlines()
    assert first == f"Using database sqlite:///{expected}"
    assert f"There is no database at {expected}" in error and "govplatform db upgrade" in error
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert list(tmp_path.iterdir()) == [], "no var/ folder, secrets or database file"


def test_db_upgrade_creates_the_database_where_there_is_none_and_later_commands_use_it(tmp_path: Path) -> None:
    expected = tmp_path / "var" / "govplatform.db"
    upgraded = run_in(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stderr.strip() == f"Creating database sqlite:///{expected}"
    assert expected.is_file() and (tmp_path / "var" / "secrets.json").is_file()
    created = run_in(tmp_path, "org", "create", "--name", "Anytown Council")
    assert created.returncode == 0, created.stderr
    assert created.stderr.strip() == f"Using database sqlite:///{expected}"
    assert "Created organisation Anytown Council" in created.stdout


def test_demo_creates_the_database_where_there_is_none(tmp_path: Path) -> None:
    seeded = run_in(tmp_path, "demo")
    assert seeded.returncode == 0, seeded.stderr
    assert seeded.stderr.startswith(f"Creating database sqlite:///{tmp_path / 'var' / 'govplatform.db'}\n")
    assert "Demo data created." in seeded.stdout


def test_an_empty_sqlite_file_is_refused_as_a_database_without_tables(tmp_path: Path) -> None:
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "govplatform.db").touch()  # as an older release left it, run from the wrong folder
    result = run_in(tmp_path, "org", "create", "--name", "Anytown Council")
    assert result.returncode == 1
    assert "has no tables. Create it with `govplatform db upgrade`" in result.stderr
    assert sorted(path.name for path in (tmp_path / "var").iterdir()) == ["govplatform.db"], "no secrets made"


def test_a_postgresql_url_is_named_with_its_password_masked(tmp_path: Path) -> None:
    url = "postgresql://someone:s3cret-word@127.0.0.1:9/platform"  # nothing listens on port 9
    result = run_in(tmp_path, "org", "create", "--name", "X", env={"GOVPLATFORM_DATABASE_URL": url})
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == "Using database postgresql://someone:***@127.0.0.1:9/platform"
    assert "Cannot use the database" in result.stderr and "s3cret-word" not in result.stderr + result.stdout
    assert list(tmp_path.iterdir()) == [], "no var/ folder or secrets before the database answers"


@pytest.mark.skipif(not is_postgres(), reason="needs a PostgreSQL server (GOVPLATFORM_TEST_DATABASE_URL)")
async def test_a_postgresql_database_without_tables_is_refused_until_db_upgrade(tmp_path: Path) -> None:
    url = await _create_postgres_database(TEST_DATABASE_URL)
    try:
        env = {"GOVPLATFORM_DATABASE_URL": url}
        refused = run_in(tmp_path, "pay", "key", "create", "--service", SOME_ID, "--mode", "test", env=env)
        assert refused.returncode == 1
        assert "has no tables. Create it with `govplatform db upgrade`" in refused.stderr
        assert list(tmp_path.iterdir()) == []
        assert run_in(tmp_path, "db", "upgrade", env=env).returncode == 0
        created = run_in(tmp_path, "org", "create", "--name", "Anytown Council", env=env)
        assert created.returncode == 0, created.stderr
    finally:
        await _drop_postgres_database(url)
