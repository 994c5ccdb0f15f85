"""`govplatform notify send-csv`: checks every row first, then sends, with progress, through the workers."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, drop_database, new_database
from tests.integration.notify.live_server import World, serving

pytestmark = pytest.mark.process


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    var_dir = tmp_path_factory.mktemp("notify-send-csv")
    database_url = await new_database(var_dir)
    try:
        with serving(var_dir, database_url) as platform:
            yield World(platform)
    finally:
        await drop_database(database_url)


def send_csv(world: World, path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "govplatform", "notify", "send-csv", str(path), "--service", world.service_id,
         "--template", world.email_template, *extra],
        env=world.platform.env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_a_good_file_becomes_one_notification_per_row_and_the_command_waits_for_it(
    world: World, tmp_path: Path
) -> None:
    rows = [f"resident{n}@example.com,Resident {n},Tuesday,7am" for n in range(1200)]
    path = tmp_path / "residents.csv"
    path.write_text("email address,name,day,time\n" + "\n".join(rows) + "\n")
    done = send_csv(world, path, "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["rows"] == 1200
    client = world.platform.client(world.live_key)
    listed: list[dict[str, object]] = []
    older_than = None
    while True:  # the client's iterator has no include_jobs, so page by hand as it would
        page = client.get_all_notifications(template_type="email", include_jobs=True, older_than=older_than)
        if not page["notifications"]:
            break
        listed += page["notifications"]
        older_than = page["notifications"][-1]["id"]
    mine = [n for n in listed if str(n["email_address"]).startswith("resident")]
    assert len(mine) == 1200 and len({n["email_address"] for n in mine}) == 1200
    without_jobs = client.get_all_notifications(template_type="email")["notifications"]
    assert not [n for n in without_jobs if n["email_address"].startswith("resident")], "as Notify: jobs only on request"


def test_a_file_with_bad_rows_is_reported_row_by_row_and_nothing_is_sent(world: World, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("email address,name,day,time\nok@example.com,A,B,C\nnot-an-email,A,B,C\nx@example.com,,B,C\n")
    done = send_csv(world, path)
    assert done.returncode == 1
    assert "Row 3: Not a valid email address" in done.stderr
    assert "Row 4: Missing personalisation: name" in done.stderr
    assert "2 rows have errors; nothing was sent" in done.stderr
    assert "Traceback" not in done.stderr
