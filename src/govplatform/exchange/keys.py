"""Ed25519 keys as the exchange names and publishes them: key ids, thumbprints and JWKs.

A key id is `{organisation id}/{thumbprint}` (the gateway's own keys: `gateway/{thumbprint}`), where the
thumbprint is RFC 7638's over the key's OKP JWK (RFC 8037 section 2: members `crv`, `kty`, `x` in that order).
Naming a key by its own hash means a key id can never be pointed at a different key, and any holder of the
public key can work its id out. Written here rather than through joserfc because it is one hash over three
fixed members, and the directory, the CLI and the verifier must all agree on it byte for byte.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
import uuid
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GATEWAY = "gateway"
_THUMBPRINT = re.compile(r"^[A-Za-z0-9_-]{43}$")


class KeyIdError(ValueError):
    """A key id that is not `{organisation id}/{thumbprint}` (or the gateway's)."""


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def thumbprint(raw_public_key: bytes) -> str:
    """RFC 7638 thumbprint (SHA-256, base64url) of an Ed25519 public key's JWK."""
    members = {"crv": "Ed25519", "kty": "OKP", "x": b64url(raw_public_key)}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    return b64url(hashlib.sha256(canonical).digest())


def public_jwk(raw_public_key: bytes, key_id: str) -> dict[str, Any]:
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw_public_key), "kid": key_id, "alg": "EdDSA", "use": "sig"}


@dataclasses.dataclass(frozen=True)
class KeyId:
    """Whose key (an organisation's id, or None for the gateway) and which (its thumbprint)."""

    organisation_id: uuid.UUID | None
    kid: str

    def __str__(self) -> str:
        return f"{self.organisation_id or GATEWAY}/{self.kid}"

    @classmethod
    def parse(cls, text: str) -> KeyId:
        owner, _, kid = text.partition("/")
        if not _THUMBPRINT.match(kid):
            raise KeyIdError("a key id is an organisation id, a slash and the key's 43-character thumbprint")
        if owner == GATEWAY:
            return cls(None, kid)
        try:
            organisation_id = uuid.UUID(owner)
        except ValueError:
            raise KeyIdError("a key id starts with the organisation's id") from None
        if str(organisation_id) != owner:  # one spelling only: a key id is compared as text by clients
            raise KeyIdError("a key id's organisation id is written in lower case with hyphens")
        return cls(organisation_id, kid)


def read_public_pem(pem: bytes) -> bytes:
    """The raw bytes of an Ed25519 public key in PEM (SubjectPublicKeyInfo); ValueError for anything else."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as error:
        raise ValueError("not a PEM public key") from error
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the exchange takes Ed25519 keys only")
    return raw_public(key)


def private_pem(key: Ed25519PrivateKey) -> bytes:
    """PKCS #8 PEM, unencrypted: written to a file only its owner can read (the CLI's `key create`)."""
    encoding, form = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
    return key.private_bytes(encoding, form, serialization.NoEncryption())


def read_private_pem(pem: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise ValueError("not an unencrypted PEM private key") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the exchange takes Ed25519 keys only")
    return key
