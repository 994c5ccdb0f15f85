"""Keyed hashes, field encryption and random tokens: the platform's only crypto primitives.

API keys and session tokens are checked with HMAC-SHA256 under a server secret:
one fast hash per request, and a stolen database alone does not let anyone
test guesses. Where a protocol needs the secret itself (Notify's keys sign
HS256 tokens) the secret is encrypted with AES-256-GCM instead. Encryption keys
rotate: the first key encrypts, every key decrypts, and a ciphertext names the
key that made it by a short key id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE_BYTES = 12
_VERSION = b"\x01"


class DecryptionError(Exception):
    """A ciphertext was tampered with, or no configured key can open it."""


def random_token(n_bytes: int = 32) -> str:
    """URL-safe random text carrying n_bytes*8 bits of randomness."""
    return secrets.token_urlsafe(n_bytes)


def keyed_hash(secret: str, value: str, purpose: str) -> str:
    """HMAC-SHA256 of value, domain-separated by purpose so one hash cannot stand for another."""
    mac = hmac.new(secret.encode(), purpose.encode() + b"\x00" + value.encode(), hashlib.sha256)
    return mac.hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"govplatform-key-id" + key).digest()[:4]


class FieldCipher:
    """AES-256-GCM for personal fields and protocol secrets, with key rotation."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._current = keys[0]
        self._by_id = {_key_id(key): AESGCM(key) for key in keys}

    def encrypt(self, plaintext: bytes, associated_data: bytes = b"") -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(self._current).encrypt(nonce, plaintext, associated_data)
        return base64.b64encode(_VERSION + _key_id(self._current) + nonce + sealed).decode()

    def decrypt(self, token: str, associated_data: bytes = b"") -> bytes:
        try:
            raw = base64.b64decode(token, validate=True)
        except ValueError as error:
            raise DecryptionError("ciphertext is not base64") from error
        if len(raw) < 1 + 4 + _NONCE_BYTES + 16 or raw[:1] != _VERSION:
            raise DecryptionError("ciphertext has an unknown format")
        aead = self._by_id.get(raw[1:5])
        if aead is None:
            raise DecryptionError("no configured key made this ciphertext")
        try:
            return aead.decrypt(raw[5 : 5 + _NONCE_BYTES], raw[5 + _NONCE_BYTES :], associated_data)
        except InvalidTag as error:
            raise DecryptionError("ciphertext failed authentication") from error

    def encrypt_text(self, text: str, associated_data: str = "") -> str:
        return self.encrypt(text.encode(), associated_data.encode())

    def decrypt_text(self, token: str, associated_data: str = "") -> str:
        return self.decrypt(token, associated_data.encode()).decode()
