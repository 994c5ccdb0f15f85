"""RFC 9162 §2.1 hashing and proofs: known hashes, generated proofs verify, any change to them fails."""

from __future__ import annotations

import hashlib
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govplatform.transparency.merkle import (
    EMPTY_ROOT,
    InMemoryTree,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    subtree_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [leaf_hash(b"entry %d" % i) for i in range(700)]
TREE = InMemoryTree(LEAVES)


def _flip(value: bytes, bit: int) -> bytes:
    flipped = bytearray(value)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


@st.composite
def sizes_and_indexes(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, len(LEAVES)))
    return size, draw(st.integers(0, size - 1))


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    size2 = draw(st.integers(1, len(LEAVES)))
    return draw(st.integers(1, size2)), size2


def test_leaf_and_node_hashes_use_the_rfc_prefixes() -> None:
    assert leaf_hash(b"") == bytes.fromhex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    assert node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    assert EMPTY_ROOT == root_from_leaf_hashes([]) == hashlib.sha256(b"").digest()


def test_the_tree_splits_at_the_largest_power_of_two_below_its_size() -> None:
    a, b, c = LEAVES[:3]
    assert root_from_leaf_hashes([a]) == a
    assert root_from_leaf_hashes([a, b, c]) == node_hash(node_hash(a, b), c)


@given(st.integers(0, len(LEAVES)))
def test_roots_read_from_stored_subtrees_equal_the_merkle_tree_hash_of_the_leaves(size: int) -> None:
    assert TREE.root(size) == tree_root(TREE, size) == root_from_leaf_hashes(LEAVES[:size])


@given(st.integers(0, 9).flatmap(lambda h: st.tuples(st.just(1 << h), st.integers(0, len(LEAVES) // (1 << h) - 1))))
def test_every_aligned_subtree_read_equals_the_hash_of_its_leaves(width_and_n: tuple[int, int]) -> None:
    width, n = width_and_n
    assert TREE(n * width, (n + 1) * width) == root_from_leaf_hashes(LEAVES[n * width : (n + 1) * width])


@pytest.mark.parametrize(("start", "end"), [(1, 3), (2, 6), (1, 4), (3, 10), (0, 0), (5, 3), (-1, 1)])
def test_ranges_whose_hash_needs_unaligned_subtrees_are_refused(start: int, end: int) -> None:
    with pytest.raises(ProofError):
        subtree_hash(TREE, start, end)


@pytest.mark.parametrize(("start", "end"), [(2, 5), (8, 14), (0, 700), (256, 700), (699, 700)])
def test_ranges_built_from_aligned_subtrees_hash_as_their_leaves_do(start: int, end: int) -> None:
    assert subtree_hash(TREE, start, end) == root_from_leaf_hashes(LEAVES[start:end])


def test_in_memory_reads_beyond_the_tree_or_off_alignment_are_refused() -> None:
    tree = InMemoryTree(LEAVES[:5])
    for start, end in [(4, 8), (1, 3), (0, 3), (6, 7)]:
        with pytest.raises(ProofError):
            tree(start, end)
    with pytest.raises(ProofError):
        tree.append(b"short")


@given(sizes_and_indexes())
def test_generated_inclusion_proofs_verify(size_and_index: tuple[int, int]) -> None:
    size, index = size_and_index
    proof = inclusion_proof(index, size, TREE)
    assert len(proof) <= math.ceil(math.log2(size))
    verify_inclusion(index, size, LEAVES[index], proof, root_from_leaf_hashes(LEAVES[:size]))


@given(sizes_and_indexes(), st.data())
def test_an_inclusion_proof_with_any_bit_flipped_fails(size_and_index: tuple[int, int], data: st.DataObject) -> None:
    size, index = size_and_index
    proof, leaf, root = inclusion_proof(index, size, TREE), LEAVES[index], TREE.root(size)
    target = data.draw(st.sampled_from(["leaf", "root", *(["proof"] if proof else [])]))
    bit = data.draw(st.integers(0, 255))
    if target == "leaf":
        leaf = _flip(leaf, bit)
    elif target == "root":
        root = _flip(root, bit)
    else:
        i = data.draw(st.integers(0, len(proof) - 1))
        proof[i] = _flip(proof[i], bit)
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf, proof, root)


@given(sizes_and_indexes())
def test_an_inclusion_proof_does_not_verify_for_another_leaf(size_and_index: tuple[int, int]) -> None:
    size, index = size_and_index
    proof = inclusion_proof(index, size, TREE)
    other = (index + 1) % size
    if other != index:
        with pytest.raises(ProofError):
            verify_inclusion(other, size, LEAVES[index], proof, TREE.root(size))
        with pytest.raises(ProofError):
            verify_inclusion(index, size, LEAVES[other], proof, TREE.root(size))


@given(two_sizes())
def test_generated_consistency_proofs_verify(sizes: tuple[int, int]) -> None:
    size1, size2 = sizes
    proof = consistency_proof(size1, size2, TREE)
    verify_consistency(
        size1, size2, root_from_leaf_hashes(LEAVES[:size1]), root_from_leaf_hashes(LEAVES[:size2]), proof
    )


@given(two_sizes(), st.data())
def test_a_consistency_proof_with_any_bit_flipped_fails(sizes: tuple[int, int], data: st.DataObject) -> None:
    size1, size2 = sizes
    proof, root1, root2 = consistency_proof(size1, size2, TREE), TREE.root(size1), TREE.root(size2)
    target = data.draw(st.sampled_from(["root1", "root2", *(["proof"] if proof else [])]))
    bit = data.draw(st.integers(0, 255))
    if target == "root1":
        root1 = _flip(root1, bit)
    elif target == "root2":
        root2 = _flip(root2, bit)
    else:
        i = data.draw(st.integers(0, len(proof) - 1))
        proof[i] = _flip(proof[i], bit)
    with pytest.raises(ProofError):
        verify_consistency(size1, size2, root1, root2, proof)


def test_proofs_that_cannot_exist_are_refused_rather_than_made() -> None:
    for index, size in [(0, 0), (5, 5), (-1, 3)]:
        with pytest.raises(ProofError, match="not in a tree"):
            inclusion_proof(index, size, TREE)
    for size1, size2 in [(0, 5), (6, 5), (-1, 2)]:
        with pytest.raises(ProofError, match="no consistency proof"):
            consistency_proof(size1, size2, TREE)
    assert consistency_proof(5, 5, TREE) == []


def test_malformed_proofs_are_refused_with_a_reason() -> None:
    root = TREE.root(8)
    proof = inclusion_proof(3, 8, TREE)
    with pytest.raises(ProofError, match="proof hash 1 is 31 bytes"):
        verify_inclusion(3, 8, LEAVES[3], [proof[0], proof[1][:31], proof[2]], root)
    with pytest.raises(ProofError, match="has 2 hashes; leaf 3 of 8 needs 3"):
        verify_inclusion(3, 8, LEAVES[3], proof[:2], root)
    with pytest.raises(ProofError, match="root hash is 0 bytes"):
        verify_inclusion(3, 8, LEAVES[3], proof, b"")
    with pytest.raises(ProofError, match="has 5 hashes; 3 to 8 needs 4"):
        verify_consistency(3, 8, TREE.root(3), root, [*consistency_proof(3, 8, TREE), root])


class CountingReader:
    def __init__(self, tree: InMemoryTree) -> None:
        self.tree, self.reads = tree, 0

    def __call__(self, start: int, end: int) -> bytes:
        self.reads += 1
        return self.tree(start, end)


def test_proofs_for_a_large_tree_need_only_logarithmically_many_reads() -> None:
    size = 100_003
    big = InMemoryTree([hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size)])
    bound = 2 * math.ceil(math.log2(size)) + 2
    for index in (0, 1, 65_535, 99_999, size - 1):
        reader = CountingReader(big)
        verify_inclusion(index, size, big(index, index + 1), inclusion_proof(index, size, reader), big.root())
        assert reader.reads <= bound
    for size1 in (1, 3, 65_536, 99_999):
        reader = CountingReader(big)
        verify_consistency(size1, size, big.root(size1), big.root(), consistency_proof(size1, size, reader))
        assert reader.reads <= bound
