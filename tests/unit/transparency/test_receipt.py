"""c2sp.org/tlog-proof@v1 receipts: written and read exactly, and verified offline against entry, origin and key."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govplatform.transparency.checkpoint import Checkpoint, CheckpointError, sign_checkpoint
from govplatform.transparency.jcs import canonicalise
from govplatform.transparency.merkle import InMemoryTree, ProofError, inclusion_proof, leaf_hash
from govplatform.transparency.note import InvalidSignatureError, NoteError, SignerKey, UnverifiedNoteError
from govplatform.transparency.receipt import Receipt, ReceiptError, make_receipt, parse_receipt, verify_receipt

ORIGIN = "gov.example/transparency"
KEY = SignerKey.generate(ORIGIN)
ENTRIES = [canonicalise({"agreement": i, "purpose": "checking eligibility"}) for i in range(300)]
TREE = InMemoryTree([leaf_hash(e) for e in ENTRIES])


def receipt_for(index: int, size: int, extra: bytes | None = None) -> str:
    signed = sign_checkpoint(Checkpoint(ORIGIN, size, TREE.root(size)), [KEY])
    return make_receipt(index, inclusion_proof(index, size, TREE), signed, extra)


RECEIPT = receipt_for(5, 13)


def test_a_receipt_is_the_header_index_proof_blank_line_and_checkpoint_verbatim() -> None:
    signed = sign_checkpoint(Checkpoint(ORIGIN, 13, TREE.root(13)), [KEY])
    proof = inclusion_proof(5, 13, TREE)
    text = make_receipt(5, proof, signed, b"age")
    b64 = [base64.b64encode(h).decode() for h in proof]
    assert text == "\n".join(["c2sp.org/tlog-proof@v1", "extra YWdl", "index 5", *b64, "", signed])
    assert parse_receipt(text) == Receipt(5, tuple(proof), signed, b"age")


def test_a_receipt_verifies_offline_with_the_entry_the_origin_and_the_logs_key() -> None:
    assert verify_receipt(ENTRIES[5], RECEIPT, [KEY.verifier], ORIGIN) == Checkpoint(ORIGIN, 13, TREE.root(13))


@settings(max_examples=50)
@given(st.integers(1, len(ENTRIES)).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))), st.booleans())
def test_receipts_for_any_entry_of_any_size_verify(case: tuple[int, int], with_extra: bool) -> None:
    size, index = case
    text = receipt_for(index, size, b"context" if with_extra else None)
    assert str(parse_receipt(text)) == text
    assert verify_receipt(ENTRIES[index], text, [KEY.verifier], ORIGIN).size == size


def test_a_receipt_for_a_tree_of_one_entry_has_no_proof_lines() -> None:
    text = receipt_for(0, 1)
    assert text.startswith("c2sp.org/tlog-proof@v1\nindex 0\n\n")
    verify_receipt(ENTRIES[0], text, [KEY.verifier], ORIGIN)


def test_a_receipt_does_not_verify_another_entry() -> None:
    with pytest.raises(ProofError):
        verify_receipt(ENTRIES[6], RECEIPT, [KEY.verifier], ORIGIN)


def test_a_receipt_does_not_verify_for_another_log_or_without_a_trusted_key() -> None:
    with pytest.raises(CheckpointError, match=r"not 'gov\.example/other'"):
        verify_receipt(ENTRIES[5], RECEIPT, [KEY.verifier], "gov.example/other")
    with pytest.raises(UnverifiedNoteError):
        verify_receipt(ENTRIES[5], RECEIPT, [SignerKey.generate(ORIGIN).verifier], ORIGIN)


def test_a_receipt_with_a_changed_index_proof_or_checkpoint_fails() -> None:
    with pytest.raises(ProofError):
        verify_receipt(ENTRIES[5], RECEIPT.replace("index 5\n", "index 4\n"), [KEY.verifier], ORIGIN)
    first = RECEIPT.split("\n")[2]
    changed = base64.b64encode(bytes([base64.b64decode(first)[0] ^ 1]) + base64.b64decode(first)[1:]).decode()
    with pytest.raises(ProofError):
        verify_receipt(ENTRIES[5], RECEIPT.replace(first, changed), [KEY.verifier], ORIGIN)
    with pytest.raises(InvalidSignatureError):
        verify_receipt(ENTRIES[5], RECEIPT.replace(f"{ORIGIN}\n13\n", f"{ORIGIN}\n14\n"), [KEY.verifier], ORIGIN)


def test_a_receipt_for_an_index_beyond_its_checkpoint_is_refused() -> None:
    text = make_receipt(13, [], sign_checkpoint(Checkpoint(ORIGIN, 13, TREE.root(13)), [KEY]))
    with pytest.raises(ReceiptError, match="not in a tree of size 13"):
        verify_receipt(ENTRIES[13], text, [KEY.verifier], ORIGIN)


SIGNED = RECEIPT.split("\n\n", 1)[1]
PROOF_LINE = RECEIPT.split("\n")[2]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "starts with the line"),
        (RECEIPT.replace("@v1", "@v2", 1), "starts with the line"),
        (" " + RECEIPT, "starts with the line"),
        (RECEIPT.replace("\n", "\r\n"), "starts with the line"),
        (RECEIPT.replace("index 5", "index 05"), "without leading zeros"),
        (RECEIPT.replace("index 5", "index -5"), "without leading zeros"),
        (RECEIPT.replace("index 5", "index  5"), "without leading zeros"),
        (RECEIPT.replace("index 5", "Index 5"), "without leading zeros"),
        (RECEIPT.replace("index 5\n", ""), "without leading zeros"),
        (RECEIPT.replace("index 5", "extra YWdl\nextra YWdl\nindex 5"), "without leading zeros"),
        (RECEIPT.replace("index 5", "extra \nindex 5"), "not empty"),
        (RECEIPT.replace("index 5", "extra YWd\nindex 5"), "not base64"),
        (RECEIPT.replace("index 5\n", "index 5\nextra YWdl\n"), "not base64|32 bytes"),
        (RECEIPT.replace(PROOF_LINE, PROOF_LINE[:-1]), "proof hash 0 is not base64"),
        (RECEIPT.replace(PROOF_LINE, base64.b64encode(b"x" * 31).decode()), "32 bytes"),
        (RECEIPT.replace(PROOF_LINE, PROOF_LINE + " "), "proof hash 0 is not base64"),
        (RECEIPT.split("\n\n", 1)[0], "ends before its checkpoint"),
        (RECEIPT.split("\n\n", 1)[0] + "\n\n", "checkpoint in the receipt is malformed"),
        (RECEIPT.split("\n\n", 1)[0] + "\n\nnot a checkpoint\n", "checkpoint in the receipt is malformed"),
        (RECEIPT.replace(f"{ORIGIN}\n13\n", f"{ORIGIN}\nthirteen\n"), "checkpoint in the receipt is malformed"),
    ],
)
def test_malformed_receipts_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ReceiptError, match=reason):
        parse_receipt(text)
    with pytest.raises(ValueError):
        verify_receipt(ENTRIES[5], text, [KEY.verifier], ORIGIN)


def test_every_failure_is_a_value_error_the_caller_can_report() -> None:
    for error in (ReceiptError, CheckpointError, NoteError, ProofError):
        assert issubclass(error, ValueError)


def test_a_receipt_cannot_be_made_that_its_holder_could_not_read_back() -> None:
    with pytest.raises(ReceiptError):
        make_receipt(0, [], "not a signed checkpoint\n")
    with pytest.raises(ReceiptError):
        make_receipt(-1, [], SIGNED)
    with pytest.raises(ReceiptError):
        make_receipt(0, [b"short"], SIGNED)
    with pytest.raises(ReceiptError):
        make_receipt(0, [], SIGNED, b"")
