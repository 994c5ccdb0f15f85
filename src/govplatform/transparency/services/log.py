"""The transparency log as the rest of the platform sees it: record, integrate, read, prove.

Built once per process by the composition root from settings. It holds the
origin, the signer keys (more than one during a rotation) and the subject key;
every method takes the caller's unit of work.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Callable

import structlog
from sqlalchemy import bindparam, insert, select

from govplatform.core.interfaces import UnitOfWork, utcnow
from govplatform.transparency.interfaces import AgreementChange, DataUse, LoggedUse
from govplatform.transparency.merkle import ProofError, consistency_proof, inclusion_proof, leaf_hash
from govplatform.transparency.models import BundleRow, CheckpointRow, LogEntry, PendingEntry, TreeHead
from govplatform.transparency.note import KeyFormatError, SignerKey, VerifierKey
from govplatform.transparency.receipt import make_receipt
from govplatform.transparency.services import entries
from govplatform.transparency.services.sequencer import Integration, integrate
from govplatform.transparency.services.store import read_tile, with_tiles
from govplatform.transparency.tiles import MAX_ENTRY_SIZE, EntryBundle, Tile, TileCache

_APPEND = (
    insert(PendingEntry)
    .values(data=bindparam("data"), subject=bindparam("subject"), created_at=bindparam("created_at"))
    .returning(PendingEntry.id)
)

log = structlog.get_logger("govplatform.transparency")


class LogRequestError(ValueError):
    """A request for a tile, proof or receipt that the log cannot answer (a 4xx)."""


class NotFoundInLog(LogRequestError):
    pass


def signer_keys(origin: str, configured: str, seed: str) -> list[SignerKey]:
    """The configured signer keys, or one made from the embedded default's generated seed."""
    if configured:
        keys = [SignerKey.parse(text.strip()) for text in configured.split(",") if text.strip()]
    else:
        keys = [SignerKey(origin, base64.b64decode(seed))]
    for key in keys:
        if key.name != origin:
            raise KeyFormatError(f"signer key {key.name!r} must be named after the log's origin {origin!r}")
    return keys


class TransparencyService:
    def __init__(
        self,
        origin: str,
        signers: list[SignerKey],
        subject_secret: str,
        batch_size: int,
        new_uow: Callable[..., UnitOfWork],
    ) -> None:
        self.new_uow = new_uow
        self._published_size = 0
        self.tiles = TileCache()  # node tables of tiles already read: they never change (tiles.py)
        self.origin = origin
        self.signers = signers
        self.subject_secret = subject_secret
        self.batch_size = batch_size

    @property
    def verifier_keys(self) -> list[VerifierKey]:
        return [key.verifier for key in self.signers]

    def pseudonym(self, subject: str) -> str:
        return entries.pseudonym(self.subject_secret, subject)

    async def record_use(self, uow: UnitOfWork, use: DataUse) -> int:
        data, whose = entries.entry_bytes(use, self.subject_secret)
        return await self.append(uow, data, whose)

    async def record_use_for_receipt(self, uow: UnitOfWork, use: DataUse) -> bytes:
        data, whose = entries.entry_bytes(use, self.subject_secret)
        await self.append(uow, data, whose)
        return leaf_hash(data)

    async def receipt_for(self, uow: UnitOfWork, leaf: bytes) -> str | None:
        found = await uow.session.execute(
            select(LogEntry.index, LogEntry.data).where(LogEntry.leaf_hash == leaf).order_by(LogEntry.index).limit(1)
        )
        row = found.first()
        if row is None:
            return None
        index, data = row
        latest = await self.latest_checkpoint(uow)
        if latest is None or index >= latest.size:
            return None
        size = latest.size
        proof = await with_tiles(
            uow.session, size, lambda reader: inclusion_proof(index, size, reader), shared=self.tiles
        )
        return make_receipt(index, proof, latest.signed_note, extra=data)

    async def uses_about(self, uow: UnitOfWork, subjects: list[str]) -> list[LoggedUse]:
        whose = [self.pseudonym(subject) for subject in subjects if subject]
        if not whose:
            return []
        latest = await self.latest_checkpoint(uow)
        covered = latest.size if latest else 0
        pending = await uow.session.execute(
            select(PendingEntry.data).where(PendingEntry.subject.in_(whose)).order_by(PendingEntry.id.desc())
        )
        logged = await uow.session.execute(
            select(LogEntry.index, LogEntry.data).where(LogEntry.subject.in_(whose)).order_by(LogEntry.index.desc())
        )
        uses = [LoggedUse(None, bytes(data), False) for (data,) in pending]
        uses += [LoggedUse(index, bytes(data), index < covered) for index, data in logged]
        return uses

    async def receipt_of(self, uow: UnitOfWork, index: int, subjects: list[str]) -> str | None:
        row = await uow.session.get(LogEntry, index)
        whose = {self.pseudonym(subject) for subject in subjects if subject}
        if row is None or row.subject not in whose:
            return None
        latest = await self.latest_checkpoint(uow)
        if latest is None or index >= latest.size:
            return None
        size = latest.size
        proof = await with_tiles(
            uow.session, size, lambda reader: inclusion_proof(index, size, reader), shared=self.tiles
        )
        return make_receipt(index, proof, latest.signed_note, extra=row.data)

    async def record_agreement(self, uow: UnitOfWork, change: AgreementChange) -> int:
        return await self.append(uow, entries.agreement_bytes(change))

    async def append(self, uow: UnitOfWork, data: bytes, subject: str | None = None) -> int:
        """Add raw entry bytes to the log in the caller's transaction; returns the pending id."""
        if len(data) > MAX_ENTRY_SIZE:
            raise entries.EntryError(f"a log entry is at most {MAX_ENTRY_SIZE} bytes")
        # One INSERT ... RETURNING, without the ORM's flush: this runs once per recorded use.
        inserted = await uow.session.execute(_APPEND, {"data": data, "subject": subject, "created_at": utcnow()})
        return int(inserted.scalar_one())

    async def integrate(self, uow: UnitOfWork) -> Integration | None:
        return await integrate(uow, self.origin, self.signers, self.batch_size)

    async def integrate_all(self) -> int:
        """Integrate until nothing is pending; returns the tree size. For the CLI, tests and demo."""
        new_uow = self.new_uow
        while True:
            async with new_uow() as uow:
                done = await self.integrate(uow)
                await uow.commit()
            if done is None or done.new_size == done.old_size:
                async with new_uow() as uow:
                    return (await self.head(uow))[0]

    async def run_sequencer(self, stop: asyncio.Event, delay: float) -> None:
        """Integrate pending entries every `delay` seconds until stopped."""
        new_uow = self.new_uow
        while not stop.is_set():
            try:
                async with new_uow() as uow:
                    done = await self.integrate(uow)
                    await uow.commit()
                if done is not None and done.new_size != done.old_size:
                    log.info("transparency.integrated", old_size=done.old_size, new_size=done.new_size)
                    continue  # more may be waiting
            except Exception as error:  # the sequencer must outlive a database outage
                log.warning("transparency.sequencer_failed", error=type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)

    async def head(self, uow: UnitOfWork) -> tuple[int, bytes]:
        tree = await uow.session.get(TreeHead, 1)
        if tree is None:
            raise RuntimeError("the transparency log has no tree head; run `govplatform db upgrade`")
        return tree.size, tree.root_hash

    async def latest_checkpoint(self, uow: UnitOfWork) -> CheckpointRow | None:
        return await uow.session.scalar(select(CheckpointRow).order_by(CheckpointRow.size.desc()).limit(1))

    async def tile_bytes(self, uow: UnitOfWork, tile: Tile | EntryBundle) -> bytes:
        """The bytes of a tile or entry bundle at the width asked for, if the log has reached it."""
        size, _ = await self.head(uow)
        if isinstance(tile, EntryBundle):
            if tile.end > size:
                raise NotFoundInLog(f"the log has {size} entries; {tile.path} is beyond it")
            row = await uow.session.get(BundleRow, tile.index)
            if row is None:
                raise NotFoundInLog(f"{tile.path} does not exist")
            return _bundle_prefix(row.data, tile.width)
        if tile.end > size:
            raise NotFoundInLog(f"the log has {size} entries; {tile.path} is beyond it")
        data = await read_tile(uow.session, tile.level, tile.index)
        if data is None or len(data) < tile.width * 32:
            raise NotFoundInLog(f"{tile.path} does not exist")
        return data[: tile.width * 32]

    async def _checked_size(self, uow: UnitOfWork, size: int) -> None:
        # Published sizes only grow, so a size seen published once stays published.
        if size <= self._published_size:
            return
        latest = await self.latest_checkpoint(uow)
        published = latest.size if latest else 0
        self._published_size = max(self._published_size, published)
        if size > published:
            raise LogRequestError(f"the tree size {size} is beyond the latest checkpoint ({published})")

    async def inclusion(self, uow: UnitOfWork, index: int, size: int) -> list[bytes]:
        if not 0 <= index < size:
            raise LogRequestError(f"index {index} is not in a tree of size {size}")
        await self._checked_size(uow, size)
        return await with_tiles(
            uow.session, size, lambda reader: inclusion_proof(index, size, reader), shared=self.tiles
        )

    async def consistency(self, uow: UnitOfWork, old: int, new: int) -> list[bytes]:
        if old <= 0:
            raise LogRequestError("the old size must be at least 1: every tree is consistent with the empty one")
        if old > new:
            raise LogRequestError(f"the old size {old} is larger than the new size {new}")
        await self._checked_size(uow, new)
        try:
            return await with_tiles(
                uow.session, new, lambda reader: consistency_proof(old, new, reader), shared=self.tiles
            )
        except ProofError as error:
            raise LogRequestError(str(error)) from error

    async def entry(self, uow: UnitOfWork, index: int) -> bytes:
        row = await uow.session.get(LogEntry, index)
        if row is None:
            raise NotFoundInLog(f"there is no entry {index} in the log")
        return row.data

    async def receipt(self, uow: UnitOfWork, index: int) -> str:
        """A c2sp.org/tlog-proof@v1 receipt for entry `index`, against the latest checkpoint."""
        latest = await self.latest_checkpoint(uow)
        if latest is None or not 0 <= index < latest.size:
            raise NotFoundInLog(f"entry {index} is not covered by a published checkpoint yet")
        proof = await with_tiles(
            uow.session, latest.size, lambda reader: inclusion_proof(index, latest.size, reader), shared=self.tiles
        )
        return make_receipt(index, proof, latest.signed_note)


def _bundle_prefix(data: bytes, width: int) -> bytes:
    """The first `width` entries of a stored bundle, still in bundle encoding (uint16 length, bytes)."""
    offset = 0
    for _ in range(width):
        if offset + 2 > len(data):
            raise NotFoundInLog("the entry bundle is shorter than the tree needs")
        offset += 2 + int.from_bytes(data[offset : offset + 2], "big")
    return data[:offset]
