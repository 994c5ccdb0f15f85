"""Where the shared reference material lives: ../shared/reference beside the repository."""

from __future__ import annotations

from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[3]
REFERENCE = REPOSITORY.parent / "shared" / "reference"
MERKLE_VECTORS = REFERENCE / "merkle-testdata"
SIGNED_NOTE_VECTORS = REFERENCE / "signed-note-vectors.json"

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
