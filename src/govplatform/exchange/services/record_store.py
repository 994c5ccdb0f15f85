"""The record store: a provider's records kept inside the platform, encrypted, found by keyed subject hashes.

A load replaces the dataset's records in one transaction: the new version's records go in, the old version's
come out, and the dataset's version number moves on, so a query sees one version or the other, never a mix.
Each load's size, file hash, time and loader are kept for good (`exchange_dataset_versions`); the records of
earlier versions are not, because keeping copies of personal data nobody can query is what data minimisation
forbids. Every answer names the version it came from.

Each record's fields are AES-GCM encrypted under core's field cipher with "{dataset id}/{record id}" as
associated data. Each of its subject identifiers is stored as HMAC-SHA256("{dataset id}:{scheme}:{normalised
value}") under the platform's hash secret: the dataset id in the hash means the same person's rows in two
datasets cannot be joined by reading the table.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import uuid
from typing import Any

import structlog
from sqlalchemy import bindparam, delete, insert, select, update

from govplatform.core.interfaces import (
    N_,
    Actor,
    ParseStopped,
    Prebuilt,
    SecretBox,
    UnitOfWork,
    keyed_hash,
    parse_untrusted,
    record_audit,
    utcnow,
)
from govplatform.exchange import dataset_files
from govplatform.exchange.models import Dataset, DatasetVersion, Record, RecordSubject
from govplatform.exchange.services import changes
from govplatform.exchange.services.datasets import PROVIDER, DatasetError, require

SUBJECT_PURPOSE = "exchange.record_subject"
log = structlog.get_logger("govplatform.exchange.record_store")


class LoadRefused(DatasetError):
    """A file of records that cannot be loaded; `problems` names the bad records (the first 50)."""

    def __init__(self, template: str, problems: list[str] | None = None, **params: object) -> None:
        super().__init__(template, **params)
        self.problems = problems or []


@dataclasses.dataclass(frozen=True)
class Loaded:
    dataset_id: uuid.UUID
    version: int
    record_count: int
    file_sha256: str


@dataclasses.dataclass(frozen=True)
class FoundRecord:
    fields: dict[str, Any]
    version: int


def subject_hash(secret: str, dataset_id: uuid.UUID, scheme: str, normalised: str) -> str:
    return keyed_hash(secret, f"{dataset_id}:{scheme}:{normalised}", SUBJECT_PURPOSE)


async def load(
    uow: UnitOfWork, actor: Actor, box: SecretBox, hash_secret: str, dataset_id: uuid.UUID, filename: str, data: bytes
) -> Loaded:
    """Check every record of the file, then replace the dataset's records with them. The caller commits."""
    dataset = await require(uow, dataset_id)
    if dataset.source == PROVIDER:
        raise LoadRefused(N_("This dataset is answered by the provider's own system, not the record store"))
    if len(data) > dataset_files.MAX_BYTES:
        raise LoadRefused(N_("The file is larger than 20 MB: split the dataset's records into smaller files"))
    try:
        read = await parse_untrusted(
            dataset_files.read_records, filename, data, dataset.schema, list(dataset.subject_schemes),
            limits=dataset_files.LIMITS,
        )  # fmt: skip
    except ParseStopped as stopped:
        log.warning("exchange.records_refused", limit=getattr(stopped, "limit", None), reason=stopped.message)
        raise LoadRefused(
            N_("The file could not be read within the limits: %(reason)s"), reason=stopped.message
        ) from None
    if read.problem_count:
        raise LoadRefused(
            N_("The file was not loaded: %(count)s records have problems"), read.problems, count=read.problem_count
        )
    version = dataset.current_version + 1
    rows, subjects = await asyncio.to_thread(_sealed, box, hash_secret, dataset_id, version, read.records)
    session = uow.session
    await session.execute(delete(RecordSubject).where(RecordSubject.dataset_id == dataset_id))
    await session.execute(delete(Record).where(Record.dataset_id == dataset_id))
    await session.execute(insert(Record), rows)
    await session.execute(insert(RecordSubject), subjects)
    digest = hashlib.sha256(data).hexdigest()
    moved = await session.execute(
        update(Dataset)
        .where(Dataset.id == dataset_id, Dataset.current_version == dataset.current_version)
        .values(current_version=version)
    )
    if getattr(moved, "rowcount", 0) != 1:
        raise LoadRefused(N_("Another load of this dataset finished first: load the file again"))
    await changes.changed(uow)  # answers name the new version at once
    session.add(
        DatasetVersion(
            dataset_id=dataset_id, version=version, record_count=len(rows), file_sha256=digest,
            loaded_at=utcnow(), loaded_by=actor.label,
        )
    )  # fmt: skip
    record_audit(
        uow, actor, "exchange.dataset_loaded", "exchange_dataset", dataset_id, version=version, records=len(rows),
        file_sha256=digest,
    )  # fmt: skip
    return Loaded(dataset_id, version, len(rows), digest)


def _sealed(
    box: SecretBox,
    hash_secret: str,
    dataset_id: uuid.UUID,
    version: int,
    records: list[tuple[dict[str, str], dict[str, Any]]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows to insert: encrypted fields, and each identifier's keyed hash (off the event loop: CPU-bound)."""
    rows, subjects = [], []
    for identifiers, fields in records:
        record_id = uuid.uuid4()
        sealed = box.encrypt_text(json.dumps(fields, separators=(",", ":")), f"{dataset_id}/{record_id}")
        rows.append({"id": record_id, "dataset_id": dataset_id, "version": version, "fields_encrypted": sealed})
        for scheme, value in identifiers.items():
            subjects.append(
                {
                    "dataset_id": dataset_id,
                    "subject_hash": subject_hash(hash_secret, dataset_id, scheme, value),
                    "record_id": record_id,
                }
            )
    return rows, subjects


# A query's lookup, prebuilt and run by the driver (DESIGN.md, "Hot paths"; core/data_path.py)
_LOOKUP = Prebuilt(
    select(Record.id, Record.version, Record.fields_encrypted)
    .join(RecordSubject, RecordSubject.record_id == Record.id)
    .where(RecordSubject.dataset_id == bindparam("dataset_id"), RecordSubject.subject_hash == bindparam("hash"))
)


async def lookup(
    uow: UnitOfWork, box: SecretBox, hash_secret: str, dataset_id: uuid.UUID, scheme: str, normalised: str
) -> FoundRecord | None:
    """The record of the subject in the dataset's current version, or None when the dataset does not hold them."""
    digest = subject_hash(hash_secret, dataset_id, scheme, normalised)
    found = await uow.fetch_first(_LOOKUP, dataset_id=dataset_id, hash=digest)
    if found is None:
        return None
    fields = json.loads(box.decrypt_text(found["fields_encrypted"], f"{dataset_id}/{found['id']}"))
    return FoundRecord(fields, found["version"])
