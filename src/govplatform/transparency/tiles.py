"""Tiles and entry bundles: the static form of the log, per c2sp.org/tlog-tiles.

A tiled log serves its Merkle tree as immutable files that any CDN can cache,
instead of answering proof queries: every hash a proof or a root needs sits in
one tile. This module names those files (tile paths), says which exist for a
tree size, computes their contents from leaf hashes, packs entry bundles, and
reads hashes back out of tiles, so proofs and roots cost O(log n) tile reads.

Written by hand: tlog-tiles has no Python implementation to reuse, and the
path grammar is small enough that strict parsing here beats a dependency.
Parsing is strict because paths come from URLs: a path is accepted only if it
is exactly the one this module would write for that tile.
"""

from __future__ import annotations

import collections
import hashlib
import re
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from govplatform.transparency.merkle import (
    HASH_SIZE,
    NODE_PREFIX,
    ProofError,
    root_from_leaf_hashes,
    subtree_hash,
    tree_root,
)

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes, so a full tile is 8,192 bytes
MAX_LEVEL = 63  # "<L> MUST be a decimal ASCII integer between 0 and 63"
MAX_ENTRY_SIZE = 0xFFFF  # entries carry a big-endian uint16 length


class TilePathError(ValueError):
    """A tile or entry-bundle path is not one that tlog-tiles allows."""


class EntryBundleError(ValueError):
    """An entry bundle cannot be written or read."""


@dataclass(frozen=True, order=True)
class Tile:
    """The `index`-th tile at `level`, holding `width` hashes (256 when full).

    At level l, hash i of tile n is MTH(D[(n*256 + i) * 256**l : (n*256 + i + 1) * 256**l]).
    """

    level: int
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if not 0 <= self.level <= MAX_LEVEL:
            raise TilePathError(f"tile level {self.level} is outside 0..{MAX_LEVEL}")
        _check_index_and_width(self.index, self.width)

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def leaves_per_hash(self) -> int:
        return 1 << (TILE_HEIGHT * self.level)

    @property
    def start(self) -> int:
        """The first leaf index this tile covers."""
        return self.index * TILE_WIDTH * self.leaves_per_hash

    @property
    def end(self) -> int:
        """One past the last leaf index this tile covers."""
        return self.start + self.width * self.leaves_per_hash

    @property
    def path(self) -> str:
        """`tile/<L>/<N>[.p/<W>]`, relative to the log's prefix."""
        return f"tile/{self.level}/{_format_index(self.index, self.width)}"


@dataclass(frozen=True, order=True)
class EntryBundle:
    """The `index`-th bundle of entries, holding `width` entries (256 when full)."""

    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        _check_index_and_width(self.index, self.width)

    @property
    def is_partial(self) -> bool:
        return self.width < TILE_WIDTH

    @property
    def start(self) -> int:
        return self.index * TILE_WIDTH

    @property
    def end(self) -> int:
        return self.start + self.width

    @property
    def path(self) -> str:
        """`tile/entries/<N>[.p/<W>]`, relative to the log's prefix."""
        return f"tile/entries/{_format_index(self.index, self.width)}"


def _check_index_and_width(index: int, width: int) -> None:
    if index < 0:
        raise TilePathError(f"tile index {index} is negative")
    if not 1 <= width <= TILE_WIDTH:
        raise TilePathError(f"tile width {width} is outside 1..{TILE_WIDTH}")


def _format_index(index: int, width: int) -> str:
    # 1234067 -> x001/x234/067: three digits an element, all but the last with x.
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    encoded = "/".join(reversed(groups))
    return encoded if width == TILE_WIDTH else f"{encoded}.p/{width}"


_DECIMAL = re.compile(r"0|[1-9][0-9]*", re.ASCII)
_WIDTH = re.compile(r"[1-9][0-9]{0,2}", re.ASCII)
_INNER_ELEMENT = re.compile(r"x[0-9]{3}", re.ASCII)
_LAST_ELEMENT = re.compile(r"[0-9]{3}", re.ASCII)


def parse_tile_path(path: str) -> Tile | EntryBundle:
    """Read `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`, relative to the prefix."""
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise TilePathError(f"{path!r} is not tile/<L>/<N> or tile/entries/<N>")
    width = TILE_WIDTH
    elements = parts[2:]
    if len(elements) >= 2 and elements[-2].endswith(".p"):
        if not _WIDTH.fullmatch(elements[-1]) or int(elements[-1]) >= TILE_WIDTH:
            raise TilePathError(f"{path!r}: partial width {elements[-1]!r} is not a decimal from 1 to 255")
        width = int(elements[-1])
        elements = [*elements[:-2], elements[-2].removesuffix(".p")]
    index = _parse_index(path, elements)
    if parts[1] == "entries":
        return EntryBundle(index, width)
    if not _DECIMAL.fullmatch(parts[1]) or int(parts[1]) > MAX_LEVEL:
        raise TilePathError(
            f"{path!r}: level {parts[1]!r} is not a decimal from 0 to {MAX_LEVEL} without leading zeros"
        )
    return Tile(int(parts[1]), index, width)


def _parse_index(path: str, elements: list[str]) -> int:
    *inner, last = elements
    if not _LAST_ELEMENT.fullmatch(last):
        raise TilePathError(f"{path!r}: the last index element {last!r} is not three digits without x")
    for element in inner:
        if not _INNER_ELEMENT.fullmatch(element):
            raise TilePathError(f"{path!r}: index element {element!r} is not x and three digits")
    if inner and inner[0] == "x000":
        raise TilePathError(f"{path!r}: the index has a leading zero element")
    return int("".join(e.removeprefix("x") for e in elements))


def tiles_for_size(size: int) -> list[Tile]:
    """Every tile a tree of `size` leaves has, full and partial, level by level.

    Level l has floor(size / 256**l) hashes; a remainder under 256 is a partial
    tile, and an empty one does not exist.
    """
    if size < 0:
        raise ValueError(f"negative tree size {size}")
    tiles: list[Tile] = []
    level, hashes = 0, size
    while hashes:
        tiles.extend(Tile(level, n) for n in range(hashes // TILE_WIDTH))
        if hashes % TILE_WIDTH:
            tiles.append(Tile(level, hashes // TILE_WIDTH, hashes % TILE_WIDTH))
        level, hashes = level + 1, hashes // TILE_WIDTH
    return tiles


def entry_bundles_for_size(size: int) -> list[EntryBundle]:
    """Every entry bundle a tree of `size` leaves has: one per level-0 tile."""
    return [EntryBundle(t.index, t.width) for t in tiles_for_size(size) if t.level == 0]


def tile_for(level: int, hash_index: int, size: int) -> Tile:
    """The tile of a tree of `size` that holds hash `hash_index` of `level`, partial if need be."""
    hashes = size >> (TILE_HEIGHT * level)
    if not 0 <= hash_index < hashes:
        raise ValueError(f"a tree of size {size} has no hash {hash_index} at level {level}")
    index = hash_index // TILE_WIDTH
    full = (index + 1) * TILE_WIDTH <= hashes
    return Tile(level, index, TILE_WIDTH if full else hashes % TILE_WIDTH)


def build_tiles(leaf_hashes: Sequence[bytes]) -> dict[Tile, bytes]:
    """The contents of every tile of the tree over `leaf_hashes`.

    Each hash at level l+1 is the MTH of a full tile at level l; a partial
    tile is never hashed into the level above.
    """
    tiles: dict[Tile, bytes] = {}
    level, hashes = 0, list(leaf_hashes)
    while hashes:
        for n in range(0, len(hashes), TILE_WIDTH):
            chunk = hashes[n : n + TILE_WIDTH]
            tiles[Tile(level, n // TILE_WIDTH, len(chunk))] = encode_tile(chunk)
        full = len(hashes) - len(hashes) % TILE_WIDTH
        hashes = [root_from_leaf_hashes(hashes[n : n + TILE_WIDTH]) for n in range(0, full, TILE_WIDTH)]
        level += 1
    return tiles


def encode_tile(hashes: Sequence[bytes]) -> bytes:
    """A tile's bytes: its hashes, concatenated."""
    if not 1 <= len(hashes) <= TILE_WIDTH:
        raise ValueError(f"a tile holds 1 to {TILE_WIDTH} hashes, not {len(hashes)}")
    if any(len(h) != HASH_SIZE for h in hashes):
        raise ValueError(f"every hash in a tile is {HASH_SIZE} bytes")
    return b"".join(hashes)


def check_tile_length(tile: Tile, data: bytes) -> None:
    if len(data) != tile.width * HASH_SIZE:
        raise ValueError(f"{tile.path} must be {tile.width * HASH_SIZE} bytes, not {len(data)}")


def decode_tile(tile: Tile, data: bytes) -> list[bytes]:
    """The hashes in a tile's bytes, which must be exactly `tile.width` hashes long."""
    check_tile_length(tile, data)
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def encode_entry_bundle(entries: Iterable[bytes]) -> bytes:
    """Entries, each prefixed by its length as a big-endian uint16."""
    out = bytearray()
    for i, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise EntryBundleError(f"entry {i} is {len(entry)} bytes; an entry is at most {MAX_ENTRY_SIZE}")
        out += struct.pack(">H", len(entry)) + entry
    return bytes(out)


def decode_entry_bundle(data: bytes) -> list[bytes]:
    """The entries in a bundle; a truncated length or entry is an error."""
    entries: list[bytes] = []
    offset = 0
    while offset < len(data):
        if len(entries) == TILE_WIDTH:
            raise EntryBundleError(f"a bundle holds at most {TILE_WIDTH} entries")
        if offset + 2 > len(data):
            raise EntryBundleError(f"the bundle ends inside the length of entry {len(entries)}")
        (length,) = struct.unpack_from(">H", data, offset)
        offset += 2
        if offset + length > len(data):
            raise EntryBundleError(f"entry {len(entries)} says {length} bytes but the bundle ends first")
        entries.append(data[offset : offset + length])
        offset += length
    return entries


TileReader = Callable[[Tile], bytes]
"""Gives the stored bytes of a tile (from the database, a disk or a CDN)."""


class TileNodes:
    """Every node hash inside one tile, level by level, so any aligned subtree of it is one lookup.

    Level 0 is the tile's own hashes; level k holds the roots of each aligned
    run of 2**k of them (only complete runs, so a partial tile has fewer).
    Building them costs one hash per pair, the same as hashing the tile's
    largest subtree once; after that a proof reads instead of rehashing.
    """

    __slots__ = ("levels",)

    def __init__(self, hashes: bytes) -> None:
        levels = [hashes]
        sha256 = hashlib.sha256
        below = hashes
        pair = 2 * HASH_SIZE
        while len(below) >= pair:
            below = b"".join(
                sha256(NODE_PREFIX + below[start : start + pair]).digest()
                for start in range(0, len(below) - pair + 1, pair)
            )
            levels.append(below)
        self.levels = levels

    def subtree(self, offset: int, height: int) -> bytes:
        """The root of hashes [offset, offset + 2**height) of the tile (offset aligned to 2**height)."""
        position = (offset >> height) * HASH_SIZE
        found = self.levels[height][position : position + HASH_SIZE] if height < len(self.levels) else b""
        if len(found) != HASH_SIZE:
            raise ProofError(f"hashes [{offset}, {offset + (1 << height)}) are not all in this tile")
        return found


class TileCache:
    """Node tables of tiles already read, shared by every proof a process serves.

    A tile's first `width` hashes never change once written (the log only
    appends; a partial tile grows into a wider one under a new key), so what
    is cached is never stale. Without it a proof at 10,000,000 leaves rehashed
    about 750 nodes of three tiles; with it, the upper tiles that every proof
    shares are read and hashed once. Least recently used tiles go first.
    """

    def __init__(self, capacity: int = 2048) -> None:
        self.capacity = capacity
        self._nodes: collections.OrderedDict[Tile, TileNodes] = collections.OrderedDict()

    def get(self, tile: Tile) -> TileNodes | None:
        found = self._nodes.get(tile)
        if found is not None:
            self._nodes.move_to_end(tile)
        return found

    def put(self, tile: Tile, nodes: TileNodes) -> None:
        self._nodes[tile] = nodes
        self._nodes.move_to_end(tile)
        while len(self._nodes) > self.capacity:
            self._nodes.popitem(last=False)

    def __contains__(self, tile: Tile) -> bool:
        return tile in self._nodes

    def __len__(self) -> int:
        return len(self._nodes)

    def clear(self) -> None:
        self._nodes.clear()


class TileHashReader:
    """A `merkle.HashReader` that answers from the tiles of a tree of `size`.

    An aligned subtree of height h is hash-index i of level h // 8 combined
    with its 2**(h % 8) - 1 neighbours in one tile, so each read costs at most
    one tile fetch; tiles are kept (as node tables) for the life of the
    reader, and in `cache` too when one is given.
    """

    def __init__(self, size: int, read_tile: TileReader, cache: TileCache | None = None) -> None:
        self.size = size
        self._read_tile = read_tile
        self._shared = cache
        self._cache: dict[Tile, TileNodes] = {}

    def _nodes(self, tile: Tile) -> TileNodes:
        nodes = self._cache.get(tile)
        if nodes is None:
            nodes = self._shared.get(tile) if self._shared is not None else None
            if nodes is None:
                data = self._read_tile(tile)
                check_tile_length(tile, data)
                nodes = TileNodes(bytes(data))
                if self._shared is not None:
                    self._shared.put(tile, nodes)
            self._cache[tile] = nodes
        return nodes

    def __call__(self, start: int, end: int) -> bytes:
        width = end - start
        if width <= 0 or width & (width - 1) or start % width or end > self.size:
            raise ProofError(f"[{start}, {end}) is not a complete aligned subtree of a tree of size {self.size}")
        height = width.bit_length() - 1
        level, rest = divmod(height, TILE_HEIGHT)
        first = start >> (TILE_HEIGHT * level)  # hash index at that level
        tile = tile_for(level, first, self.size)
        return self._nodes(tile).subtree(first - tile.index * TILE_WIDTH, rest)

    def subtree_hash(self, start: int, end: int) -> bytes:
        return subtree_hash(self, start, end)

    def root(self) -> bytes:
        """The tree's root hash, recomputed from tiles, to check a checkpoint against."""
        return tree_root(self, self.size)
