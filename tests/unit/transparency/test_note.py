"""C2SP signed notes: the published Ed25519 vectors, round trips, rotation, tampering and malformed notes."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from govplatform.transparency.note import (
    InvalidSignatureError,
    KeyFormatError,
    MalformedNoteError,
    NoteError,
    SignerKey,
    UnverifiedNoteError,
    VerifierKey,
    is_valid_key_name,
    key_id,
    open_note,
    parse_note,
    sign_note,
)
from tests.reference import reference_json

# C2SP signed-note vectors (https://github.com/C2SP/C2SP/blob/main/signed-note.md), from the reference material.
VECTORS: list[dict[str, Any]] = reference_json("signed-note-vectors.json", absent={"vectors": []})["vectors"]
NOTES = [v for v in VECTORS if "note" in v]
SIGNERS = [v for v in VECTORS if "skey" in v]
BAD_KEYS = [key for v in VECTORS for key in v.get("bad_vkeys", [])]

ORIGIN = "gov.example/transparency"
# A fixed key (a test's own, made by SignerKey.generate): parametrised ids below hold its public half, and
# pytest-xdist needs every worker to collect the same ids.
KEY = SignerKey.parse("PRIVATE+KEY+gov.example/transparency+f748c6a9+AfzP2nVyDHjuSV3nAoLeMi9ixhWPsfSU0hsVuW/vL5am")
TEXT = "gov.example/transparency\n5\nsome text\n"


@pytest.mark.reference
def test_the_vector_file_has_notes_signer_keys_and_bad_keys() -> None:
    assert len(NOTES) > 0 and len(SIGNERS) > 0 and len(BAD_KEYS) > 0


@pytest.mark.reference
@pytest.mark.parametrize("vector", NOTES, ids=lambda v: v["source"])
def test_every_published_note_opens_with_its_verifier_key_as_published(vector: dict[str, Any]) -> None:
    trusted = [VerifierKey.parse(vector["vkey"])]
    if vector["valid"]:
        opened = open_note(vector["note"], trusted)
        assert [s.name for s in opened.verified] == [trusted[0].name]
        assert str(parse_note(vector["note"])) == vector["note"]
    else:
        with pytest.raises(NoteError):
            open_note(vector["note"], trusted)


@pytest.mark.reference
@pytest.mark.parametrize("vector", SIGNERS, ids=lambda v: v["source"])
def test_signing_with_a_published_signer_key_reproduces_the_published_note(vector: dict[str, Any]) -> None:
    signer = SignerKey.parse(vector["skey"])
    verifier = VerifierKey.parse(vector["vkey"])
    assert signer.verifier == verifier
    assert str(signer) == vector["skey"] and str(verifier) == vector["vkey"]
    assert sign_note(parse_note(vector["note"]).text, [signer]) == vector["note"]


@pytest.mark.reference
@pytest.mark.parametrize("vkey", BAD_KEYS)
def test_every_published_bad_verifier_key_is_refused(vkey: str) -> None:
    with pytest.raises(KeyFormatError):
        VerifierKey.parse(vkey)


@pytest.mark.reference
def test_the_key_id_is_the_first_four_bytes_of_the_hash_of_name_newline_type_and_key() -> None:
    verifier = VerifierKey.parse(NOTES[0]["vkey"])
    assert f"{key_id(verifier.name, verifier.public_key):08x}" == NOTES[0]["vkey"].split("+")[1]


def test_a_generated_key_writes_and_reads_back_in_gos_key_formats() -> None:
    skey, vkey = str(KEY), str(KEY.verifier)
    assert skey.startswith(f"PRIVATE+KEY+{ORIGIN}+{KEY.key_id:08x}+")
    assert vkey.startswith(f"{ORIGIN}+{KEY.key_id:08x}+")
    assert SignerKey.parse(skey) == KEY and VerifierKey.parse(vkey) == KEY.verifier
    assert VerifierKey.parse(vkey.replace(f"{KEY.key_id:08x}", f"{KEY.key_id:08X}")) == KEY.verifier


def test_a_signer_keys_repr_does_not_show_its_seed() -> None:
    # Split on the first four plus signs only: the base64 key may itself contain "+".
    assert KEY.seed.hex() not in repr(KEY) and str(KEY).split("+", 4)[4] not in repr(KEY)


ID = f"{KEY.key_id:08x}"
PUBLIC = str(KEY.verifier).split("+", 2)[2]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("no-plus-signs", "a verifier key is"),
        (f"{ORIGIN}+{ID}", "a verifier key is"),
        (f"a b+{ID}+{PUBLIC}", "name"),
        (f"+{ID}+{PUBLIC}", "name"),
        (f"{ORIGIN}+{ID[:7]}+{PUBLIC}", "8 hex digits"),
        (f"{ORIGIN}+0000000g+{PUBLIC}", "8 hex digits"),
        (f"{ORIGIN}+{(KEY.key_id + 1) % 2**32:08x}+{PUBLIC}", "does not match"),
        (f"{ORIGIN}+{ID}+{PUBLIC[:-1]}", "not base64"),
        (f"{ORIGIN}+{ID}+{PUBLIC}=", "not canonical base64"),
        (f"{ORIGIN}+{ID}+AQ==", "32 bytes, not 0"),
        (f"{ORIGIN}+{ID}+", "not an Ed25519 key"),
        (f"{ORIGIN}+{ID}+Ag" + PUBLIC[2:], "not an Ed25519 key"),
    ],
)
def test_malformed_verifier_keys_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(KeyFormatError, match=reason):
        VerifierKey.parse(text)


@pytest.mark.parametrize(
    "text",
    ["PRIVATE+KEY", "PRIVATE+KEYS+a+00000000+AQ==", "private+KEY+a+00000000+AQ==", str(KEY).replace(ORIGIN, "other")],
)
def test_malformed_signer_keys_are_refused(text: str) -> None:
    with pytest.raises(KeyFormatError):
        SignerKey.parse(text)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\tb", "a\u00a0b", "a\u2003b", "a\u3000b"])
def test_key_names_must_be_non_empty_without_spaces_or_plus_signs(name: str) -> None:
    assert not is_valid_key_name(name)
    with pytest.raises(KeyFormatError, match="name"):
        SignerKey.generate(name)


def test_a_signed_note_opens_with_its_key_and_names_who_signed() -> None:
    opened = open_note(sign_note(TEXT, [KEY]), [KEY.verifier])
    assert opened.text == TEXT
    assert [(s.name, s.key_id) for s in opened.verified] == [(ORIGIN, KEY.key_id)]
    assert opened.unverified == ()


def test_during_a_rotation_a_note_carries_both_signatures_and_either_key_opens_it() -> None:
    new = SignerKey.generate(ORIGIN)
    signed = sign_note(TEXT, [KEY, new])
    assert [s.key_id for s in parse_note(signed).signatures] == [KEY.key_id, new.key_id]
    assert open_note(signed, [KEY.verifier]).unverified[0].key_id == new.key_id
    assert open_note(signed, [new.verifier]).unverified[0].key_id == KEY.key_id
    assert len(open_note(signed, [KEY.verifier, new.verifier]).verified) == 2


def test_a_note_signed_only_by_unknown_keys_is_refused() -> None:
    stranger = SignerKey.generate(ORIGIN)  # same name, other key id: still unknown
    with pytest.raises(UnverifiedNoteError):
        open_note(sign_note(TEXT, [stranger]), [KEY.verifier])
    with pytest.raises(UnverifiedNoteError):
        open_note(sign_note(TEXT, [KEY]), [])


def test_signatures_by_unknown_keys_are_ignored_even_if_they_do_not_verify() -> None:
    witness = SignerKey.generate("witness.example")
    signed = sign_note(TEXT, [KEY, witness])
    forged = signed.replace(signed.rsplit(" ", 1)[1], sign_note("other\n", [witness]).rsplit(" ", 1)[1])
    assert forged != signed
    assert open_note(forged, [KEY.verifier]).unverified[0].name == "witness.example"


def test_a_changed_text_or_signature_fails_to_verify() -> None:
    signed = sign_note(TEXT, [KEY])
    with pytest.raises(InvalidSignatureError):
        open_note(signed.replace("\n5\n", "\n6\n"), [KEY.verifier])
    text = signed.rsplit(" ", 1)[0]
    forged = text + " " + sign_note("other\n", [KEY]).rsplit(" ", 1)[1]
    with pytest.raises(InvalidSignatureError):
        open_note(forged, [KEY.verifier])


def test_a_failing_signature_by_a_trusted_key_rejects_the_note_even_beside_a_good_one() -> None:
    other = SignerKey.generate("other.example")
    good = sign_note(TEXT, [KEY, other])
    bad_other_line = sign_note("tampered\n", [other]).split("\n\n", 1)[1]
    forged = good.split("\n\n", 1)[0] + "\n\n" + good.split("\n\n", 1)[1].splitlines(keepends=True)[0] + bad_other_line
    with pytest.raises(InvalidSignatureError):
        open_note(forged, [KEY.verifier, other.verifier])


def test_a_repeated_signature_line_counts_once() -> None:
    signed = sign_note(TEXT, [KEY])
    doubled = signed + signed.split("\n\n", 1)[1]
    assert len(open_note(doubled, [KEY.verifier]).verified) == 1


def test_the_text_may_contain_blank_lines_and_ends_at_the_last_one() -> None:
    text = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n"
    assert open_note(sign_note(text, [KEY]), [KEY.verifier]).text == text


def test_a_blank_line_among_the_signatures_makes_the_earlier_ones_part_of_the_text() -> None:
    other = SignerKey.generate("other.example")
    first, second = (sign_note(TEXT, [k]).split("\n\n", 1)[1] for k in (KEY, other))
    with pytest.raises(UnverifiedNoteError):
        open_note(TEXT + "\n" + first + "\n" + second, [KEY.verifier])


GOOD = sign_note(TEXT, [KEY])
SIGNATURE = GOOD.split("\n\n", 1)[1]
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _non_canonical(encoded: str) -> str:
    """The same bytes with a padding bit set: 68 bytes leave two spare bits before the '='."""
    assert encoded.endswith("=") and not encoded.endswith("==")
    return encoded[:-2] + ALPHABET[ALPHABET.index(encoded[-2]) | 1] + "="


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (GOOD.encode("utf-8").replace(b"some", b"\xffsome"), "not valid UTF-8"),
        (GOOD.replace("some", "\ud800some"), "not valid UTF-8"),
        (GOOD.replace("some", "\rsome"), "control character"),
        (GOOD.replace("some", "\tsome"), "control character"),
        (GOOD.rstrip("\n"), "do not end with a newline"),
        (TEXT + SIGNATURE, "no blank line"),
        (TEXT + "\n", "no signature lines"),
        (GOOD.replace("— ", "- "), "em dash"),
        (GOOD.replace("— ", "– "), "em dash"),
        (GOOD.replace("— ", "—"), "em dash"),
        (GOOD.replace(f"— {ORIGIN} ", f"— {ORIGIN}"), "no valid key name"),
        (GOOD.replace(f"— {ORIGIN} ", "— a+b "), "no valid key name"),
        (GOOD.replace(f"— {ORIGIN} ", "—  "), "no valid key name"),
        (GOOD.replace(SIGNATURE.rsplit(" ", 1)[1], "not base64!\n"), "not base64"),
        (GOOD.replace(SIGNATURE.rsplit(" ", 1)[1], "AAAAAA==\n"), "too short"),
        (
            GOOD.replace(SIGNATURE.rsplit(" ", 1)[1], _non_canonical(SIGNATURE.rsplit(" ", 1)[1][:-1]) + "\n"),
            "canonical",
        ),
        (TEXT + "\n" + SIGNATURE * 101, "more than 100"),
    ],
)
def test_malformed_notes_are_refused_with_the_reason(message: bytes | str, reason: str) -> None:
    with pytest.raises(MalformedNoteError, match=reason):
        open_note(message, [KEY.verifier])


@pytest.mark.parametrize("text", ["", "no newline", "tab\there\n"])
def test_only_newline_terminated_text_without_control_characters_can_be_signed(text: str) -> None:
    with pytest.raises(MalformedNoteError):
        sign_note(text, [KEY])


def test_a_note_needs_a_signer() -> None:
    with pytest.raises(NoteError, match="at least one signer"):
        sign_note(TEXT, [])


def test_a_signature_of_the_wrong_length_by_a_trusted_key_fails_to_verify() -> None:
    short = base64.b64encode(KEY.key_id.to_bytes(4, "big") + b"z").decode()
    with pytest.raises(InvalidSignatureError):
        open_note(f"{TEXT}\n— {ORIGIN} {short}\n", [KEY.verifier])
