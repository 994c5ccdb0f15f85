"""Signed notes with Ed25519, per c2sp.org/signed-note, as Go's sumdb note package reads them.

Checkpoints are signed notes, so this is what lets auditors check the log with
existing tools (Go's golang.org/x/mod/sumdb/note, the witness network). Written
by hand because no well-kept Python package implements signed notes; the
Ed25519 itself comes from `cryptography`.

Formats (signed-note "Format" and "Signatures" sections; Go's key strings):

    note           text ending in "\\n", a blank line, then lines "— <name> <base64(key id || signature)>"
    key id         SHA-256(name || 0x0A || 0x01 || 32-byte public key)[:4], big-endian
    verifier key   <name>+<key id as 8 hex digits>+<base64(0x01 || public key)>
    signer key     PRIVATE+KEY+<name>+<key id as 8 hex digits>+<base64(0x01 || 32-byte seed)>

Following the specification, and Go, the text may itself contain blank lines:
it ends at the last blank line of the note. Verifiers ignore signatures by
keys they do not know (that is how keys rotate and witnesses cosign), reject
the whole note if a known key's signature fails, and reject a note that no
known key signed. Base64 must be canonical; that is stricter than Go, which
matters only for notes no standard encoder would write.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01  # signature type byte (signed-note "Signature types")
SIGNATURE_PREFIX = "— "  # U+2014 EM DASH, then a space
MAX_SIGNATURES = 100  # the spec requires at least 16; Go allows 100
_HEX_ID = re.compile(r"[0-9a-fA-F]{8}", re.ASCII)  # Go reads either case and writes lower


class NoteError(ValueError):
    """A note or key is malformed, or a note cannot be trusted."""


class KeyFormatError(NoteError):
    """A verifier or signer key string is malformed."""


class MalformedNoteError(NoteError):
    """The bytes are not a signed note."""


class InvalidSignatureError(NoteError):
    """A trusted key's signature on the note does not verify."""


class UnverifiedNoteError(NoteError):
    """The note carries no signature by any trusted key."""


def decode_base64(text: str, what: str) -> bytes:
    """Standard base64 (RFC 4648 §4), which must be exactly what an encoder writes."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{what} is not base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise ValueError(f"{what} is not canonical base64")
    return raw


def encode_base64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def is_valid_key_name(name: str) -> bool:
    """Non-empty, without Unicode spaces or '+' (signed-note "Format")."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def key_id(name: str, public_key: bytes) -> int:
    """SHA-256(name || 0x0A || 0x01 || public key)[:4] as a big-endian uint32."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _check_name(name: str) -> None:
    if not is_valid_key_name(name):
        raise KeyFormatError(f"key name {name!r} must be non-empty, without spaces or '+'")


def _key_material(name: str, id_hex: str, encoded: str, what: str) -> bytes:
    """The 32 key bytes behind `<base64(0x01 || key)>`, after checking name and id syntax."""
    _check_name(name)
    if not _HEX_ID.fullmatch(id_hex):
        raise KeyFormatError(f"{what} key id {id_hex!r} is not 8 hex digits")
    try:
        raw = decode_base64(encoded, f"the {what} key")
    except ValueError as exc:
        raise KeyFormatError(str(exc)) from exc
    if not raw or raw[0] != ED25519:
        raise KeyFormatError(f"the {what} key is not an Ed25519 key (type byte 0x01)")
    if len(raw) != 33:
        raise KeyFormatError(f"an Ed25519 {what} key is 32 bytes, not {len(raw) - 1}")
    return raw[1:]


@dataclass(frozen=True)
class VerifierKey:
    """A public key that may sign notes, known by its name and key id."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.public_key) != 32:
            raise KeyFormatError(f"an Ed25519 public key is 32 bytes, not {len(self.public_key)}")

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.public_key)

    @classmethod
    def parse(cls, vkey: str) -> VerifierKey:
        """Read `<name>+<hex id>+<base64(0x01 || public key)>`; the id must match the key."""
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise KeyFormatError("a verifier key is <name>+<key id>+<key>")
        name, id_hex, encoded = parts
        key = cls(name, _key_material(name, id_hex, encoded, "verifier"))
        if int(id_hex, 16) != key.key_id:
            raise KeyFormatError(f"key id {id_hex} does not match the key, whose id is {key.key_id:08x}")
        return key

    def __str__(self) -> str:
        return f"{self.name}+{self.key_id:08x}+{encode_base64(bytes([ED25519]) + self.public_key)}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class SignerKey:
    """A private key that signs notes; its repr never shows the seed."""

    name: str
    seed: bytes = field(repr=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.seed) != 32:
            raise KeyFormatError(f"an Ed25519 seed is 32 bytes, not {len(self.seed)}")

    @classmethod
    def generate(cls, name: str) -> SignerKey:
        _check_name(name)
        return cls(name, Ed25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def parse(cls, skey: str) -> SignerKey:
        """Read `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`, split on the first four '+' only."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise KeyFormatError("a signer key is PRIVATE+KEY+<name>+<key id>+<key>")
        _, _, name, id_hex, encoded = parts
        key = cls(name, _key_material(name, id_hex, encoded, "signer"))
        if int(id_hex, 16) != key.key_id:
            raise KeyFormatError(f"key id {id_hex} does not match the key, whose id is {key.key_id:08x}")
        return key

    def __str__(self) -> str:
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{encode_base64(bytes([ED25519]) + self.seed)}"

    @property
    def verifier(self) -> VerifierKey:
        private = Ed25519PrivateKey.from_private_bytes(self.seed)
        return VerifierKey(self.name, private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    @property
    def key_id(self) -> int:
        return self.verifier.key_id

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


@dataclass(frozen=True)
class Signature:
    """One signature line: who signed (name and key id) and the signature bytes."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        return f"{SIGNATURE_PREFIX}{self.name} {encode_base64(self.key_id.to_bytes(4, 'big') + self.signature)}\n"


@dataclass(frozen=True)
class SignedNote:
    """A note as written: its text and every signature line, none of them checked yet."""

    text: str
    signatures: tuple[Signature, ...]

    def __str__(self) -> str:
        return self.text + "\n" + "".join(s.line() for s in self.signatures)


@dataclass(frozen=True)
class VerifiedNote:
    """A note whose text at least one trusted key signed."""

    text: str
    verified: tuple[Signature, ...]
    unverified: tuple[Signature, ...]


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise MalformedNoteError("the note text must end with a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise MalformedNoteError("the note text has a control character other than newline")


def sign_note(text: str, signers: Iterable[SignerKey]) -> str:
    """The signed note: `text`, a blank line, one signature line per signer in order."""
    _check_text(text)
    message = text.encode("utf-8")
    signatures = tuple(Signature(s.name, s.key_id, s.sign(message)) for s in signers)
    if not signatures:
        raise NoteError("a signed note needs at least one signer")
    return str(SignedNote(text, signatures))


def parse_note(message: bytes | str) -> SignedNote:
    """Split a signed note into its text and signature lines, checking the syntax only."""
    if isinstance(message, str):
        try:
            message = message.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise MalformedNoteError("the note is not valid UTF-8") from exc
    try:
        decoded = message.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedNoteError("the note is not valid UTF-8") from exc
    if any(ord(c) < 0x20 and c != "\n" for c in decoded):
        raise MalformedNoteError("the note has a control character other than newline")
    split = decoded.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("the note has no blank line before its signatures")
    text, block = decoded[: split + 1], decoded[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedNoteError("the note has no signature lines, or they do not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"the note has more than {MAX_SIGNATURES} signatures")
    return SignedNote(text, tuple(_parse_signature_line(line) for line in lines))


def _parse_signature_line(line: str) -> Signature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedNoteError(f"signature line {line[:40]!r} does not start with an em dash and a space")
    name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not space or not is_valid_key_name(name):
        raise MalformedNoteError(f"signature line {line[:40]!r} has no valid key name")
    try:
        raw = decode_base64(encoded, "the signature")
    except ValueError as exc:
        raise MalformedNoteError(f"signature by {name!r}: {exc}") from exc
    if len(raw) < 5:
        raise MalformedNoteError(f"signature by {name!r} is too short to hold a key id and a signature")
    return Signature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def open_note(message: bytes | str, trusted_keys: Iterable[VerifierKey]) -> VerifiedNote:
    """Parse a signed note and check it against `trusted_keys` (signed-note "Signatures")."""
    note = parse_note(message)
    known: dict[tuple[str, int], VerifierKey] = {}
    for key in trusted_keys:
        if (key.name, key.key_id) in known and known[key.name, key.key_id] != key:
            raise NoteError(f"two trusted keys share the name {key.name!r} and key id {key.key_id:08x}")
        known[key.name, key.key_id] = key
    signed = note.text.encode("utf-8")
    verified: dict[tuple[str, int], Signature] = {}
    unverified: list[Signature] = []
    for sig in note.signatures:
        signer = known.get((sig.name, sig.key_id))
        if signer is None:
            if sig not in unverified:
                unverified.append(sig)
            continue
        if (sig.name, sig.key_id) in verified:
            continue  # Go drops repeated signatures by one key
        if not signer.verify(signed, sig.signature):
            raise InvalidSignatureError(f"the signature by {sig.name}+{sig.key_id:08x} does not verify")
        verified[sig.name, sig.key_id] = sig
    if not verified:
        raise UnverifiedNoteError("no trusted key signed the note")
    return VerifiedNote(note.text, tuple(verified.values()), tuple(unverified))
