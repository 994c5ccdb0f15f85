"""`govplatform exchange dataset ...`: datasets that providers declare, and loads of the record store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from govplatform.core.interfaces import CLI_ACTOR, emit, fail, parse_id, run_with_platform, user_facing
from govplatform.exchange import dataset_files
from govplatform.exchange.cli.common import AsJson, exchange_of
from govplatform.exchange.services import datasets, record_store
from govplatform.exchange.services.datasets import DatasetView
from govplatform.exchange.subjects import SubjectError, parse_schemes

dataset_cli = typer.Typer(help="Datasets that providers offer, and the record store's records.", no_args_is_help=True)
SCHEMA_BYTES = 256 * 1024


@dataset_cli.command("create")
def dataset_create(
    org: Annotated[str, typer.Option(help="The providing organisation's ID")],
    name: Annotated[str, typer.Option(help="The dataset's name")],
    schema: Annotated[Path, typer.Option(help="A JSON Schema file: an object whose fields each name x-data-item")],
    subject_schemes: Annotated[str, typer.Option(help="Comma-separated: nino, driving-licence, passport, name-dob")],
    provider_url: Annotated[
        str | None, typer.Option(help="Answered by the provider's own system at this URL, not the record store")
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

    async def work(platform: Any) -> DatasetView:
        async with platform.uow() as uow:
            made = await datasets.declare(uow, CLI_ACTOR, organisation_id, name, document, schemes, provider_url,
                                          exchange_of(platform).outbound)  # fmt: skip
            exchange_of(platform).directory.forget_after(uow)
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
        exchange = exchange_of(platform)
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
