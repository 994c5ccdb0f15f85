"""The sequencer: moves pending entries into the log, one batch per transaction.

Many writers add pending entries; one sequencer at a time (it locks the tree
head row) assigns the next indexes in pending order, writes the entries, the
level-0 tile hashes and every higher-level hash that a newly full tile
completes, the entry bundles, the new tree head, and a signed checkpoint, and
deletes the pending rows it integrated, all in one transaction. A crash
anywhere before the commit leaves the entries pending and no checkpoint for
the new size; the checkpoints table's primary key on size means two different
trees of one size can never both be published.
"""

from __future__ import annotations

import dataclasses
import struct

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from govplatform.core.interfaces import UnitOfWork, utcnow
from govplatform.transparency.checkpoint import Checkpoint, sign_checkpoint
from govplatform.transparency.merkle import HASH_SIZE, leaf_hash, root_from_leaf_hashes, tree_root
from govplatform.transparency.models import BundleRow, CheckpointRow, LogEntry, PendingEntry, TileRow, TreeHead
from govplatform.transparency.note import SignerKey
from govplatform.transparency.services.store import FULL_TILE_BYTES, TileKey, with_tiles, write_bundles, write_tiles
from govplatform.transparency.tiles import TILE_HEIGHT, TILE_WIDTH

_DELETE_CHUNK = 5_000


@dataclasses.dataclass(frozen=True)
class Integration:
    old_size: int
    new_size: int
    signed_checkpoint: str


async def _lock_head(session: AsyncSession) -> TreeHead | None:
    """The tree head, locked; None if another sequencer holds it (PostgreSQL) right now."""
    query = select(TreeHead).where(TreeHead.id == 1)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return await session.scalar(query)


def _split_hashes(data: bytes) -> list[bytes]:
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


async def _append_hashes(session: AsyncSession, old_size: int, leaves: list[bytes]) -> dict[TileKey, bytes]:
    """Append leaf hashes to level 0, and each newly full tile's root to the level above."""
    changed: dict[TileKey, bytes] = {}
    level, before, new = 0, old_size, leaves
    while new:
        first_tile, filled = divmod(before, TILE_WIDTH)
        existing = b""
        if filled:
            stored = await session.get(TileRow, (level, first_tile))
            if stored is None or len(stored.data) < filled * HASH_SIZE:
                raise RuntimeError(f"tile {level}/{first_tile} is missing or short; the log needs repair")
            existing = stored.data[: filled * HASH_SIZE]
        buffer = existing + b"".join(new)
        completed: list[bytes] = []
        for offset in range(0, len(buffer), FULL_TILE_BYTES):
            chunk = buffer[offset : offset + FULL_TILE_BYTES]
            changed[(level, first_tile + offset // FULL_TILE_BYTES)] = chunk
            if len(chunk) == FULL_TILE_BYTES:
                completed.append(root_from_leaf_hashes(_split_hashes(chunk)))
        level += 1
        before = old_size >> (TILE_HEIGHT * level)
        new = completed
    return changed


async def _append_bundles(session: AsyncSession, old_size: int, entries: list[bytes]) -> dict[int, tuple[int, bytes]]:
    first, filled = divmod(old_size, TILE_WIDTH)
    existing = b""
    if filled:
        stored = await session.get(BundleRow, first)
        if stored is None or stored.count != filled:
            raise RuntimeError(f"entry bundle {first} is missing or short; the log needs repair")
        existing = stored.data
    bundles: dict[int, tuple[int, bytes]] = {}
    index, count, parts = first, filled, [existing]
    for entry in entries:
        parts.append(struct.pack(">H", len(entry)) + entry)
        count += 1
        if count == TILE_WIDTH:
            bundles[index] = (count, b"".join(parts))
            index, count, parts = index + 1, 0, []
    if count:
        bundles[index] = (count, b"".join(parts))
    return bundles


async def publish(session: AsyncSession, size: int, root: bytes, origin: str, signers: list[SignerKey]) -> str:
    signed = sign_checkpoint(Checkpoint(origin, size, root), signers)
    session.add(CheckpointRow(size=size, root_hash=root, signed_note=signed, published_at=utcnow()))
    return signed


async def integrate(uow: UnitOfWork, origin: str, signers: list[SignerKey], batch_size: int) -> Integration | None:
    """Integrate up to `batch_size` pending entries; None if another sequencer is busy or nothing changed.

    The caller commits. Also publishes the first checkpoint (of the empty tree) on a new log.
    """
    session = uow.session
    head = await _lock_head(session)
    if head is None:
        return None
    pending = (
        await session.execute(
            select(PendingEntry.id, PendingEntry.data, PendingEntry.subject).order_by(PendingEntry.id).limit(batch_size)
        )
    ).all()
    if not pending:
        if await session.get(CheckpointRow, head.size) is None:
            signed = await publish(session, head.size, head.root_hash, origin, signers)
            return Integration(head.size, head.size, signed)
        return None
    old_size, now = head.size, utcnow()
    entries = [row.data for row in pending]
    leaves = [leaf_hash(entry) for entry in entries]
    await session.execute(
        insert(LogEntry),
        [
            {"index": old_size + i, "data": row.data, "subject": row.subject, "integrated_at": now, "leaf_hash": leaf}
            for i, (row, leaf) in enumerate(zip(pending, leaves, strict=True))
        ],
    )
    tiles = await _append_hashes(session, old_size, leaves)
    await write_tiles(session, tiles)
    await write_bundles(session, await _append_bundles(session, old_size, entries))
    new_size = old_size + len(entries)
    root = await with_tiles(session, new_size, lambda reader: tree_root(reader, new_size), known=tiles)
    signed = await publish(session, new_size, root, origin, signers)
    head.size, head.root_hash, head.updated_at = new_size, root, now
    ids = [row.id for row in pending]
    for start in range(0, len(ids), _DELETE_CHUNK):
        await session.execute(delete(PendingEntry).where(PendingEntry.id.in_(ids[start : start + _DELETE_CHUNK])))
    return Integration(old_size, new_size, signed)
