"""`govplatform exchange ...`: members' keys and the gateway's, datasets and their records.

`key create` makes an Ed25519 pair on the machine it runs on, writes the private half to a file only its
owner can read, and registers only the public half: the platform never holds a member's private key. Each
command runs on the platform that the root command lends (core/commands.py, ADR 0014) and prints one JSON
object with --json.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from govplatform.core.interfaces import CLI_ACTOR, emit, fail, parse_id, record_audit, run_with_platform, user_facing
from govplatform.exchange import dataset_files
from govplatform.exchange.component import ExchangeComponent
from govplatform.exchange.keys import private_pem, raw_public, read_public_pem
from govplatform.exchange.services import datasets, members, record_store
from govplatform.exchange.services.datasets import DatasetView
from govplatform.exchange.services.members import MemberKeyView
from govplatform.exchange.subjects import SubjectError, parse_schemes

exchange_cli = typer.Typer(help="Exchange: data shared between public bodies under agreements.", no_args_is_help=True)
key_cli = typer.Typer(help="Members' public keys (their systems hold the private halves).", no_args_is_help=True)
gateway_cli = typer.Typer(help="The gateway's own signing keys.", no_args_is_help=True)
dataset_cli = typer.Typer(help="Datasets that providers offer, and the record store's records.", no_args_is_help=True)
exchange_cli.add_typer(key_cli, name="key")
exchange_cli.add_typer(gateway_cli, name="gateway-key")
exchange_cli.add_typer(dataset_cli, name="dataset")

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON")]


def _exchange(platform: Any) -> ExchangeComponent:
    component: ExchangeComponent = platform.components["exchange"]
    return component


def _shown(key: MemberKeyView) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "organisation_id": str(key.organisation_id),
        "state": key.state,
        "public_jwk": key.jwk,
        "created_at": key.created_at,
        "retired_at": key.retired_at,
    }


def _register(organisation_id: Any, raw: bytes) -> MemberKeyView:
    async def work(platform: Any) -> MemberKeyView:
        async with platform.uow() as uow:
            made = await members.register_key(uow, CLI_ACTOR, organisation_id, raw)
            _exchange(platform).directory.forget_after(uow)
            await uow.commit()
            return made

    return user_facing(lambda: run_with_platform(work))


@key_cli.command("create")
def key_create(
    org: Annotated[str, typer.Option(help="The organisation's ID")],
    out: Annotated[Path, typer.Option(help="Where to write the private key (PEM); it must not exist yet")],
    as_json: AsJson = False,
) -> None:
    """Make a key pair here, keep the private key in --out, and register only the public key."""
    organisation_id = parse_id(org, "--org")
    private = Ed25519PrivateKey.generate()
    try:  # O_EXCL: never overwrite a key someone may still be using; 0600: readable by its owner alone
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        fail(f"--out {out} already exists; choose a new file (a private key is never overwritten)", 2)
    except OSError as error:
        fail(f"Cannot write --out {out}: {error.strerror}", 2)
    with os.fdopen(descriptor, "wb") as file:
        file.write(private_pem(private))
    try:
        made = _register(organisation_id, raw_public(private.public_key()))
    except BaseException:
        out.unlink(missing_ok=True)  # nothing registered: leave no orphan private key behind
        raise
    emit(as_json, {**_shown(made), "private_key_file": str(out)}, f"Registered {made.key_id}; private key in {out}")


@key_cli.command("register")
def key_register(
    org: Annotated[str, typer.Option(help="The organisation's ID")],
    public_key: Annotated[Path, typer.Option(help="The Ed25519 public key, PEM (made elsewhere, e.g. in an HSM)")],
    as_json: AsJson = False,
) -> None:
    """Register a public key whose private half was made elsewhere."""
    organisation_id = parse_id(org, "--org")
    try:
        raw = read_public_pem(public_key.read_bytes())
    except OSError as error:
        fail(f"Cannot read --public-key {public_key}: {error.strerror}", 2)
    except ValueError as error:
        fail(f"--public-key {public_key}: {error}", 2)
    made = _register(organisation_id, raw)
    emit(as_json, _shown(made), f"Registered {made.key_id}")


@key_cli.command("retire")
def key_retire(
    key_id: Annotated[str, typer.Option(help="The key's ID, {organisation id}/{key id}")],
    as_json: AsJson = False,
) -> None:
    """Stop a key signing new requests; it stays in the directory so old signatures still check."""

    async def work(platform: Any) -> MemberKeyView:
        async with platform.uow() as uow:
            retired = await members.retire_key(uow, CLI_ACTOR, key_id)
            _exchange(platform).directory.forget_after(uow)
            await uow.commit()
            return retired

    retired = user_facing(lambda: run_with_platform(work))
    emit(as_json, _shown(retired), f"Retired {retired.key_id}")


@key_cli.command("list")
def key_list(
    org: Annotated[str | None, typer.Option(help="Only this organisation's keys")] = None,
    as_json: AsJson = False,
) -> None:
    """Every registered key, current and retired."""
    organisation_id = parse_id(org, "--org") if org else None

    async def work(platform: Any) -> list[MemberKeyView]:
        async with platform.uow(read_only=True) as uow:
            return await members.list_keys(uow, organisation_id)

    keys = run_with_platform(work)
    emit(as_json, {"keys": [_shown(key) for key in keys]}, "\n".join(f"{k.key_id} {k.state}" for k in keys) or "None")


@gateway_cli.command("rotate")
def gateway_rotate(as_json: AsJson = False) -> None:
    """Retire the gateway's signing key (kept published), sign with the published next key, publish a new next."""

    async def work(platform: Any) -> str:
        exchange = _exchange(platform)
        async with platform.uow() as uow:
            signing = await exchange.gateway_keys.rotate(uow)
            exchange.directory.forget_after(uow)
            record_audit(
                uow, CLI_ACTOR, "exchange.gateway_key_rotated", "exchange_key", signing.split("/")[1], key_id=signing
            )
            await uow.commit()
            return signing

    signing = run_with_platform(work)
    emit(as_json, {"signing": signing}, f"The gateway now signs with {signing}")


@gateway_cli.command("list")
def gateway_list(as_json: AsJson = False) -> None:
    """The gateway's published keys (making the first pair if there is none): the anchor members pin."""

    async def work(platform: Any) -> list[Any]:
        ring = await _exchange(platform).gateway_keys.ring()
        return ring.published

    published = run_with_platform(work)
    shown = [{"key_id": key.key_id, "state": key.state, "x": key.public_key} for key in published]
    emit(as_json, {"keys": shown}, "\n".join(f"{key['key_id']} {key['state']}" for key in shown))


SCHEMA_BYTES = 256 * 1024


@dataset_cli.command("create")
def dataset_create(
    org: Annotated[str, typer.Option(help="The providing organisation's ID")],
    name: Annotated[str, typer.Option(help="The dataset's name")],
    schema: Annotated[Path, typer.Option(help="A JSON Schema file: an object whose fields each name x-data-item")],
    subject_schemes: Annotated[str, typer.Option(help="Comma-separated: nino, driving-licence, passport, name-dob")],
    provider_url: Annotated[
        str | None, typer.Option(help="Answer from the provider's own system at this URL, not the record store")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Declare a dataset: its fields, the data item each holds, and the identifiers it answers by."""
    organisation_id = parse_id(org, "--org")
    try:
        schemes = parse_schemes(subject_schemes)
    except SubjectError as error:
        fail(f"--subject-schemes: {error}", 2)
    try:
        with schema.open("rb") as file:
            text = file.read(SCHEMA_BYTES + 1)
    except OSError as error:
        fail(f"Cannot read --schema {schema}: {error.strerror}", 2)
    if len(text) > SCHEMA_BYTES:
        fail(f"--schema {schema} is larger than 256 KB", 2)
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        fail(f"--schema {schema} is not JSON", 2)
    if provider_url is not None and not provider_url.startswith("https://"):
        fail("--provider-url must be an https:// address", 2)

    async def work(platform: Any) -> DatasetView:
        async with platform.uow() as uow:
            made = await datasets.declare(uow, CLI_ACTOR, organisation_id, name, document, schemes, provider_url)
            _exchange(platform).directory.forget_after(uow)
            await uow.commit()
            return made

    made = user_facing(lambda: run_with_platform(work))
    emit(as_json, made.as_json(), f"Dataset {made.name}: {made.id}")


@dataset_cli.command("load")
def dataset_load(
    dataset: Annotated[str, typer.Option(help="The dataset's ID")],
    file: Annotated[Path, typer.Argument(help="The records: CSV (subject:SCHEME and field columns) or JSON")],
    as_json: AsJson = False,
) -> None:
    """Replace the dataset's records with the file's, all or none, as a new version."""
    dataset_id = parse_id(dataset, "--dataset")
    try:
        with file.open("rb") as opened:
            data = opened.read(dataset_files.MAX_BYTES + 1)
    except OSError as error:
        fail(f"Cannot read {file}: {error.strerror}", 2)

    async def work(platform: Any) -> record_store.Loaded:
        exchange = _exchange(platform)
        async with platform.uow() as uow:
            loaded = await record_store.load(
                uow, CLI_ACTOR, exchange.box, exchange.hash_secret, dataset_id, file.name, data
            )
            exchange.directory.forget_after(uow)
            await uow.commit()
            return loaded

    try:
        loaded = run_with_platform(work)
    except record_store.LoadRefused as refused:
        fail("\n".join([str(refused), *refused.problems]))
    except datasets.DatasetError as error:
        fail(str(error))
    shown = {"dataset_id": str(loaded.dataset_id), "version": loaded.version, "records": loaded.record_count,
             "file_sha256": loaded.file_sha256}  # fmt: skip
    emit(as_json, shown, f"Loaded {loaded.record_count} records as version {loaded.version}")


@dataset_cli.command("list")
def dataset_list(
    org: Annotated[str | None, typer.Option(help="Only this organisation's datasets")] = None,
    as_json: AsJson = False,
) -> None:
    """Every declared dataset, with its fields and current version."""
    organisation_id = parse_id(org, "--org") if org else None

    async def work(platform: Any) -> list[DatasetView]:
        async with platform.uow(read_only=True) as uow:
            return await datasets.list_datasets(uow, organisation_id)

    found = run_with_platform(work)
    human = "\n".join(f"{d.id} {d.name} (version {d.current_version})" for d in found) or "None"
    emit(as_json, {"datasets": [d.as_json() for d in found]}, human)
