"""Benchmarks of the transparency log's own work: integration, proofs at scale, witnessing.

Why a separate script: these measure work that no HTTP request does alone
(the sequencer integrating a backlog, a witness checking a whole log), so they
are timed in-process on a scratch database. The HTTP append path (a service
recording a data use) is measured against the yardstick's /accept by
bench/run.py's `transparency-record-use` scenario, in the same run as the
yardstick. Numbers are printed; nothing fails.

    .venv/bin/python bench/transparency.py                      # SQLite
    .venv/bin/python bench/transparency.py --database postgres
    .venv/bin/python bench/transparency.py --entries 200000 --big 10000000

What it measures:

1. integration: N pending entries (each a realistic ~450-byte data-use
   record) integrated by the sequencer with the default batch size: entries/s
   for assigning indexes, writing entries, tiles and bundles, and signing.
2. inclusion proofs: server time (service call, database reads included) for
   random indexes in a tree of --small leaves and one of --big leaves, whose
   tiles are synthesised directly (random leaf hashes) so that a 10,000,000
   leaf tree takes seconds to build; each proof in a read-only unit of work,
   as GET /transparency/proof/inclusion runs it. Measured with every tile
   read from the database (the ratio big/small shows O(log n)), and with the
   process's tile cache warm (what a running server pays).
3. witnessing: the whole log of step 1 checked from its tiles and bundles over
   an in-process HTTP client: microseconds per entry.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from govplatform.app import build_app  # noqa: E402
from govplatform.core.migrate import upgrade_to_head  # noqa: E402
from govplatform.core.observability import configure_logging  # noqa: E402
from govplatform.core.platform import build_platform  # noqa: E402
from govplatform.core.settings import load_settings  # noqa: E402
from govplatform.transparency.interfaces import DataUse  # noqa: E402
from govplatform.transparency.merkle import root_from_leaf_hashes  # noqa: E402
from govplatform.transparency.models import CheckpointRow, PendingEntry, TileRow, TreeHead  # noqa: E402
from govplatform.transparency.services import entries as entry_rules  # noqa: E402
from govplatform.transparency.services.witness import WitnessState, witness  # noqa: E402
from govplatform.transparency.tiles import TILE_WIDTH  # noqa: E402


async def scratch_database(kind: str, scratch: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{scratch / 'transparency-bench.db'}", None
    name = f"gp_bench_tlog_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine("postgresql+asyncpg://root@127.0.0.1/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return f"postgresql+asyncpg://root@127.0.0.1/{name}", name


async def drop_database(name: str | None) -> None:
    if name is None:
        return
    admin = create_async_engine("postgresql+asyncpg://root@127.0.0.1/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


def sample_record(n: int, secret: str) -> bytes:
    use = DataUse(
        organisation_id=uuid.UUID(int=1),
        organisation_name="Anytown Borough Council",
        service_id=uuid.UUID(int=2),
        service_name="Apply for a resident parking permit",
        data_items=("address", "vehicle registration"),
        subject=f"resident-{n}",
        purpose="Check the address is in a permit zone and the vehicle is the applicant's",
        legal_basis="UK GDPR Article 6(1)(e): a task in the public interest",
        occurred_at=dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC),
    )
    return entry_rules.entry_bytes(use, secret)[0]


async def bench_integration(platform, log, count: int) -> float:  # type: ignore[no-untyped-def]
    secret = platform.settings.transparency_subject_secret
    rows = [{"data": sample_record(n, secret), "subject": f"s{n}"} for n in range(count)]
    async with platform.uow() as uow:
        for start in range(0, count, 10_000):
            await uow.session.execute(insert(PendingEntry), rows[start : start + 10_000])
        await uow.commit()
    started = time.perf_counter()
    size = await log.integrate_all()
    elapsed = time.perf_counter() - started
    assert size == count, size
    return count / elapsed


def synthetic_tiles(leaves: int) -> tuple[dict[tuple[int, int], bytes], bytes]:
    """Tiles of a tree of random leaf hashes, built level by level as the sequencer would."""
    tiles: dict[tuple[int, int], bytes] = {}
    level, hashes = 0, os.urandom(32 * leaves)
    while hashes:
        count = len(hashes) // 32
        parents = []
        for index in range(0, count, TILE_WIDTH):
            chunk = hashes[index * 32 : (index + TILE_WIDTH) * 32]
            tiles[(level, index // TILE_WIDTH)] = chunk
            if len(chunk) == TILE_WIDTH * 32:
                parents.append(root_from_leaf_hashes([chunk[i : i + 32] for i in range(0, len(chunk), 32)]))
        level, hashes = level + 1, b"".join(parents)
    return tiles, b""


async def load_synthetic_tree(platform, log, leaves: int) -> None:  # type: ignore[no-untyped-def]
    """Replace the log's tiles with a synthetic tree of `leaves` leaves, and a checkpoint for it."""
    from govplatform.transparency.merkle import tree_root
    from govplatform.transparency.tiles import Tile, TileHashReader

    tiles, _ = synthetic_tiles(leaves)

    def read(tile: Tile) -> bytes:
        return tiles[(tile.level, tile.index)][: tile.width * 32]

    root = tree_root(TileHashReader(leaves, read), leaves)
    async with platform.uow() as uow:
        await uow.session.execute(text("DELETE FROM transparency_tiles"))
        items = [{"level": lv, "index": ix, "data": data} for (lv, ix), data in tiles.items()]
        for start in range(0, len(items), 2_000):
            await uow.session.execute(insert(TileRow), items[start : start + 2_000])
        await uow.session.execute(update(TreeHead).values(size=leaves, root_hash=root))
        await uow.session.execute(text("DELETE FROM transparency_checkpoints"))
        uow.session.add(CheckpointRow(size=leaves, root_hash=root, signed_note="synthetic"))
        await uow.commit()


PROOF_MODES = ("every tile from the database", "tile cache warm")


async def bench_proofs(platform, log, leaves: int, samples: int) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    """Proof times for random indexes, in two conditions.

    "every tile from the database": the tile cache is emptied before each
    proof, so each one reads and hashes all the tiles it needs (the cost that
    grows with log n). "tile cache warm": a process that has already served
    as many proofs at other random indexes, whose cache holds the upper tiles
    every proof shares; the leaf-level tile is still read for most indexes.
    """
    await load_synthetic_tree(platform, log, leaves)
    log.tiles.clear()  # the synthetic trees reuse tile keys with other contents; a real log never does
    rng = random.Random(1)

    async def prove(clear: bool) -> float:
        index = rng.randrange(leaves)
        if clear:
            log.tiles.clear()
        started = time.perf_counter()
        async with platform.uow(read_only=True) as uow:
            await log.inclusion(uow, index, leaves)
        return (time.perf_counter() - started) * 1000

    cold = [await prove(clear=True) for _ in range(samples)]
    log.tiles.clear()
    for _ in range(samples):
        await prove(clear=False)  # warming up on other indexes
    warm = [await prove(clear=False) for _ in range(samples)]
    return dict(zip(PROOF_MODES, (cold, warm), strict=True))


async def bench_witness(app, count: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        keys = (await client.get("/transparency/key")).text.splitlines()
        result = await witness(client, "http://bench/transparency", WitnessState(keys=keys))
    assert result.size == count
    return result.fetch_seconds / count * 1e6, result.check_seconds / count * 1e6


async def main(args: argparse.Namespace) -> None:
    configure_logging("warning")
    with tempfile.TemporaryDirectory(prefix="gp-tlog-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        url, name = await scratch_database(args.database, scratch)
        try:
            settings = load_settings(
                var_dir=scratch,
                database_url=url,
                log_level="warning",
                frontend_dir=ROOT / "node_modules/govuk-frontend/dist/govuk",
            )
            await asyncio.to_thread(upgrade_to_head, settings)
            platform = build_platform(settings)
            app = build_app(settings, platform)
            log = platform.components["transparency"]
            print(f"database: {args.database}; machine: {os.cpu_count()} cores; {dt.date.today()}")
            rate = await bench_integration(platform, log, args.entries)
            print(f"integration: {args.entries:,} pending entries at {rate:,.0f} entries/s")
            fetch, check = await bench_witness(app, args.entries)
            print(
                f"witness: whole log of {args.entries:,} entries verified at {check:.1f} µs/entry "
                f"(hashing every entry and tile, rebuilding the root); fetching the tiles and bundles "
                f"through the platform's HTTP stack in-process took {fetch:.1f} µs/entry more"
            )
            medians = {}
            for leaves in (args.small, args.big):
                for name, timings in (await bench_proofs(platform, log, leaves, args.samples)).items():
                    medians[leaves, name] = statistics.median(timings)
                    print(
                        f"inclusion proof at {leaves:,} leaves ({name}): median {statistics.median(timings):.3f} ms, "
                        f"p99 {sorted(timings)[int(len(timings) * 0.99) - 1]:.3f} ms"
                    )
            for name in PROOF_MODES:
                ratio = medians[args.big, name] / medians[args.small, name]
                print(f"proof cost ratio big/small ({name}): {ratio:.2f}")
            await platform.dispose()
        finally:
            await drop_database(name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--entries", type=int, default=100_000, help="entries to integrate and witness")
    parser.add_argument("--small", type=int, default=10_000, help="leaves in the small tree for proofs")
    parser.add_argument("--big", type=int, default=10_000_000, help="leaves in the big tree for proofs")
    parser.add_argument("--samples", type=int, default=500, help="proofs timed per tree")
    asyncio.run(main(parser.parse_args()))
