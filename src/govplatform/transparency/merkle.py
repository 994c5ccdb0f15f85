"""Merkle tree hashing and proofs for the transparency log, per RFC 9162 §2.1.

Written by hand because no well-kept Python package implements RFC 9162 proofs
over a pluggable hash store: the log keeps its hashes in tiles (tiles.py), and
proof generation must read O(log n) stored subtree hashes, not the leaves.

Generation reads through a `HashReader`: a callable giving the Merkle Tree Hash
of the leaves [start, end), where the range is a complete, aligned subtree
(end - start is a power of two and start is a multiple of it). Every other
range a proof needs is assembled from those (`subtree_hash`).

Verification follows the algorithms in RFC 9162 §2.1.3.2 and §2.1.4.2 step by
step, and rejects every case in transparency-dev/merkle's published test
vectors. Any malformed input raises `ProofError`; nothing returns False.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Sequence

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

# MTH({}) = SHA-256() (RFC 9162 §2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

HashReader = Callable[[int, int], bytes]
"""Gives MTH(D[start:end]) for a complete, aligned subtree of the log."""


class ProofError(ValueError):
    """A proof is malformed, does not match its root, or cannot be made."""


def leaf_hash(entry: bytes) -> bytes:
    """MTH({d0}) = SHA-256(0x00 || d0) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || MTH(left) || MTH(right)) (RFC 9162 §2.1.1)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """k, the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes (RFC 9162 §2.1.1).

    The same function combines any list of sibling subtree hashes of equal
    height, such as the 256 hashes of a full tile, into their parent.
    """
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    if _is_power_of_two(len(hashes)):
        # A complete subtree (the common case: a tile or part of one): combine pairs level by
        # level, which is the same tree as the recursion and several times faster in Python.
        level = list(hashes)
        sha256 = hashlib.sha256
        while len(level) > 1:
            level = [sha256(NODE_PREFIX + level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
        return level[0]
    k = _split(len(hashes))
    return node_hash(root_from_leaf_hashes(hashes[:k]), root_from_leaf_hashes(hashes[k:]))


def subtree_hash(read: HashReader, start: int, end: int) -> bytes:
    """MTH(D[start:end]), built from at most log2(end - start) + 1 aligned reads.

    MTH's recursion splits the range at start + k (k the largest power of two
    below its size), so its pieces are aligned subtrees exactly when start is
    a multiple of k. That covers every range a proof or a root needs; any
    other range is refused.
    """
    if not 0 <= start < end:
        raise ProofError(f"empty or negative range [{start}, {end})")
    size = end - start
    if _is_power_of_two(size):
        if start % size:
            raise ProofError(f"range [{start}, {end}) is not a subtree: start is not a multiple of its size")
        return read(start, end)
    k = _split(size)
    if start % k:
        raise ProofError(f"range [{start}, {end}) is not a subtree: start is not a multiple of {k}")
    # Fold the right-hand pieces from the smallest up, as MTH's recursion does.
    pieces: list[bytes] = []
    low = start
    while low < end:
        piece = 1 << ((end - low).bit_length() - 1)
        pieces.append(read(low, low + piece))
        low += piece
    result = pieces[-1]
    for left in reversed(pieces[:-1]):
        result = node_hash(left, result)
    return result


def tree_root(read: HashReader, size: int) -> bytes:
    """MTH of the first `size` leaves."""
    if size < 0:
        raise ProofError(f"negative tree size {size}")
    return EMPTY_ROOT if size == 0 else subtree_hash(read, 0, size)


class InMemoryTree:
    """A `HashReader` over leaf hashes held in memory, for tests and small tools.

    It keeps every complete subtree hash level by level as leaves are appended,
    so any aligned read is a list lookup.
    """

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for h in leaf_hashes:
            self.append(h)

    def append(self, leaf: bytes) -> None:
        if len(leaf) != HASH_SIZE:
            raise ProofError(f"a leaf hash is {HASH_SIZE} bytes, not {len(leaf)}")
        self._levels[0].append(leaf)
        level = 0
        while len(self._levels[level]) % 2 == 0:
            below = self._levels[level]
            if level + 1 == len(self._levels):
                self._levels.append([])
            self._levels[level + 1].append(node_hash(below[-2], below[-1]))
            level += 1

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def root(self, size: int | None = None) -> bytes:
        return tree_root(self, self.size if size is None else size)

    def __call__(self, start: int, end: int) -> bytes:
        size = end - start
        if not _is_power_of_two(size) or start % size or not 0 <= start < end <= self.size:
            raise ProofError(f"[{start}, {end}) is not a complete aligned subtree of a tree of size {self.size}")
        return self._levels[size.bit_length() - 1][start // size]


def inclusion_proof(index: int, size: int, read: HashReader) -> list[bytes]:
    """PATH(index, D[0:size]) (RFC 9162 §2.1.3.1), leaf's sibling first."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    # Walk down from the root, collecting the sibling of each subtree that
    # holds the leaf; the proof lists them bottom-up, so reverse at the end.
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(subtree_hash(read, start + k, end))
            end = start + k
        else:
            path.append(subtree_hash(read, start, start + k))
            start += k
    path.reverse()
    return path


def consistency_proof(size1: int, size2: int, read: HashReader) -> list[bytes]:
    """PROOF(size1, D[0:size2]) (RFC 9162 §2.1.4.1).

    A proof from the empty tree is meaningless and verifiers reject it, so it
    cannot be asked for.
    """
    if not 0 < size1 <= size2:
        raise ProofError(f"no consistency proof from size {size1} to size {size2}: need 0 < size1 <= size2")
    path: list[bytes] = []
    start, end, m = 0, size2, size1
    complete = True  # the "b" flag of SUBPROOF: the old tree is this whole subtree
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            path.append(subtree_hash(read, start + k, end))
            end = start + k
        else:
            path.append(subtree_hash(read, start, start + k))
            start, m, complete = start + k, m - k, False
    if not complete:
        path.append(subtree_hash(read, start, end))
    path.reverse()
    return path


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def _require_match(calculated: bytes, expected: bytes, what: str) -> None:
    if not hmac.compare_digest(calculated, expected):
        raise ProofError(f"the proof does not lead to the {what}")


def inclusion_proof_length(index: int, size: int) -> int:
    """How many hashes PATH(index, D[0:size]) has."""
    inner = (index ^ (size - 1)).bit_length()  # levels where the paths to index and to size-1 differ
    return inner + (index >> inner).bit_count()


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that `proof` leads to from `leaf` (RFC 9162 §2.1.3.2, steps 1-4)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    _check_hash(leaf, "the leaf hash")
    for i, p in enumerate(proof):
        _check_hash(p, f"proof hash {i}")
    want = inclusion_proof_length(index, size)
    if len(proof) != want:
        raise ProofError(f"the proof has {len(proof)} hashes; leaf {index} of {size} needs {want}")
    # The RFC's own walk; its sn checks cannot fire after the length check above,
    # and are kept so the code reads as the RFC does.
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than the path to the root")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Check that `leaf` is leaf `index` of the tree of `size` with `root` (RFC 9162 §2.1.3.2)."""
    _check_hash(root, "the root hash")
    _require_match(root_from_inclusion_proof(index, size, leaf, proof), root, "root hash")


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> None:
    """Check that the tree of size2 with root2 extends the tree of size1 with root1 (RFC 9162 §2.1.4.2).

    Equal sizes need an empty proof and equal roots, compared as given (as Go's
    verifier and the published vectors do). Size 0 is always rejected: every
    tree extends the empty one, so a proof from it proves nothing.
    """
    if size2 < size1:
        raise ProofError(f"size2 ({size2}) is smaller than size1 ({size1})")
    if size1 <= 0:
        raise ProofError(f"a consistency proof from size {size1} is meaningless: it must start from a non-empty tree")
    if size1 == size2:
        if proof:
            raise ProofError("the sizes are equal, so the proof must be empty")
        _require_match(root1, root2, "second root hash: the roots of equal sizes differ")
        return
    if not proof:
        raise ProofError("the proof is empty")
    _check_hash(root1, "the first root hash")
    _check_hash(root2, "the second root hash")
    for i, p in enumerate(proof):
        _check_hash(p, f"proof hash {i}")
    # Step 2: when size1 is a power of two its root is the start of the path
    # and not in the proof; otherwise the proof starts with that subtree's hash.
    seeded = _is_power_of_two(size1)
    path = [root1, *proof] if seeded else list(proof)
    shift = (size1 & -size1).bit_length() - 1  # trailing zero bits of size1
    want = inclusion_proof_length(size1 - 1, size2) - shift + (0 if seeded else 1)
    if len(proof) != want:
        raise ProofError(f"the proof has {len(proof)} hashes; {size1} to {size2} needs {want}")
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than the path to the root")
    _require_match(fr, root1, "first root hash")
    _require_match(sr, root2, "second root hash")
