"""The govplatform command, run as a person or a script would run it."""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import create_async_engine

from govplatform.identity.models import RelyingParty
from tests.conftest import ROOT

pytestmark = pytest.mark.process


def govplatform(var_dir: Path, database_url: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "GOVPLATFORM_VAR_DIR": str(var_dir),
        "GOVPLATFORM_DATABASE_URL": database_url,
        "GOVPLATFORM_FRONTEND_DIR": str(ROOT / "node_modules/govuk-frontend/dist/govuk"),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "govplatform", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=60,
    )


def as_json(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_create_commands_print_json_that_scripts_can_chain(fresh_database: str, tmp_path: Path) -> None:
    org = as_json(govplatform(tmp_path, fresh_database, "org", "create", "--name", "Anytown Council", "--json"))
    service = as_json(
        govplatform(tmp_path, fresh_database, "service", "create", "--org", org["id"], "--name", "Bins", "--json")
    )
    assert service["organisation_id"] == org["id"]
    key = as_json(govplatform(tmp_path, fresh_database, "key", "create", "--service", service["id"], "--json"))
    assert key["id"] and key["key"].startswith("gpk_")
    user = as_json(
        govplatform(
            tmp_path,
            fresh_database,
            "user",
            "create",
            "--email",
            "Lead@Anytown.gov.uk",
            "--service",
            service["id"],
            "--role",
            "admin",
            "--json",
        )
    )
    assert user["id"] and user["email"] == "lead@anytown.gov.uk"
    assert user["setup_link"].startswith("http://127.0.0.1:8000/setup/")
    admin = as_json(
        govplatform(
            tmp_path, fresh_database, "user", "create", "--email", "ops@anytown.gov.uk", "--platform-admin", "--json"
        )
    )
    assert admin["setup_link"]


def test_demo_seeds_once_and_prints_how_to_sign_in_each_time(fresh_database: str, tmp_path: Path) -> None:
    first = govplatform(tmp_path, fresh_database, "demo")
    assert first.returncode == 0, first.stderr
    assert "Demo data created" in first.stdout
    credentials = json.loads((tmp_path / "demo-credentials.json").read_text())
    for shown in (credentials["email"], credentials["password"], credentials["totp_secret"]):
        assert shown in first.stdout
    assert "█" in first.stdout, "a terminal QR code"
    assert "Added 3 example message templates" in first.stdout
    exchange = json.loads((tmp_path / "demo-exchange.json").read_text())
    assert f"Identity proofing: {exchange['proofing_agreement_id']}" in first.stdout
    resident = json.loads((tmp_path / "demo-resident.json").read_text())
    assert resident["email"] == "resident@example.com"
    assert "Start at:    http://127.0.0.1:8000/examples/parking-permits" in first.stdout
    for shown in (resident["email"], resident["password"], resident["totp_secret"]):
        assert shown in first.stdout
    assert first.stdout.count("TOTP secret") == 2 and first.stdout.count("\n" + "▀" * 20) == 2, "two QR codes"
    registration = json.loads((tmp_path / "examples" / "parking-permits-sign-in.json").read_text())
    assert registration["base_url"] == "http://127.0.0.1:8000"
    assert registration["private_key_pem"].startswith("-----BEGIN PRIVATE KEY-----")
    for secret_file in ("demo-resident.json", "examples/parking-permits-sign-in.json"):
        assert (tmp_path / secret_file).stat().st_mode & 0o777 == 0o600, secret_file
    second = govplatform(tmp_path, fresh_database, "demo")
    assert second.returncode == 0 and "already there" in second.stdout
    assert credentials["password"] in second.stdout and resident["password"] in second.stdout
    assert "example message templates" not in second.stdout, "the templates are added once"
    again = json.loads((tmp_path / "examples" / "parking-permits-sign-in.json").read_text())
    assert again["client_id"] == registration["client_id"], "the example is registered once"
    # A demo whose record under var/ lacks the licences (seeded before them, or the record lost) gets them on
    # its next run, or finds them when the database already holds them, as here.
    older = {key: value for key, value in exchange.items() if key not in ("licences_id", "proofing_agreement_id")}
    (tmp_path / "demo-exchange.json").write_text(json.dumps(older))
    third = govplatform(tmp_path, fresh_database, "demo")
    added = json.loads((tmp_path / "demo-exchange.json").read_text())
    assert third.returncode == 0 and f"Identity proofing: {added['proofing_agreement_id']}" in third.stdout
    assert added == exchange

    # A shop registered before it could fill in a vehicle (P0 only, no claims) may ask for the licence after it.
    asyncio.run(_narrow_client(fresh_database, registration["client_id"]))
    assert govplatform(tmp_path, fresh_database, "demo").returncode == 0
    assert asyncio.run(_client_asks(fresh_database, registration["client_id"])) == (
        ["P0", "P2"],
        ["https://vocab.account.gov.uk/v1/drivingPermit"],
    )


async def _narrow_client(database_url: str, client_id: str) -> None:
    engine = create_async_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(
            update(RelyingParty).where(RelyingParty.client_id == client_id).values(levels=["P0"], claims=[])
        )
    await engine.dispose()


async def _client_asks(database_url: str, client_id: str) -> tuple[list[str], list[str]]:
    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        row = (await connection.execute(
            select(RelyingParty.levels, RelyingParty.claims).where(RelyingParty.client_id == client_id)
        )).one()  # fmt: skip
    await engine.dispose()
    return list(row.levels), list(row.claims)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["service", "create", "--org", "not-an-id", "--name", "X"], "--org must be an ID"),
        (
            ["service", "create", "--org", "123e4567-e89b-12d3-a456-426614174000", "--name", "X"],
            "There is no organisation with that ID",
        ),
        (["user", "create", "--email", "x@example.gov.uk"], "Give --service ID --role ROLE, or --platform-admin"),
        (["user", "create", "--email", "not-an-email", "--platform-admin"], "Enter an email address"),
        (["org", "create", "--name", "   "], "Enter the organisation name"),
    ],
)
def test_bad_input_gets_one_clear_line_and_no_traceback(
    fresh_database: str, tmp_path: Path, args: list[str], message: str
) -> None:
    result = govplatform(tmp_path, fresh_database, *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_wrong_setting_stops_the_command_with_one_line(fresh_database: str, tmp_path: Path) -> None:
    result = govplatform(
        tmp_path, fresh_database, "org", "create", "--name", "X", env={"GOVPLATFORM_MAX_BODY_BYTES": "tiny"}
    )
    assert result.returncode == 2
    assert "GOVPLATFORM_MAX_BODY_BYTES" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unreachable_database_stops_the_command_with_one_line(tmp_path: Path) -> None:
    result = govplatform(tmp_path, "postgresql://root@127.0.0.1:9/none", "org", "create", "--name", "X")
    assert result.returncode == 1
    assert "Cannot use the database" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_transparency_key_stops_the_worker_with_one_line(fresh_database: str, tmp_path: Path) -> None:
    result = govplatform(
        tmp_path,
        fresh_database,
        "transparency",
        "integrate",
        env={"GOVPLATFORM_TRANSPARENCY_SIGNING_KEYS": "PRIVATE+KEY+bad"},
    )
    assert result.returncode == 2
    assert "GOVPLATFORM_TRANSPARENCY_SIGNING_KEYS" in result.stderr and "Traceback" not in result.stderr


def test_integrate_and_prove_print_a_receipt_for_a_demo_entry(fresh_database: str, tmp_path: Path) -> None:
    assert govplatform(tmp_path, fresh_database, "demo").returncode == 0
    integrated = govplatform(tmp_path, fresh_database, "transparency", "integrate")
    # 3 example uses of data, and the drafting, approval and sign-off of the exchange demo's two agreements
    assert integrated.returncode == 0 and "holds 9 entries" in integrated.stdout
    receipt = govplatform(tmp_path, fresh_database, "transparency", "prove", "--index", "8")
    assert receipt.returncode == 0 and receipt.stdout.startswith("c2sp.org/tlog-proof@v1\nindex 8\n")
    missing = govplatform(tmp_path, fresh_database, "transparency", "prove", "--index", "9")
    assert missing.returncode == 1 and "not covered by a published checkpoint" in missing.stderr
