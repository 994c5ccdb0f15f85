"""Many writers, one sequencer, a witness watching: every checkpoint is consistent, every receipt verifies."""

import asyncio
import base64
import itertools
import os
import random
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from govplatform.app import build_app
from govplatform.core.platform import build_platform
from govplatform.transparency import merkle
from govplatform.transparency.models import CheckpointRow
from govplatform.transparency.note import VerifierKey
from govplatform.transparency.receipt import verify_receipt
from govplatform.transparency.services.witness import WitnessState, witness
from tests.conftest import make_settings

pytestmark = pytest.mark.process

WRITERS = 8
# The suite runs 1,200 entries; set GOVPLATFORM_ROUND_TRIP_ENTRIES=100000 for the full
# round trip (then every receipt is checked, not a sample).
TOTAL = int(os.environ.get("GOVPLATFORM_ROUND_TRIP_ENTRIES", "1200"))
PER_WRITER = TOTAL // WRITERS
FULL = "GOVPLATFORM_ROUND_TRIP_ENTRIES" in os.environ


async def test_concurrent_writers_and_a_running_sequencer_give_a_log_a_witness_accepts_throughout(
    fresh_database: str, var_dir: Path
) -> None:
    settings = make_settings(var_dir, fresh_database, transparency_batch_size=max(200, TOTAL // 20))
    platform = build_platform(settings)
    app = build_app(settings, platform)
    log = platform.components["transparency"]
    stop = asyncio.Event()
    sequencer = asyncio.create_task(log.run_sequencer(stop, 0.05))

    async def writer(number: int) -> None:
        for n in range(PER_WRITER):
            async with platform.uow() as uow:
                await log.append(uow, f"writer {number} entry {n}".encode())
                await uow.commit()
            if n % 10 == 0:
                await asyncio.sleep(0)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        keys = (await client.get("/transparency/key")).text.splitlines()
        state = WitnessState(keys=keys)
        seen_sizes: list[int] = []

        async def watch() -> None:
            while not stop.is_set():
                if (await client.get("/transparency/checkpoint")).status_code == 200:
                    result = await witness(client, "http://testserver/transparency", state)
                    state.size, state.root = result.size, base64.b64encode(result.root).decode()
                    seen_sizes.append(result.size)
                await asyncio.sleep(0.1 if not FULL else 2)

        watcher = asyncio.create_task(watch())
        await asyncio.gather(*(writer(w) for w in range(WRITERS)))
        total = WRITERS * PER_WRITER
        for _ in range(200 if not FULL else 6000):
            async with platform.uow() as uow:
                if (await log.head(uow))[0] == total:
                    break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # let the witness see the final checkpoint
        stop.set()
        await asyncio.gather(sequencer, watcher)
        final = await witness(client, "http://testserver/transparency", state)
        assert final.size == total
        assert seen_sizes, "the witness checked the log while it grew"
        # Every checkpoint published along the way is consistent with the one before it.
        async with platform.uow(read_only=True) as uow:
            published = (
                await uow.session.execute(
                    select(CheckpointRow.size, CheckpointRow.root_hash).order_by(CheckpointRow.size)
                )
            ).all()
            published = [(size, root) for size, root in published if size > 0]
            assert len(published) >= 3, f"checkpoints were published along the way: {[s for s, _ in published]}"
            for (old, old_root), (new, new_root) in itertools.pairwise(published):
                proof = await log.consistency(uow, old, new)
                merkle.verify_consistency(old, new, old_root, new_root, proof)

        async with platform.uow(read_only=True) as uow:
            entries = {await log.entry(uow, index) for index in range(total)}
        assert entries == {f"writer {w} entry {n}".encode() for w in range(WRITERS) for n in range(PER_WRITER)}

        origin = settings.resolved_transparency_origin
        trusted = [VerifierKey.parse(k) for k in keys]
        checked = range(total) if FULL else random.Random(7).sample(range(total), 25)
        async with platform.uow(read_only=True) as uow:
            for index in checked:
                receipt = await log.receipt(uow, index)
                entry = await log.entry(uow, index)
                # Offline: only the entry, the receipt text and the pinned verifier keys.
                assert verify_receipt(entry, receipt, trusted, origin).size == total
        sample = random.Random(8).choice(range(total))
        over_http = (await client.get(f"/transparency/receipt/{sample}")).text
        entry_over_http = (await client.get(f"/transparency/entry/{sample}")).content
        assert verify_receipt(entry_over_http, over_http, trusted, origin).size == total
    await platform.dispose()
