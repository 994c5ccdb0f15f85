"""Receipts a citizen can keep: offline inclusion proofs, per c2sp.org/tlog-proof@v1.

A receipt shows that one entry is in the log without asking the log again:
it carries the entry's index, the inclusion proof, and a checkpoint signed by
the log. Anyone holding the entry's bytes, the log's origin and its public key
can check it offline, years later, with this module or any tlog-proof tool.

Format (tlog-proof "Format"), each line ending in a newline:

    c2sp.org/tlog-proof@v1
    extra <base64>            optional, opaque, NOT authenticated
    index <decimal, no leading zeros>
    <base64 SHA-256 hash>     zero or more: the inclusion proof, leaf's sibling first
    <blank line>
    <the signed checkpoint, verbatim>
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from govplatform.transparency import note
from govplatform.transparency.checkpoint import Checkpoint, open_checkpoint, parse_checkpoint_body
from govplatform.transparency.merkle import HASH_SIZE, leaf_hash, verify_inclusion

HEADER = "c2sp.org/tlog-proof@v1"
_INDEX = re.compile(r"index (0|[1-9][0-9]*)", re.ASCII)


class ReceiptError(ValueError):
    """A receipt is malformed, or does not prove what it claims."""


@dataclass(frozen=True)
class Receipt:
    """Entry `index` of the tree in `checkpoint` (a signed note, kept verbatim), with its proof."""

    index: int
    proof: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None

    def __post_init__(self) -> None:
        if self.index < 0:
            raise ReceiptError(f"entry index {self.index} is negative")
        if any(len(h) != HASH_SIZE for h in self.proof):
            raise ReceiptError(f"every proof hash is {HASH_SIZE} bytes")
        if self.extra is not None and not self.extra:
            raise ReceiptError("extra data, when present, is not empty")

    def __str__(self) -> str:
        lines = [HEADER]
        if self.extra is not None:
            lines.append(f"extra {note.encode_base64(self.extra)}")
        lines.append(f"index {self.index}")
        lines.extend(note.encode_base64(h) for h in self.proof)
        return "".join(line + "\n" for line in lines) + "\n" + self.checkpoint


def make_receipt(index: int, proof: Sequence[bytes], signed_checkpoint: str, extra: bytes | None = None) -> str:
    """The receipt text for entry `index`, proved against `signed_checkpoint`."""
    text = str(Receipt(index, tuple(proof), signed_checkpoint, extra))
    parse_receipt(text)  # never hand out a receipt that its holder could not read back
    return text


def parse_receipt(text: str) -> Receipt:
    """Read a receipt strictly; the checkpoint's syntax is checked, its signatures are not."""
    header, newline, rest = text.partition("\n")
    if header != HEADER or not newline:
        raise ReceiptError(f"a receipt starts with the line {HEADER!r}")
    line, rest = _next_line(rest)
    extra: bytes | None = None
    if line.startswith("extra "):
        extra = _decode(line.removeprefix("extra "), "the extra data")
        line, rest = _next_line(rest)
    match = _INDEX.fullmatch(line)
    if not match:
        raise ReceiptError(f"expected 'index <decimal without leading zeros>', found {line[:40]!r}")
    proof: list[bytes] = []
    line, rest = _next_line(rest)
    while line:
        proof.append(_decode(line, f"proof hash {len(proof)}"))
        line, rest = _next_line(rest)
    try:
        signed = note.parse_note(rest)
        parse_checkpoint_body(signed.text)
    except ValueError as exc:
        raise ReceiptError(f"the checkpoint in the receipt is malformed: {exc}") from exc
    return Receipt(int(match.group(1)), tuple(proof), rest, extra)


def _next_line(text: str) -> tuple[str, str]:
    line, newline, rest = text.partition("\n")
    if not newline:
        raise ReceiptError("the receipt ends before its checkpoint")
    return line, rest


def _decode(encoded: str, what: str) -> bytes:
    try:
        return note.decode_base64(encoded, what)
    except ValueError as exc:
        raise ReceiptError(str(exc)) from exc


def verify_receipt(
    entry: bytes, receipt_text: str, trusted_keys: Iterable[note.VerifierKey], origin: str
) -> Checkpoint:
    """Check that `entry` is in the log named `origin`, as signed by a trusted key.

    Checks, in the order tlog-proof gives: the checkpoint's origin and
    signature, then the inclusion proof from the entry's leaf hash to the
    checkpoint's root. Returns the checkpoint the entry was proved against.
    Raises a ValueError subclass (ReceiptError, CheckpointError, NoteError or
    ProofError) saying what failed.
    """
    receipt = parse_receipt(receipt_text)
    checkpoint = open_checkpoint(receipt.checkpoint, trusted_keys, origin)
    if receipt.index >= checkpoint.size:
        raise ReceiptError(f"entry {receipt.index} is not in a tree of size {checkpoint.size}")
    verify_inclusion(receipt.index, checkpoint.size, leaf_hash(entry), receipt.proof, checkpoint.root_hash)
    return checkpoint
