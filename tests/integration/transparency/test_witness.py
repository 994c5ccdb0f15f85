"""A witness checks the log from outside; every rewrite behind the platform's back is caught."""

import base64
import struct

import httpx
import pytest
from sqlalchemy import update

from govplatform.core.platform import Platform
from govplatform.transparency import merkle
from govplatform.transparency.checkpoint import Checkpoint, sign_checkpoint
from govplatform.transparency.models import BundleRow, CheckpointRow, TileRow, TreeHead
from govplatform.transparency.note import SignerKey
from govplatform.transparency.services.witness import WitnessError, WitnessState, witness
from govplatform.transparency.tiles import build_tiles, decode_entry_bundle, encode_entry_bundle
from tests.integration.transparency.conftest import fill

BASE = "http://testserver/transparency"


async def witness_one_at_a_time(client, base, state):  # the test database is one shared connection
    return await witness(client, base, state, concurrency=1)


async def first_state(platform: Platform, client: httpx.AsyncClient) -> WitnessState:
    keys = (await client.get("/transparency/key")).text.splitlines()
    state = WitnessState(keys=keys)
    result = await witness_one_at_a_time(client, BASE, state)
    state.size, state.root = result.size, base64.b64encode(result.root).decode()
    return state


async def edit_bundle(platform: Platform, index: int, change) -> None:
    async with platform.uow() as uow:
        row = await uow.session.get(BundleRow, index)
        entries = change(decode_entry_bundle(row.data))
        await uow.session.execute(
            update(BundleRow).where(BundleRow.index == index).values(data=encode_entry_bundle(entries))
        )
        await uow.commit()


async def test_an_honest_log_passes_and_stays_consistent_as_it_grows(platform: Platform, client) -> None:
    await fill(platform, 300)
    state = await first_state(platform, client)
    assert state.size == 300
    await fill(platform, 213, "more")
    result = await witness_one_at_a_time(client, BASE, state)
    assert (result.size, result.previous_size) == (513, 300)


async def test_an_edited_entry_is_caught(platform: Platform, client) -> None:
    await fill(platform, 300)
    await edit_bundle(platform, 1, lambda entries: [entries[0] + b"!", *entries[1:]])
    with pytest.raises(WitnessError, match="entry 256 does not hash"):
        await witness_one_at_a_time(
            client, BASE, WitnessState(keys=(await client.get("/transparency/key")).text.splitlines())
        )


async def test_a_deleted_entry_is_caught(platform: Platform, client) -> None:
    await fill(platform, 300)
    await edit_bundle(platform, 0, lambda entries: entries[:10] + entries[11:] + [entries[-1]])
    with pytest.raises(WitnessError, match="does not hash"):
        await witness_one_at_a_time(
            client, BASE, WitnessState(keys=(await client.get("/transparency/key")).text.splitlines())
        )


async def test_reordered_entries_are_caught(platform: Platform, client) -> None:
    await fill(platform, 300)
    await edit_bundle(platform, 0, lambda entries: [entries[1], entries[0], *entries[2:]])
    with pytest.raises(WitnessError, match="entry 0 does not hash"):
        await witness_one_at_a_time(
            client, BASE, WitnessState(keys=(await client.get("/transparency/key")).text.splitlines())
        )


async def test_an_edited_tile_is_caught(platform: Platform, client) -> None:
    await fill(platform, 300)
    async with platform.uow() as uow:
        row = await uow.session.get(TileRow, (1, 0))
        await uow.session.execute(update(TileRow).where(TileRow.level == 1, TileRow.index == 0).values(data=bytes(32)))
        await uow.commit()
        assert row is not None
    with pytest.raises(WitnessError, match="does not match the tile below"):
        await witness_one_at_a_time(
            client, BASE, WitnessState(keys=(await client.get("/transparency/key")).text.splitlines())
        )


async def test_a_consistent_rewrite_by_the_operator_is_caught_as_a_split_view(platform: Platform, client) -> None:
    """The operator holds the signing key and rebuilds every tile and checkpoint over altered history."""
    await fill(platform, 40)
    state = await first_state(platform, client)
    forged = [f"record {n}".encode() for n in range(40)]
    forged[7] = b"a record the operator wants forgotten"
    forged += [f"later {n}".encode() for n in range(10)]
    leaves = [merkle.leaf_hash(e) for e in forged]
    log = platform.components["transparency"]
    async with platform.uow() as uow:
        for tile, data in build_tiles(leaves).items():
            await uow.session.execute(
                update(TileRow).where(TileRow.level == tile.level, TileRow.index == tile.index).values(data=data)
            )
        await uow.session.execute(
            update(BundleRow).where(BundleRow.index == 0).values(data=encode_entry_bundle(forged), count=len(forged))
        )
        root = merkle.root_from_leaf_hashes(leaves)
        signed = sign_checkpoint(Checkpoint(log.origin, 50, root), log.signers)
        uow.session.add(CheckpointRow(size=50, root_hash=root, signed_note=signed))
        await uow.session.execute(update(TreeHead).values(size=50, root_hash=root))
        await uow.commit()
    with pytest.raises(WitnessError, match="split view or rewrite"):
        await witness_one_at_a_time(client, BASE, state)


async def test_a_checkpoint_signed_by_another_key_is_refused(platform: Platform, client) -> None:
    await fill(platform, 5)
    state = await first_state(platform, client)
    impostor = SignerKey.generate(platform.components["transparency"].origin)
    async with platform.uow() as uow:
        forged = sign_checkpoint(Checkpoint(impostor.name, 6, bytes(32)), [impostor])
        uow.session.add(CheckpointRow(size=6, root_hash=bytes(32), signed_note=forged))
        await uow.commit()
    with pytest.raises(WitnessError, match="not signed by a pinned key"):
        await witness_one_at_a_time(client, BASE, state)


async def test_a_log_that_shrinks_is_caught(platform: Platform, client) -> None:
    await fill(platform, 20)
    state = await first_state(platform, client)
    state.size = 25
    with pytest.raises(WitnessError, match="shrank"):
        await witness_one_at_a_time(client, BASE, state)


def test_bundle_encoding_is_a_length_prefix_per_entry() -> None:
    assert encode_entry_bundle([b"ab", b""]) == struct.pack(">H", 2) + b"ab" + struct.pack(">H", 0)
