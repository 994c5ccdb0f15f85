"""Key ids and thumbprints: the names every member, the directory and the verifier must agree on."""

from __future__ import annotations

import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from govplatform.exchange.keys import KeyId, KeyIdError, read_public_pem, thumbprint, unb64url

ORG = uuid.UUID("6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f")
KID = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_the_thumbprint_is_rfc_7638s_as_rfc_8037_works_it_out_for_its_example_key() -> None:
    assert thumbprint(unb64url("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")) == KID  # RFC 8037 A.1 and A.3


def test_a_key_id_is_the_organisation_and_the_thumbprint_and_reads_back_the_same() -> None:
    key_id = KeyId(ORG, KID)
    assert str(key_id) == f"{ORG}/{KID}"
    assert KeyId.parse(str(key_id)) == key_id
    assert KeyId.parse(f"gateway/{KID}") == KeyId(None, KID) and str(KeyId(None, KID)) == f"gateway/{KID}"


@pytest.mark.parametrize(
    "text",
    [
        "",
        KID,
        f"{ORG}",
        f"{ORG}/",
        f"{ORG}/{KID[:-1]}",
        f"{ORG}/{KID}x",
        f"{ORG}/{KID.replace('_', '+')}",
        f"{str(ORG).upper()}/{KID}",
        f"{ORG.hex}/{KID}",
        f"council/{KID}",
        f"{ORG}/{KID}/extra",
    ],
)
def test_anything_else_is_not_a_key_id(text: str) -> None:
    with pytest.raises(KeyIdError):
        KeyId.parse(text)


def test_only_ed25519_public_keys_in_pem_are_read() -> None:
    key = Ed25519PrivateKey.generate().public_key()
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert len(read_public_pem(pem)) == 32
    p256 = generate_private_key(SECP256R1()).public_key()
    other = p256.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(ValueError, match="Ed25519"):
        read_public_pem(other)
    with pytest.raises(ValueError, match="PEM"):
        read_public_pem(b"-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")
