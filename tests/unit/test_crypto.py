import base64
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govplatform.core.crypto import DecryptionError, FieldCipher, keyed_hash, random_token


def key() -> bytes:
    return os.urandom(32)


@given(st.binary(max_size=2000), st.text(max_size=50))
def test_encrypted_fields_decrypt_to_the_original_bytes(plaintext: bytes, context: str) -> None:
    cipher = FieldCipher([key()])
    assert cipher.decrypt(cipher.encrypt(plaintext, context.encode()), context.encode()) == plaintext


def test_a_ciphertext_made_under_an_old_key_still_opens_after_rotation() -> None:
    old, new = key(), key()
    sealed = FieldCipher([old]).encrypt_text("07700 900123")
    assert FieldCipher([new, old]).decrypt_text(sealed) == "07700 900123"
    assert FieldCipher([new, old]).encrypt_text("x") != sealed


def test_a_ciphertext_cannot_be_moved_to_another_record() -> None:
    cipher = FieldCipher([key()])
    sealed = cipher.encrypt_text("secret", "record-1")
    with pytest.raises(DecryptionError):
        cipher.decrypt_text(sealed, "record-2")


def test_a_tampered_ciphertext_is_refused() -> None:
    cipher = FieldCipher([key()])
    raw = bytearray(base64.b64decode(cipher.encrypt_text("secret")))
    raw[-1] ^= 1
    with pytest.raises(DecryptionError):
        cipher.decrypt(base64.b64encode(bytes(raw)).decode())


def test_a_ciphertext_from_an_unknown_key_is_refused() -> None:
    with pytest.raises(DecryptionError):
        FieldCipher([key()]).decrypt_text(FieldCipher([key()]).encrypt_text("x"))


def test_keyed_hashes_depend_on_secret_and_purpose() -> None:
    assert keyed_hash("s1", "v", "a") == keyed_hash("s1", "v", "a")
    assert keyed_hash("s1", "v", "a") != keyed_hash("s2", "v", "a")
    assert keyed_hash("s1", "v", "a") != keyed_hash("s1", "v", "b")


def test_random_tokens_carry_at_least_128_bits() -> None:
    token = random_token(16)
    assert len(base64.urlsafe_b64decode(token + "==")) >= 16
    assert random_token() != random_token()
