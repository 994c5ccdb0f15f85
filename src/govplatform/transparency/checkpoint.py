"""Checkpoints: the log's signed tree heads, per c2sp.org/tlog-checkpoint.

A checkpoint commits the log to one tree (origin, size, root hash) in a signed
note that witnesses, auditors and Go's tools already read. The log signs with
a key named after its origin ("The log's key name in its signature line SHOULD
match the origin line"), so a signer key with another name is refused. During
a key rotation the log signs with the old and the new key at once: verifiers
that trust either accept the checkpoint, because verifiers ignore signatures
by keys they do not know.

Parsing is strict (tlog-checkpoint "Note text"): at least three non-empty
lines, a decimal size with no leading zeros, a canonical base64 SHA-256 root.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from govplatform.transparency import note
from govplatform.transparency.merkle import HASH_SIZE

_SIZE = re.compile(r"0|[1-9][0-9]*", re.ASCII)
MAX_SIZE = 2**63 - 1  # Go reads sizes as int64


class CheckpointError(ValueError):
    """A checkpoint is malformed, unsigned by a trusted key, or for another log."""


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: which log (origin), how many entries, and the root hash over them."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()  # opaque extra lines; NOT RECOMMENDED by the spec

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointError("the origin must be one non-empty line")
        if not 0 <= self.size <= MAX_SIZE:
            raise CheckpointError(f"tree size {self.size} is outside 0..2**63-1")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError(f"the root hash is {len(self.root_hash)} bytes, not {HASH_SIZE}")
        if any(not line or "\n" in line for line in self.extensions):
            raise CheckpointError("extension lines must be single non-empty lines")

    @property
    def body(self) -> str:
        """The note text: origin, size, base64 root, any extension lines, each ending in a newline."""
        lines = [self.origin, str(self.size), note.encode_base64(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint_body(text: str) -> Checkpoint:
    """Read a checkpoint's note text, refusing anything the spec does not allow."""
    if not text.endswith("\n"):
        raise CheckpointError("the checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError("a checkpoint has at least three lines: origin, size, root hash")
    origin, size, root, *extensions = lines
    if not _SIZE.fullmatch(size):
        raise CheckpointError(f"tree size {size!r} is not a decimal number without leading zeros")
    try:
        root_hash = note.decode_base64(root, "the root hash")
    except ValueError as exc:
        raise CheckpointError(str(exc)) from exc
    return Checkpoint(origin, int(size), root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signers: Iterable[note.SignerKey]) -> str:
    """The checkpoint as a signed note; pass the old and the new key during a rotation."""
    keys = list(signers)
    for key in keys:
        if key.name != checkpoint.origin:
            raise CheckpointError(f"signer key {key.name!r} is not named after the origin {checkpoint.origin!r}")
    return note.sign_note(checkpoint.body, keys)


def open_checkpoint(signed: bytes | str, trusted_keys: Iterable[note.VerifierKey], origin: str) -> Checkpoint:
    """Verify a signed checkpoint against trusted keys and the expected origin, then read it."""
    verified = note.open_note(signed, trusted_keys)
    checkpoint = parse_checkpoint_body(verified.text)
    if checkpoint.origin != origin:
        raise CheckpointError(f"the checkpoint is for {checkpoint.origin!r}, not {origin!r}")
    return checkpoint
