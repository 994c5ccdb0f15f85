"""tlog-checkpoint: the body format, strict parsing, signing by the origin's keys, opening against trusted keys."""

from __future__ import annotations

import pytest

from govplatform.transparency.checkpoint import (
    Checkpoint,
    CheckpointError,
    open_checkpoint,
    parse_checkpoint_body,
    sign_checkpoint,
)
from govplatform.transparency.merkle import EMPTY_ROOT, leaf_hash
from govplatform.transparency.note import InvalidSignatureError, SignerKey, UnverifiedNoteError, parse_note, sign_note

ORIGIN = "gov.example/transparency"
KEY = SignerKey.generate(ORIGIN)
ROOT = leaf_hash(b"a root, for the test")
CHECKPOINT = Checkpoint(ORIGIN, 20852163, ROOT)


def test_the_body_is_origin_size_and_base64_root_each_on_its_own_line() -> None:
    assert Checkpoint(ORIGIN, 0, EMPTY_ROOT).body == f"{ORIGIN}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    assert Checkpoint(ORIGIN, 7, ROOT, ("ext one",)).body.endswith("\next one\n")


def test_the_specifications_example_body_parses() -> None:
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    checkpoint = parse_checkpoint_body(body)
    assert (checkpoint.origin, checkpoint.size, checkpoint.extensions) == ("example.com/behind-the-sofa", 20852163, ())
    assert checkpoint.body == body


def test_a_body_reads_back_as_the_checkpoint_written() -> None:
    for checkpoint in (CHECKPOINT, Checkpoint(ORIGIN, 0, EMPTY_ROOT), Checkpoint("o", 2**63 - 1, ROOT, ("a", "b c"))):
        assert parse_checkpoint_body(checkpoint.body) == checkpoint


B64 = CHECKPOINT.body.split("\n")[2]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (f"{ORIGIN}\n5\n{B64}", "end with a newline"),
        (f"{ORIGIN}\n5\n", "at least three lines"),
        (f"\n5\n{B64}\n", "non-empty"),
        (f"{ORIGIN}\n05\n{B64}\n", "leading zeros"),
        (f"{ORIGIN}\n00\n{B64}\n", "leading zeros"),
        (f"{ORIGIN}\n-1\n{B64}\n", "leading zeros"),
        (f"{ORIGIN}\n+1\n{B64}\n", "leading zeros"),
        (f"{ORIGIN}\n 1\n{B64}\n", "leading zeros"),
        (f"{ORIGIN}\n1_0\n{B64}\n", "leading zeros"),
        (f"{ORIGIN}\n١\n{B64}\n", "leading zeros"),
        (f"{ORIGIN}\n\n{B64}\n", "leading zeros"),
        (f"{ORIGIN}\n{2**63}\n{B64}\n", "outside"),
        (f"{ORIGIN}\n5\n{B64[:-1]}\n", "not base64"),
        (f"{ORIGIN}\n5\nAAAA\n", "3 bytes, not 32"),
        (f"{ORIGIN}\n5\n\n", "0 bytes, not 32"),
        (f"{ORIGIN}\n5\n{B64}\n\n", "non-empty"),
        (f"{ORIGIN}\n5\n{B64}\next\n\n", "non-empty"),
    ],
)
def test_malformed_bodies_are_refused_with_the_reason(body: str, reason: str) -> None:
    with pytest.raises(CheckpointError, match=reason):
        parse_checkpoint_body(body)


def test_a_signed_checkpoint_opens_with_the_logs_key_and_origin() -> None:
    signed = sign_checkpoint(CHECKPOINT, [KEY])
    assert signed.startswith(CHECKPOINT.body + "\n— " + ORIGIN + " ")
    assert open_checkpoint(signed, [KEY.verifier], ORIGIN) == CHECKPOINT


def test_during_a_rotation_a_checkpoint_carries_both_signatures_and_either_key_opens_it() -> None:
    new = SignerKey.generate(ORIGIN)
    signed = sign_checkpoint(CHECKPOINT, [KEY, new])
    assert len(parse_note(signed).signatures) == 2
    assert open_checkpoint(signed, [KEY.verifier], ORIGIN) == CHECKPOINT
    assert open_checkpoint(signed, [new.verifier], ORIGIN) == CHECKPOINT


def test_only_keys_named_after_the_origin_may_sign() -> None:
    with pytest.raises(CheckpointError, match="not named after the origin"):
        sign_checkpoint(CHECKPOINT, [KEY, SignerKey.generate("someone.else")])


def test_a_checkpoint_for_another_origin_is_refused_even_if_signed_by_a_trusted_key() -> None:
    other = SignerKey.generate("other.example/log")
    signed = sign_checkpoint(Checkpoint("other.example/log", 5, ROOT), [other])
    with pytest.raises(CheckpointError, match=r"is for 'other\.example/log'"):
        open_checkpoint(signed, [other.verifier, KEY.verifier], ORIGIN)


def test_a_checkpoint_with_a_changed_size_or_an_unknown_key_is_refused() -> None:
    signed = sign_checkpoint(CHECKPOINT, [KEY])
    with pytest.raises(InvalidSignatureError):
        open_checkpoint(signed.replace("\n20852163\n", "\n20852164\n"), [KEY.verifier], ORIGIN)
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(signed, [SignerKey.generate(ORIGIN).verifier], ORIGIN)


def test_a_signed_note_that_is_not_a_checkpoint_is_refused() -> None:
    with pytest.raises(CheckpointError):
        open_checkpoint(sign_note(f"{ORIGIN}\nfive\n", [KEY]), [KEY.verifier], ORIGIN)


@pytest.mark.parametrize(
    ("origin", "size", "root"),
    [("", 1, ROOT), ("a\nb", 1, ROOT), (ORIGIN, -1, ROOT), (ORIGIN, 2**63, ROOT), (ORIGIN, 1, ROOT[:31])],
)
def test_a_checkpoint_cannot_be_made_with_fields_the_format_cannot_carry(origin: str, size: int, root: bytes) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint(origin, size, root)
