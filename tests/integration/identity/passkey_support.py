"""A software authenticator for identity's passkey tests: a real EC P-256 key, and authenticatorData,
clientDataJSON, a 'none' attestation and assertion signatures built here byte by byte (WebAuthn level 2,
sections 6.1, 6.5 and 5.8.1), so each attack can change exactly one thing: the origin, the rpIdHash, the
counter, the credential id, the challenge.

It reads the options the page carries (`data-passkey-options`) and answers with the JSON static/passkeys.js
posts, so the pages are driven as a browser with the script drives them.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import json
import os
import re
import struct
from typing import Any

import cbor2
import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from tests.helpers import csrf_from

UP, UV, AT = 0x01, 0x04, 0x40  # authenticatorData flags: user present, user verified, attested credential data


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def options_on(page: str) -> dict[str, Any]:
    """The WebAuthn options a page's passkey form carries."""
    found = re.search(r'data-passkey-options="([^"]*)"', page)
    assert found, "the page has no passkey form"
    options: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return options


@dataclasses.dataclass
class SoftAuthenticator:
    """One passkey on a pretend device: its key, its id, its counter and the user handle it was made for."""

    rp_id: str
    origin: str
    key: ec.EllipticCurvePrivateKey = dataclasses.field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    credential_id: bytes = dataclasses.field(default_factory=lambda: os.urandom(32))
    sign_count: int = 0
    user_handle: bytes | None = None
    counts: bool = True  # a synced passkey's counter stays 0

    def _public_cose(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        return json.dumps(data).encode()

    def create(self, options: dict[str, Any], *, origin: str | None = None, rp_id: str | None = None,
               verified: bool = True) -> str:  # fmt: skip
        """navigator.credentials.create() answered: the credential JSON a browser posts."""
        self.user_handle = unb64url(options["user"]["id"])
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._public_cose()
        flags = UP | AT | (UV if verified else 0)
        rp_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        auth_data = rp_hash + bytes([flags]) + struct.pack(">I", self.sign_count) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return json.dumps(
            {
                "id": b64url(self.credential_id),
                "rawId": b64url(self.credential_id),
                "type": "public-key",
                "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "attestationObject": b64url(attestation),
                    "transports": ["internal", "hybrid"],
                },
            }
        )

    def get(self, options: dict[str, Any], *, origin: str | None = None, rp_id: str | None = None,
            count: int | None = None, verified: bool = True, credential_id: bytes | None = None) -> str:  # fmt: skip
        """navigator.credentials.get() answered: an assertion signed with this passkey's key."""
        if count is None:
            self.sign_count += 1 if self.counts else 0
            count = self.sign_count
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        rp_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        auth_data = rp_hash + bytes([UP | (UV if verified else 0)]) + struct.pack(">I", count)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        raw_id = credential_id or self.credential_id
        return json.dumps(
            {
                "id": b64url(raw_id),
                "rawId": b64url(raw_id),
                "type": "public-key",
                "authenticatorAttachment": "platform",
                "clientExtensionResults": {},
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(auth_data),
                    "signature": b64url(signature),
                    "userHandle": b64url(self.user_handle) if self.user_handle else None,
                },
            }
        )


async def ceremony(http: httpx.AsyncClient, page: str, answer: Any, **extra: str) -> httpx.Response:
    """Open a passkey page, answer its options with `answer(options)` (a SoftAuthenticator's create or get, or
    any function of the options), and post the result in the page's form as static/passkeys.js does."""
    shown = await http.get(page)
    assert shown.status_code == 200, shown.text
    credential = answer(options_on(shown.text))
    form = {"csrf_token": csrf_from(shown.text), "credential": credential, "problem": "", **extra}
    return await http.post(page, data=form)


async def a_passkey(platform: Any, citizen_id: Any, name: str = "My phone", **options: Any) -> SoftAuthenticator:
    """A passkey the citizen already has (as if added on the account page), and the device holding it."""
    from govplatform.identity.services import passkeys
    from tests.integration.identity.support import identity_of

    rp_id, origin = passkeys.relying_party(identity_of(platform))
    device = SoftAuthenticator(rp_id, origin, **options)
    device.user_handle = os.urandom(32)
    new = passkeys.NewPasskey(
        b64url(device.credential_id), device._public_cose(), 0, ["internal"], b64url(device.user_handle), "device"
    )
    async with platform.uow() as uow:
        passkeys.add(uow, citizen_id, new, name)
        await uow.commit()
    return device


def device_for(platform: Any) -> SoftAuthenticator:
    """A device with no passkey on it yet, for this platform's relying party id and origin."""
    from govplatform.identity.services import passkeys
    from tests.integration.identity.support import identity_of

    return SoftAuthenticator(*passkeys.relying_party(identity_of(platform)))
