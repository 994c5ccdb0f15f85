"""tlog-tiles: strict paths, which tiles a size has, their contents, entry bundles, proofs read from tiles."""

from __future__ import annotations

import hashlib
from collections import Counter
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govplatform.transparency.merkle import (
    InMemoryTree,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_from_leaf_hashes,
    verify_inclusion,
)
from govplatform.transparency.tiles import (
    MAX_ENTRY_SIZE,
    EntryBundle,
    EntryBundleError,
    Tile,
    TileCache,
    TileHashReader,
    TileNodes,
    TilePathError,
    build_tiles,
    decode_entry_bundle,
    decode_tile,
    encode_entry_bundle,
    encode_tile,
    entry_bundles_for_size,
    parse_tile_path,
    tile_for,
    tiles_for_size,
)

BIG = 70_000
ENTRIES = [b"entry %d" % i for i in range(BIG)]
LEAVES = [leaf_hash(e) for e in ENTRIES]
TREE = InMemoryTree(LEAVES)


def tile_from_memory(tile: Tile) -> bytes:
    """Tile contents straight from the definition, read from an in-memory tree."""
    step = 256**tile.level
    first = tile.index * 256
    return encode_tile([TREE((first + i) * step, (first + i + 1) * step) for i in range(tile.width)])


@cache
def tiles_of(size: int) -> dict[Tile, bytes]:
    return build_tiles(LEAVES[:size])


@pytest.mark.parametrize(
    ("tile", "path"),
    [
        (Tile(0, 1234067), "tile/0/x001/x234/067"),
        (Tile(0, 5), "tile/0/005"),
        (Tile(0, 0), "tile/0/000"),
        (Tile(2, 1000, 1), "tile/2/x001/000.p/1"),
        (Tile(1, 5, 17), "tile/1/005.p/17"),
        (Tile(63, 999, 255), "tile/63/999.p/255"),
        (EntryBundle(1000), "tile/entries/x001/000"),
        (EntryBundle(273, 112), "tile/entries/273.p/112"),
    ],
)
def test_tile_paths_are_written_and_read_as_tlog_tiles_spells_them(tile: Tile | EntryBundle, path: str) -> None:
    assert tile.path == path
    assert parse_tile_path(path) == tile


@given(
    st.one_of(
        st.builds(Tile, st.integers(0, 63), st.integers(0, 10**12), st.integers(1, 256)),
        st.builds(EntryBundle, st.integers(0, 10**12), st.integers(1, 256)),
    )
)
def test_every_tile_path_reads_back_as_its_tile(tile: Tile | EntryBundle) -> None:
    assert parse_tile_path(tile.path) == tile


@given(st.text(alphabet="tile/entrx0123456789.p٣+-_ ", max_size=30).map(lambda s: "tile/" + s))
def test_a_path_is_accepted_only_if_it_is_exactly_how_its_tile_is_written(path: str) -> None:
    try:
        tile = parse_tile_path(path)
    except TilePathError:
        return
    assert tile.path == path


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("tile/0/5", "three digits"),
        ("tile/0/0005", "three digits"),
        ("tile/0/x005", "three digits without x"),
        ("tile/0/001/005", "x and three digits"),
        ("tile/0/x1234/005", "x and three digits"),
        ("tile/0/x000/005", "leading zero element"),
        ("tile/entries/x000/x001/005", "leading zero element"),
        ("tile/0/00a", "three digits"),
        ("tile/0/+05", "three digits"),
        ("tile/0/٠٠٥", "three digits"),
        ("tile/0/005/", "three digits"),
        ("tile/00/005", "leading zeros"),
        ("tile/64/005", "from 0 to 63"),
        ("tile/-1/005", "from 0 to 63"),
        ("tile/a/005", "from 0 to 63"),
        ("tile//005", "from 0 to 63"),
        ("tile/0/005.p/0", "from 1 to 255"),
        ("tile/0/005.p/256", "from 1 to 255"),
        ("tile/0/005.p/012", "from 1 to 255"),
        ("tile/0/005.p/", "from 1 to 255"),
        ("tile/0/005.p", "three digits"),
        ("tile/0/x005.p/3", "three digits without x"),
        ("tiles/0/005", "is not tile/"),
        ("tile/0", "is not tile/"),
        ("/tile/0/005", "is not tile/"),
    ],
)
def test_malformed_tile_paths_are_refused_with_the_reason(path: str, reason: str) -> None:
    with pytest.raises(TilePathError, match=reason):
        parse_tile_path(path)


def test_a_tile_path_error_is_a_value_error() -> None:
    assert issubclass(TilePathError, ValueError)


def test_a_tree_of_70000_has_the_tiles_the_specification_lists() -> None:
    tiles = tiles_for_size(70_000)
    full = Counter(t.level for t in tiles if not t.is_partial)
    partial = {t.level: t.width for t in tiles if t.is_partial}
    assert full == {0: 273, 1: 1}
    assert partial == {0: 112, 1: 17, 2: 1}
    assert [t for t in tiles if t.is_partial] == [Tile(0, 273, 112), Tile(1, 1, 17), Tile(2, 0, 1)]
    bundles = entry_bundles_for_size(70_000)
    assert len(bundles) == 274 and bundles[-1] == EntryBundle(273, 112)


def test_a_tree_of_256_has_one_full_tile_and_a_level_1_partial_of_width_1() -> None:
    assert tiles_for_size(256) == [Tile(0, 0), Tile(1, 0, 1)]
    assert tiles_for_size(0) == []
    assert tiles_for_size(1) == [Tile(0, 0, 1)]


@pytest.mark.parametrize("size", [1, 255, 256, 257, 65_536, 65_537, BIG])
def test_built_tiles_are_exactly_the_tiles_of_the_size_with_the_defined_hashes(size: int) -> None:
    tiles = tiles_of(size)
    assert sorted(tiles) == sorted(tiles_for_size(size))
    for tile, data in tiles.items():
        assert data == tile_from_memory(tile), tile.path


def test_a_level_2_hash_is_the_merkle_tree_hash_of_65536_leaves() -> None:
    (level2,) = [t for t in tiles_of(BIG) if t.level == 2]
    assert decode_tile(level2, tiles_of(BIG)[level2]) == [root_from_leaf_hashes(LEAVES[:65_536])]


def test_tile_for_picks_the_full_tile_or_the_partial_one_the_size_has() -> None:
    assert tile_for(0, 300, BIG) == Tile(0, 1)
    assert tile_for(0, 69_999, BIG) == Tile(0, 273, 112)
    assert tile_for(1, 256, BIG) == Tile(1, 1, 17)
    with pytest.raises(ValueError, match="no hash"):
        tile_for(0, BIG, BIG)


def test_tiles_are_checked_for_length_when_written_and_read() -> None:
    with pytest.raises(ValueError, match="1 to 256 hashes"):
        encode_tile([])
    with pytest.raises(ValueError, match="32 bytes"):
        encode_tile([b"x" * 31])
    with pytest.raises(ValueError, match="must be 64 bytes"):
        decode_tile(Tile(0, 0, 2), b"x" * 96)


@given(st.lists(st.binary(max_size=300), max_size=256))
def test_entry_bundles_read_back_as_the_entries_written(entries: list[bytes]) -> None:
    assert decode_entry_bundle(encode_entry_bundle(entries)) == entries


def test_an_entry_bundle_prefixes_each_entry_with_a_big_endian_uint16_length() -> None:
    assert encode_entry_bundle([b"ab", b""]) == b"\x00\x02ab\x00\x00"
    biggest = b"z" * MAX_ENTRY_SIZE
    assert decode_entry_bundle(encode_entry_bundle([biggest])) == [biggest]
    with pytest.raises(EntryBundleError, match="at most 65535"):
        encode_entry_bundle([b"z" * (MAX_ENTRY_SIZE + 1)])


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x00", "inside the length"),
        (b"\x00\x05abc", "bundle ends first"),
        (b"\x00\x01a\x00", "inside the length"),
        (b"\x00\x00" * 257, "at most 256 entries"),
    ],
)
def test_truncated_or_oversized_entry_bundles_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(EntryBundleError, match=reason):
        decode_entry_bundle(data)


def test_each_entry_in_a_bundle_hashes_to_the_matching_level_0_tile_hash() -> None:
    bundle, tile = EntryBundle(273, 112), Tile(0, 273, 112)
    entries = decode_entry_bundle(encode_entry_bundle(ENTRIES[bundle.start : bundle.end]))
    assert [leaf_hash(e) for e in entries] == decode_tile(tile, tiles_of(BIG)[tile])


class CountingTiles:
    def __init__(self, tiles: dict[Tile, bytes]) -> None:
        self.tiles, self.reads = tiles, 0

    def __call__(self, tile: Tile) -> bytes:
        self.reads += 1
        return self.tiles[tile]


@pytest.mark.parametrize("size", [1, 256, 257, 65_537, BIG])
def test_a_verifier_recomputes_the_root_from_tiles(size: int) -> None:
    assert TileHashReader(size, tiles_of(size).__getitem__).root() == root_from_leaf_hashes(LEAVES[:size])


@given(st.integers(1, BIG).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1), st.integers(1, n))))
def test_proofs_read_from_tiles_equal_proofs_from_the_leaves_and_touch_few_tiles(case: tuple[int, int, int]) -> None:
    size, index, size1 = case
    tiles = CountingTiles({t: tile_from_memory(t) for t in tiles_for_size(size) if t.level > 0 or t.is_partial})
    tiles.tiles.update({t: tile_from_memory(t) for t in (tile_for(0, index, size), tile_for(0, size1 - 1, size))})
    reader = TileHashReader(size, tiles)
    proof = inclusion_proof(index, size, reader)
    assert proof == inclusion_proof(index, size, TREE)
    verify_inclusion(index, size, LEAVES[index], proof, TREE.root(size))
    assert consistency_proof(size1, size, reader) == consistency_proof(size1, size, TREE)
    assert tiles.reads <= 2 * len({t.level for t in tiles_for_size(size)}) + 2


def test_a_tile_reader_refuses_ranges_the_tree_does_not_have_and_tiles_of_the_wrong_length() -> None:
    reader = TileHashReader(300, tiles_of(300).__getitem__)
    for start, end in [(256, 512), (1, 3), (0, 0)]:
        with pytest.raises(ProofError):
            reader(start, end)
    short = TileHashReader(300, lambda tile: b"\x00" * 32)
    with pytest.raises(ValueError, match="must be 8192 bytes"):
        short(0, 1)
    assert TileHashReader(0, lambda tile: b"").root() == hashlib.sha256(b"").digest()


def test_a_tiles_node_table_holds_the_root_of_every_aligned_run_of_its_hashes() -> None:
    for tile in (Tile(0, 3), Tile(0, 273, 112), Tile(1, 0)):
        hashes = decode_tile(tile, tile_from_memory(tile))
        nodes = TileNodes(b"".join(hashes))
        for height in range(9):
            run = 1 << height
            for offset in range(0, tile.width - run + 1, run):
                assert nodes.subtree(offset, height) == root_from_leaf_hashes(hashes[offset : offset + run])
            if tile.width % run:
                with pytest.raises(ProofError):
                    nodes.subtree(tile.width - tile.width % run, height)  # an incomplete run is not there


@given(st.integers(1, BIG).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1), st.integers(1, n))))
def test_proofs_through_a_shared_tile_cache_equal_proofs_from_the_leaves(case: tuple[int, int, int]) -> None:
    size, index, size1 = case
    cache = TileCache()
    for _ in range(2):  # the second reader finds every tile it needs in the cache and reads none
        tiles = CountingTiles(tiles_of(size))
        reader = TileHashReader(size, tiles, cache)
        assert inclusion_proof(index, size, reader) == inclusion_proof(index, size, TREE)
        assert consistency_proof(size1, size, reader) == consistency_proof(size1, size, TREE)
    assert tiles.reads == 0


def test_a_tile_cache_keeps_a_partial_tile_apart_from_the_wider_tile_it_grows_into() -> None:
    cache = TileCache()
    narrow = TileHashReader(300, tiles_of(300).__getitem__, cache)
    assert narrow.root() == root_from_leaf_hashes(LEAVES[:300])
    wider = TileHashReader(301, tiles_of(301).__getitem__, cache)
    assert wider.root() == root_from_leaf_hashes(LEAVES[:301])
    assert Tile(0, 1, 44) in cache and Tile(0, 1, 45) in cache


def test_a_tile_cache_forgets_the_least_recently_used_tile_beyond_its_capacity() -> None:
    cache = TileCache(capacity=2)
    first, second, third = (Tile(0, n) for n in range(3))
    cache.put(first, TileNodes(bytes(32)))
    cache.put(second, TileNodes(bytes(32)))
    assert cache.get(first) is not None  # now the most recently used
    cache.put(third, TileNodes(bytes(32)))
    assert first in cache and third in cache and second not in cache
    assert len(cache) == 2
