"""Every RFC 6962 proof vector from transparency-dev/merkle, happy paths and expected failures alike."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from govplatform.transparency.merkle import (
    InMemoryTree,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from tests.reference import REFERENCE_DIR, reference_files

MERKLE_VECTORS = REFERENCE_DIR / "merkle-testdata"
# Walk the directories, so vectors added upstream are picked up without a code change.
INCLUSION = reference_files("merkle-testdata/inclusion", "*.json")
CONSISTENCY = reference_files("merkle-testdata/consistency", "*.json")
# The eight leaves of the RFC 6962 test tree (transparency-dev/merkle), whose
# happy-path vectors use them; the root of all eight is a well-known constant.
RFC6962_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
RFC6962_ROOT_OF_8 = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")


def _name(path: Path) -> str:
    return str(path.relative_to(MERKLE_VECTORS))


def _load(path: Path) -> dict[str, Any]:
    vector: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(vector["wantErr"], bool), f"{_name(path)} does not say whether it must fail"
    return vector


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _proof(vector: dict[str, Any]) -> list[bytes]:
    return [_b64(h) for h in vector["proof"] or []]  # "proof": null means an empty proof


def _reference_tree() -> InMemoryTree:
    return InMemoryTree([leaf_hash(leaf) for leaf in RFC6962_LEAVES])


@pytest.mark.reference
def test_the_reference_directories_hold_inclusion_and_consistency_vectors() -> None:
    assert len(INCLUSION) > 0, f"no inclusion vectors under {MERKLE_VECTORS}"
    assert len(CONSISTENCY) > 0, f"no consistency vectors under {MERKLE_VECTORS}"
    for kind in (INCLUSION, CONSISTENCY):
        outcomes = {_load(path)["wantErr"] for path in kind}
        assert outcomes == {True, False}, "each kind has vectors that must pass and vectors that must fail"


@pytest.mark.reference
@pytest.mark.parametrize("path", INCLUSION, ids=_name)
def test_every_inclusion_vector_verifies_or_fails_as_published(path: Path) -> None:
    v = _load(path)
    check = (v["leafIdx"], v["treeSize"], _b64(v["leafHash"]), _proof(v), _b64(v["root"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*check)
    else:
        verify_inclusion(*check)


@pytest.mark.reference
@pytest.mark.parametrize("path", CONSISTENCY, ids=_name)
def test_every_consistency_vector_verifies_or_fails_as_published(path: Path) -> None:
    v = _load(path)
    check = (v["size1"], v["size2"], _b64(v["root1"]), _b64(v["root2"]), _proof(v))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*check)
    else:
        verify_consistency(*check)


def test_the_reference_tree_has_the_published_root() -> None:
    assert _reference_tree().root() == RFC6962_ROOT_OF_8


@pytest.mark.reference
def test_generated_inclusion_proofs_equal_every_published_happy_path_over_the_reference_tree() -> None:
    tree = _reference_tree()
    compared = 0
    for path in INCLUSION:
        v = _load(path)
        size, index = v["treeSize"], v["leafIdx"]
        if v["wantErr"] or not 0 <= index < size <= tree.size or _b64(v["root"]) != tree.root(size):
            continue
        assert _b64(v["leafHash"]) == tree(index, index + 1), _name(path)
        assert inclusion_proof(index, size, tree) == _proof(v), _name(path)
        compared += 1
    assert compared >= 5


@pytest.mark.reference
def test_generated_consistency_proofs_equal_every_published_happy_path_over_the_reference_tree() -> None:
    tree = _reference_tree()
    compared = 0
    for path in CONSISTENCY:
        v = _load(path)
        size1, size2 = v["size1"], v["size2"]
        if v["wantErr"] or not 0 < size1 <= size2 <= tree.size or _b64(v["root2"]) != tree.root(size2):
            continue
        assert _b64(v["root1"]) == tree.root(size1), _name(path)
        assert consistency_proof(size1, size2, tree) == _proof(v), _name(path)
        compared += 1
    assert compared >= 5
