"""Entries become a Merkle tree in tiles with signed checkpoints; proofs from the database verify."""

import datetime as dt
import uuid

import pytest
from sqlalchemy import func, select

from govplatform.core.platform import Platform
from govplatform.transparency import merkle
from govplatform.transparency.checkpoint import open_checkpoint
from govplatform.transparency.interfaces import DataUse
from govplatform.transparency.models import CheckpointRow, LogEntry, PendingEntry
from govplatform.transparency.receipt import verify_receipt
from govplatform.transparency.services.log import LogRequestError, TransparencyService
from govplatform.transparency.tiles import EntryBundle, Tile, decode_entry_bundle
from tests.integration.transparency.conftest import make_service


async def append_many(platform: Platform, service: TransparencyService, count: int, start: int = 0) -> list[bytes]:
    entries = [f"entry {n}".encode() for n in range(start, start + count)]
    async with platform.uow() as uow:
        for entry in entries:
            await service.append(uow, entry)
        await uow.commit()
    return entries


async def integrate(platform: Platform, service: TransparencyService) -> int:
    return await service.integrate_all()


async def test_integrated_entries_form_the_tree_their_checkpoint_signs(platform: Platform) -> None:
    service = make_service(platform, batch_size=97)  # odd batches cross tile edges at odd places
    entries = await append_many(platform, service, 700)
    size = await integrate(platform, service)
    assert size == 700
    expected = merkle.InMemoryTree([merkle.leaf_hash(e) for e in entries]).root()
    async with platform.uow() as uow:
        latest = await service.latest_checkpoint(uow)
        assert latest is not None
        checkpoint = open_checkpoint(latest.signed_note, service.verifier_keys, service.origin)
        assert (checkpoint.size, checkpoint.root_hash) == (700, expected)
        assert await uow.session.scalar(select(func.count()).select_from(PendingEntry)) == 0
        stored = (await uow.session.scalars(select(LogEntry.data).order_by(LogEntry.index))).all()
    assert list(stored) == entries, "indexes follow the order entries were appended"


async def test_every_checkpoint_is_consistent_with_every_earlier_one(platform: Platform) -> None:
    service = make_service(platform, batch_size=130)
    await append_many(platform, service, 600)
    await integrate(platform, service)
    async with platform.uow() as uow:
        rows = (await uow.session.scalars(select(CheckpointRow).order_by(CheckpointRow.size))).all()
        sizes = [(r.size, r.root_hash) for r in rows if r.size > 0]
        assert [s for s, _ in sizes] == [130, 260, 390, 520, 600]
        for i, (old, old_root) in enumerate(sizes):
            for new, new_root in sizes[i:]:
                proof = await service.consistency(uow, old, new)
                merkle.verify_consistency(old, new, old_root, new_root, proof)


async def test_inclusion_proofs_from_tiles_verify_at_old_and_new_sizes(platform: Platform) -> None:
    service = make_service(platform, batch_size=300)
    entries = await append_many(platform, service, 600)
    await integrate(platform, service)
    async with platform.uow() as uow:
        roots = {r.size: r.root_hash for r in (await uow.session.scalars(select(CheckpointRow))).all()}
        for size in (300, 600):
            for index in (0, 1, 255, 256, 299, size - 1):
                proof = await service.inclusion(uow, index, size)
                merkle.verify_inclusion(index, size, merkle.leaf_hash(entries[index]), proof, roots[size])


async def test_partial_tiles_of_past_sizes_are_prefixes_of_the_current_tile(platform: Platform) -> None:
    service = make_service(platform, batch_size=100)
    entries = await append_many(platform, service, 300)
    await integrate(platform, service)
    async with platform.uow() as uow:
        full = await service.tile_bytes(uow, Tile(0, 0))
        partial = await service.tile_bytes(uow, Tile(0, 0, 100))
        assert len(full) == 256 * 32 and full.startswith(partial) and len(partial) == 100 * 32
        assert partial[:32] == merkle.leaf_hash(entries[0])
        bundle = await service.tile_bytes(uow, EntryBundle(1, 44))
        assert decode_entry_bundle(bundle) == entries[256:300]
        with pytest.raises(LogRequestError):
            await service.tile_bytes(uow, Tile(0, 1, 45))  # beyond the tree
        with pytest.raises(LogRequestError):
            await service.tile_bytes(uow, Tile(1, 0, 2))


async def test_a_receipt_verifies_offline_with_only_the_entry_and_the_verifier_key(platform: Platform) -> None:
    service = make_service(platform)
    entries = await append_many(platform, service, 50)
    await integrate(platform, service)
    async with platform.uow() as uow:
        receipt = await service.receipt(uow, 17)
    assert receipt.startswith("c2sp.org/tlog-proof@v1\nindex 17\n")
    checkpoint = verify_receipt(entries[17], receipt, service.verifier_keys, service.origin)
    assert checkpoint.size == 50
    with pytest.raises(ValueError):
        verify_receipt(entries[18], receipt, service.verifier_keys, service.origin)


async def test_an_uncommitted_integration_leaves_entries_pending_and_publishes_nothing(platform: Platform) -> None:
    service = make_service(platform)
    await append_many(platform, service, 10)
    async with platform.uow() as uow:
        done = await service.integrate(uow)
        assert done is not None and done.new_size == 10
        # the process dies here: no commit
    async with platform.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(PendingEntry)) == 10
        assert await uow.session.get(CheckpointRow, 10) is None
        assert (await service.head(uow))[0] == 0
    assert await integrate(platform, service) == 10


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [(0, 5, "at least 1"), (6, 5, "larger than"), (1, 99, "beyond the latest checkpoint")],
)
async def test_bad_consistency_requests_are_refused_clearly(
    platform: Platform, transparency: TransparencyService, old: int, new: int, message: str
) -> None:
    await append_many(platform, transparency, 10)
    await integrate(platform, transparency)
    async with platform.uow() as uow:
        with pytest.raises(LogRequestError, match=message):
            await transparency.consistency(uow, old, new)


async def test_a_data_use_is_recorded_with_a_pseudonym_and_never_the_subject(
    platform: Platform, transparency: TransparencyService
) -> None:
    use = DataUse(
        organisation_id=uuid.uuid4(),
        organisation_name="Anytown Council",
        service_id=uuid.uuid4(),
        service_name="Blue Badge",
        data_items=("date of birth", "address"),
        subject="AB123456C",
        purpose="Check eligibility for a Blue Badge",
        legal_basis="UK GDPR Article 6(1)(e)",
        occurred_at=dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC),
    )
    async with platform.uow() as uow:
        await transparency.record_use(uow, use)
        await uow.commit()
    await integrate(platform, transparency)
    async with platform.uow() as uow:
        entry = await transparency.entry(uow, 0)
        row = await uow.session.get(LogEntry, 0)
    assert b"AB123456C" not in entry
    assert row is not None and row.subject == transparency.pseudonym("AB123456C")
    assert entry.startswith(
        b'{"type":"data-use","v":1,"what":["address","date of birth"],"when":"2026-11-26T10:00:00Z"'
    )
