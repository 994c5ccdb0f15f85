"""`govplatform exchange key ...` and `gateway-key rotate`, run in this process as a script would run them."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path
from typing import Any

from click.testing import Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from govplatform.cli import app
from govplatform.core.platform import Platform
from govplatform.exchange.keys import read_private_pem, thumbprint
from tests.integration.exchange.support import organisation, role_holder
from tests.integration.test_cli import ROOT
from tests.unit.exchange.test_datasets_schema import VEHICLES


async def _run(platform: Platform, *args: str, allowed_hosts: str = "") -> Result:
    settings = platform.settings
    env = {
        "GOVPLATFORM_VAR_DIR": str(settings.var_dir),
        "GOVPLATFORM_DATABASE_URL": settings.database_url,
        "GOVPLATFORM_FRONTEND_DIR": str(ROOT / "node_modules/govuk-frontend/dist/govuk"),
        "GOVPLATFORM_OUTBOUND_ALLOWED_HOSTS": allowed_hosts,
    }
    return await asyncio.to_thread(CliRunner().invoke, app, ["exchange", *args], env=env)


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


async def test_key_create_keeps_the_private_key_in_a_file_of_its_own_and_registers_only_the_public_half(
    own_platform: Platform, tmp_path: Path
) -> None:
    council = await organisation(own_platform, "Anytown Council")
    pem = tmp_path / "council.pem"
    made = _json(await _run(own_platform, "key", "create", "--org", str(council), "--out", str(pem), "--json"))
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    private = read_private_pem(pem.read_bytes())
    kid = thumbprint(private.public_key().public_bytes_raw())
    assert made["key_id"] == f"{council}/{kid}" and made["state"] == "current"
    assert made["public_jwk"]["x"] and "d" not in made["public_jwk"]

    again = await _run(own_platform, "key", "create", "--org", str(council), "--out", str(pem), "--json")
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert read_private_pem(pem.read_bytes()).public_key().public_bytes_raw() == private.public_key().public_bytes_raw()

    orphan = tmp_path / "nobody.pem"
    unknown = await _run(
        own_platform, "key", "create", "--org", "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f", "--out", str(orphan)
    )
    assert unknown.exit_code == 1 and "no organisation" in unknown.stderr and not orphan.exists()


async def test_keys_made_elsewhere_are_registered_listed_and_retired(own_platform: Platform, tmp_path: Path) -> None:
    agency = await organisation(own_platform, "Vehicle Licensing Agency")
    public = tmp_path / "hsm.pub"
    public.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    registered = _json(
        await _run(own_platform, "key", "register", "--org", str(agency), "--public-key", str(public), "--json")
    )
    not_a_key = tmp_path / "junk.pem"
    not_a_key.write_text("hello")
    refused = await _run(own_platform, "key", "register", "--org", str(agency), "--public-key", str(not_a_key))
    assert refused.exit_code == 2 and "not a PEM public key" in refused.stderr

    retired = _json(await _run(own_platform, "key", "retire", "--key-id", registered["key_id"], "--json"))
    assert retired["state"] == "retired" and retired["retired_at"]
    listed = _json(await _run(own_platform, "key", "list", "--org", str(agency), "--json"))["keys"]
    assert [(key["key_id"], key["state"]) for key in listed] == [(registered["key_id"], "retired")]
    twice = await _run(own_platform, "key", "retire", "--key-id", registered["key_id"])
    assert twice.exit_code == 1 and "already retired" in twice.stderr


async def test_the_gateway_key_rotates_by_command(own_platform: Platform) -> None:
    first = _json(await _run(own_platform, "gateway-key", "rotate", "--json"))["signing"]
    second = _json(await _run(own_platform, "gateway-key", "rotate", "--json"))["signing"]
    assert first.startswith("gateway/") and second.startswith("gateway/") and first != second
    published = {
        key["key_id"]: key["state"] for key in _json(await _run(own_platform, "gateway-key", "list", "--json"))["keys"]
    }
    assert published[first] == "retired" and published[second] == "signing" and "next" in published.values()


async def test_a_dataset_is_declared_loaded_and_listed_by_command(own_platform: Platform, tmp_path: Path) -> None:
    agency = await organisation(own_platform, "Vehicle Licensing Agency")
    schema = tmp_path / "keepers.schema.json"
    schema.write_text(json.dumps(VEHICLES))
    run = lambda *args: _run(own_platform, "dataset", *args)  # noqa: E731
    made = _json(await run("create", "--org", str(agency), "--name", "Vehicle keepers", "--schema", str(schema),
                           "--subject-schemes", "driving-licence,nino", "--json"))  # fmt: skip
    assert made["name"] == "Vehicle keepers" and made["version"] == 0 and made["source"] == "records"
    records = tmp_path / "keepers.csv"
    records.write_bytes(b"subject:driving-licence,registration\nMORGA657054SM9IJ,AB12 CDE\n")
    loaded = _json(await run("load", "--dataset", made["id"], str(records), "--json"))
    assert (loaded["version"], loaded["records"]) == (1, 1) and len(loaded["file_sha256"]) == 64
    listed = _json(await run("list", "--org", str(agency), "--json"))["datasets"]
    assert [(d["id"], d["version"]) for d in listed] == [(made["id"], 1)]

    records.write_bytes(b"subject:driving-licence,registration\nNOT A LICENCE,AB12 CDE\n")
    refused = await run("load", "--dataset", made["id"], str(records))
    assert refused.exit_code == 1 and "Row 2: a driving-licence identifier is" in refused.stderr
    bad_schemes = await run("create", "--org", str(agency), "--name", "X", "--schema", str(schema),
                            "--subject-schemes", "email")  # fmt: skip
    assert bad_schemes.exit_code == 2 and "subject schemes are" in bad_schemes.stderr
    schema.write_text("{not json")
    not_json = await run(
        "create", "--org", str(agency), "--name", "X", "--schema", str(schema), "--subject-schemes", "nino"
    )
    assert not_json.exit_code == 2 and "is not JSON" in not_json.stderr


async def test_a_dataset_answered_by_the_provider_s_own_system_is_declared_at_a_url_the_guard_allows(
    own_platform: Platform, tmp_path: Path
) -> None:
    agency = await organisation(own_platform, "Vehicle Licensing Agency")
    schema = tmp_path / "keepers.schema.json"
    schema.write_text(json.dumps(VEHICLES))
    declare = ("dataset", "create", "--org", str(agency), "--name", "Keepers", "--schema", str(schema),
               "--subject-schemes", "driving-licence", "--provider-url", "http://127.0.0.1:8443/exchange")  # fmt: skip
    refused = await _run(own_platform, *declare)
    assert refused.exit_code == 1 and "public internet" in refused.stderr  # loopback, and not allowed
    made = _json(await _run(own_platform, *declare, "--json", allowed_hosts="127.0.0.1"))
    assert made["source"] == "provider" and "provider_url" not in made  # the URL is not published
    records = tmp_path / "keepers.csv"
    records.write_bytes(b"subject:driving-licence,registration\nMORGA657054SM9IJ,AB12 CDE\n")
    not_loaded = await _run(own_platform, "dataset", "load", "--dataset", made["id"], str(records))
    assert not_loaded.exit_code == 1 and "answered by the provider's own system" in not_loaded.stderr


async def test_an_agreement_is_drafted_and_approved_by_command_as_the_people_who_hold_the_roles(
    own_platform: Platform, tmp_path: Path
) -> None:
    council = await organisation(own_platform, "Anytown Council")
    agency = await organisation(own_platform, "Vehicle Licensing Agency")
    await role_holder(own_platform, agency, "owner@agency.example.gov.uk", "data-owner")
    await role_holder(own_platform, agency, "cdo@agency.example.gov.uk", "chief-data-officer")
    schema = tmp_path / "keepers.schema.json"
    schema.write_text(json.dumps(VEHICLES))
    dataset = _json(await _run(own_platform, "dataset", "create", "--org", str(agency), "--name", "Keepers",
                               "--schema", str(schema), "--subject-schemes", "driving-licence", "--json"))  # fmt: skip
    run = lambda *args: _run(own_platform, "agreement", *args)  # noqa: E731
    made = _json(await run(
        "create", "--consumer", str(council), "--provider", str(agency), "--dataset", dataset["id"],
        "--fields", "registration,make,colour", "--purpose", "resident-parking-permits", "--basis", "public-task",
        "--expires", "2099-12-31", "--review", "2098-01-01", "--retention", "1 year", "--security", "Encrypted",
        "--json",
    ))  # fmt: skip
    assert made["state"] == "draft" and made["fields"] == ["registration", "make", "colour"]
    assert made["consumer"]["id"] == str(council) and made["expires_on"] == "2099-12-31"
    approved = _json(await run("approve", "--agreement", made["id"], "--as", "owner@agency.example.gov.uk", "--json"))
    assert approved["state"] == "approved"
    refused = await run("sign-off", "--agreement", made["id"], "--as", "owner@agency.example.gov.uk")
    assert refused.exit_code == 1 and "does not hold a role" in refused.stderr
    active = _json(await run("sign-off", "--agreement", made["id"], "--as", "cdo@agency.example.gov.uk", "--json"))
    assert active["state"] == "active"
    listed = _json(await run("list", "--json"))["agreements"]
    assert [(a["id"], a["state"]) for a in listed] == [(made["id"], "active")]

    wrong_provider = await run("create", "--consumer", str(agency), "--provider", str(council), "--dataset",
                               dataset["id"], "--fields", "make", "--purpose", "abc", "--basis", "consent")  # fmt: skip
    assert wrong_provider.exit_code == 1 and "its own dataset" in wrong_provider.stderr
    bad_date = await run("create", "--consumer", str(council), "--provider", str(agency), "--dataset",
                         dataset["id"], "--fields", "make", "--purpose", "abc", "--basis", "consent",
                         "--expires", "31/12/2099")  # fmt: skip
    assert bad_date.exit_code == 2 and "must be a date" in bad_date.stderr
