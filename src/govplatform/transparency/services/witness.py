"""Witnessing: checking a log from outside, trusting only the keys pinned at the start.

A witness fetches the signed checkpoint and every tile and entry bundle, and
checks, in order: the signature against the pinned keys (never a key the log
serves), that every entry hashes to its level-0 tile hash, that every tile
above is built from the level below, that the root is the checkpoint's, and
that the tree still contains the tree it saw last time (its root, rebuilt
from today's tiles, is the root it kept). Any edit, deletion or reordering of
an entry or a tile, and any split view, fails one of these checks. The work
is linear in the size of the log.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import httpx

from govplatform.transparency.checkpoint import CheckpointError, open_checkpoint
from govplatform.transparency.merkle import EMPTY_ROOT, HASH_SIZE, leaf_hash, root_from_leaf_hashes, tree_root
from govplatform.transparency.note import NoteError, VerifierKey
from govplatform.transparency.tiles import (
    TILE_WIDTH,
    EntryBundle,
    EntryBundleError,
    Tile,
    TileHashReader,
    decode_entry_bundle,
    tiles_for_size,
)

FETCH_CONCURRENCY = 8


class WitnessError(Exception):
    """The log failed a check: a bad signature, a rewrite, or a split view."""


class FetchError(Exception):
    """The log could not be read (network, HTTP status); says nothing about its honesty."""


@dataclasses.dataclass
class WitnessState:
    """What a witness remembers between runs: the keys it was first given and the last tree it saw."""

    keys: list[str]
    size: int = 0
    root: str = ""
    checkpoint: str = ""

    @classmethod
    def load(cls, path: Path) -> WitnessState | None:
        if not path.exists():
            return None
        raw: dict[str, Any] = json.loads(path.read_text())
        return cls(keys=list(raw["keys"]), size=int(raw["size"]), root=raw["root"], checkpoint=raw["checkpoint"])

    def save(self, path: Path) -> None:
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(json.dumps(dataclasses.asdict(self), indent=2))
        temporary.replace(path)


@dataclasses.dataclass(frozen=True)
class WitnessResult:
    size: int
    root: bytes
    previous_size: int
    checkpoint: str
    fetch_seconds: float = 0.0
    check_seconds: float = 0.0


async def _get(client: httpx.AsyncClient, url: str) -> bytes:
    try:
        response = await client.get(url)
    except httpx.HTTPError as error:
        raise FetchError(f"cannot fetch {url}: {error}") from error
    if response.status_code != 200:
        raise FetchError(f"{url} answered {response.status_code}")
    return response.content


async def witness(
    client: httpx.AsyncClient, base_url: str, state: WitnessState, concurrency: int = FETCH_CONCURRENCY
) -> WitnessResult:
    """Check the log at `base_url` (its /transparency prefix) against `state`; raises WitnessError."""
    keys = [VerifierKey.parse(text) for text in state.keys]
    signed = (await _get(client, f"{base_url}/checkpoint")).decode()
    origins = {key.name for key in keys}
    checkpoint = None
    for origin in origins:
        try:
            checkpoint = open_checkpoint(signed, keys, origin)
            break
        except (CheckpointError, NoteError, ValueError) as error:
            failure = error
    if checkpoint is None:
        raise WitnessError(f"the checkpoint is not signed by a pinned key for this log: {failure}")
    size = checkpoint.size
    if size < state.size:
        raise WitnessError(f"the log shrank from {state.size} to {size} entries")

    fetched = time.perf_counter()
    tiles, bundles = await _fetch_all(client, base_url, size, concurrency)
    checking = time.perf_counter()
    for tile in tiles_for_size(size):
        data = tiles[(tile.level, tile.index)]
        if len(data) != tile.width * HASH_SIZE:
            raise WitnessError(f"{tile.path} is {len(data)} bytes, not {tile.width * HASH_SIZE}")
        if tile.level == 0:
            _check_bundle(tile, data, bundles[tile.index])
        else:
            _check_built_from_below(tile, data, tiles)

    def read(tile: Tile) -> bytes:
        return tiles[(tile.level, tile.index)][: tile.width * HASH_SIZE]

    root = tree_root(TileHashReader(size, read), size) if size else EMPTY_ROOT
    if root != checkpoint.root_hash:
        raise WitnessError("the root rebuilt from the tiles is not the checkpoint's root")
    if state.size:
        old_root = tree_root(TileHashReader(state.size, read), state.size)
        if base64.b64encode(old_root).decode() != state.root:
            raise WitnessError(
                f"split view or rewrite: the log no longer contains the tree of size {state.size} seen last time"
            )
    done = time.perf_counter()
    return WitnessResult(size, root, state.size, signed, checking - fetched, done - checking)


async def _fetch_all(
    client: httpx.AsyncClient, base_url: str, size: int, concurrency: int
) -> tuple[dict[tuple[int, int], bytes], dict[int, bytes]]:
    """Every tile and entry bundle of the tree, fetched a few at a time."""
    limit = asyncio.Semaphore(concurrency)

    async def get(path: str) -> bytes:
        async with limit:
            return await _get(client, f"{base_url}/{path}")

    tile_list = tiles_for_size(size)
    bundle_list = [EntryBundle(t.index, t.width) for t in tile_list if t.level == 0]
    contents = await asyncio.gather(*(get(t.path) for t in tile_list), *(get(b.path) for b in bundle_list))
    tiles = {(t.level, t.index): data for t, data in zip(tile_list, contents, strict=False)}
    bundles = {b.index: data for b, data in zip(bundle_list, contents[len(tile_list) :], strict=True)}
    return tiles, bundles


def _check_bundle(tile: Tile, hashes: bytes, data: bytes) -> None:
    bundle = EntryBundle(tile.index, tile.width)
    try:
        entries = decode_entry_bundle(data)
    except EntryBundleError as error:
        raise WitnessError(f"{bundle.path} cannot be read: {error}") from error
    if len(entries) != tile.width:
        raise WitnessError(f"{bundle.path} holds {len(entries)} entries, not {tile.width}")
    for offset, entry in enumerate(entries):
        if leaf_hash(entry) != hashes[offset * HASH_SIZE : (offset + 1) * HASH_SIZE]:
            index = tile.index * TILE_WIDTH + offset
            raise WitnessError(f"entry {index} does not hash to its leaf in {tile.path}: it was changed or moved")


def _check_built_from_below(tile: Tile, data: bytes, tiles: dict[tuple[int, int], bytes]) -> None:
    for offset in range(tile.width):
        below = tiles.get((tile.level - 1, tile.index * TILE_WIDTH + offset))
        if below is None or len(below) != TILE_WIDTH * HASH_SIZE:
            raise WitnessError(f"{tile.path} covers a tile below it that is missing or not full")
        children = [below[i : i + HASH_SIZE] for i in range(0, len(below), HASH_SIZE)]
        if root_from_leaf_hashes(children) != data[offset * HASH_SIZE : (offset + 1) * HASH_SIZE]:
            raise WitnessError(f"{tile.path} hash {offset} does not match the tile below it")
