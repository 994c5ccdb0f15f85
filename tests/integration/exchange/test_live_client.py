"""Against a real `govplatform serve` seeded by `govplatform demo`: a client written outside the platform with an
RFC 9421 library and httpx alone (docs/examples/exchange_client.py) asks the demo agency's records, checks the
gateway's signature on the answer and, after the next checkpoint, its receipt; `govplatform exchange query` does
the same from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.server import free_port, run_cli, server_env, serving
from tests.conftest import drop_database, new_database

ROOT = Path(__file__).resolve().parents[3]
CLIENT = ROOT / "docs" / "examples" / "exchange_client.py"
RESIDENT_LICENCE = "driving-licence:RESID804195D99AB"


@pytest.fixture(scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, Any]]:
    var_dir = tmp_path_factory.mktemp("exchange-live")
    database_url = await new_database(var_dir)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = server_env(var_dir, url)
    env["GOVPLATFORM_DATABASE_URL"] = database_url
    try:
        run_cli(env, "demo")
        seeded = json.loads((var_dir / "demo-exchange.json").read_text())
        with serving(env, port, var_dir / "serve.log"):
            yield {"url": url, "env": env, **seeded}
    finally:
        await drop_database(database_url)


def test_a_client_outside_the_platform_queries_the_demo_and_verifies_the_answer_and_its_receipt(
    demo: dict[str, Any],
) -> None:
    done = subprocess.run(
        [sys.executable, str(CLIENT), demo["url"], demo["council_key_file"], demo["council_key_id"],
         demo["agreement_id"], RESIDENT_LICENCE, "registration,make,colour"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    printed = json.loads(done.stdout)
    assert printed["data"] == {"registration": "DM21 RES", "make": "NISSAN", "colour": "Green"}
    assert printed["entry"]["via"]["agreement"] == demo["agreement_id"] and printed["checkpoint_size"] >= 1
    assert printed["entry"]["who"]["organisation"]["name"] == "Demo Borough Council"


def test_the_query_command_signs_sends_and_checks_the_answer(demo: dict[str, Any]) -> None:
    args = ["exchange", "query", "--url", demo["url"] + "/api/exchange/v1/queries", "--key", demo["council_key_file"],
            "--key-id", demo["council_key_id"], "--agreement", demo["agreement_id"], "--subject", RESIDENT_LICENCE,
            "--fields", "make,colour", "--json"]  # fmt: skip
    answered = json.loads(run_cli(demo["env"], *args, "--purpose", "resident-parking-permits"))
    assert answered["data"] == {"make": "NISSAN", "colour": "Green"} and answered["signed_by"].startswith("gateway/")
    refused = subprocess.run(
        [sys.executable, "-m", "govplatform", *args, "--purpose", "council-tax"], env=demo["env"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 1 and json.loads(refused.stdout)["error"] == "purpose_mismatch"
    # The identifier may come on standard input instead, out of shell history and the process list.
    hidden = [*args[: args.index("--subject")], "--subject", "-", *args[args.index("--subject") + 2 :]]
    from_stdin = subprocess.run(
        [sys.executable, "-m", "govplatform", *hidden, "--purpose", "resident-parking-permits"], env=demo["env"],
        input=RESIDENT_LICENCE + "\n", capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert json.loads(from_stdin.stdout)["data"] == {"make": "NISSAN", "colour": "Green"}
