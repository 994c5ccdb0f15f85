"""Key formats are pluggable: one that signs with its secret keeps it encrypted, not hashed."""

import uuid

import pytest
from sqlalchemy import select

from govplatform.core.crypto import FieldCipher
from govplatform.core.interfaces import IssuedKey
from govplatform.core.models import ApiKey
from govplatform.core.platform import Platform
from govplatform.core.services import api_keys
from govplatform.core.services.tenancy import TenancyError
from tests.helpers import CLI, service_with_org


class SigningKeyFormat:
    """Shaped like Notify's keys: {name}-{service_id}-{secret}, where the secret signs HS256 tokens."""

    component = "signing"
    key_types = ("normal", "team", "test")

    def __init__(self, cipher: FieldCipher) -> None:
        self.cipher = cipher

    def issue(self, service_id: uuid.UUID, key_id: uuid.UUID, name: str, key_type: str) -> IssuedKey:
        secret = str(uuid.uuid4())  # Notify's secrets are UUIDs: 122 random bits
        return IssuedKey(
            shown_once=f"{name}-{service_id}-{secret}",
            secret_hash=None,
            secret_encrypted=self.cipher.encrypt_text(secret, str(key_id)),
        )

    def lookup_hash(self, presented: str) -> str | None:
        return None


async def test_a_signing_key_keeps_its_secret_encrypted_and_gives_it_back_to_its_component(
    platform: Platform,
) -> None:
    service_id = await service_with_org(platform)
    key_format = SigningKeyFormat(platform.cipher)
    async with platform.uow() as uow:
        key, shown = await api_keys.create_key(uow, CLI, key_format, service_id, "mykey", "team")
        await uow.commit()
    secret = shown.rsplit("-", 5)[-5:]
    secret_text = "-".join(secret)
    async with platform.uow() as uow:
        stored = await uow.session.scalar(select(ApiKey).where(ApiKey.id == key.id))
        assert stored.secret_hash is None
        assert secret_text not in (stored.secret_encrypted or "")
        found = await api_keys.key_secrets(uow, platform.cipher, "signing", service_id)
    assert [(s.key.key_id, s.key.key_type, s.secret, s.revoked) for s in found] == [
        (key.id, "team", secret_text, False)
    ]
    async with platform.uow() as uow:
        await api_keys.revoke_key(uow, CLI, service_id, key.id)
        await uow.commit()
    async with platform.uow() as uow:
        assert await api_keys.key_secrets(uow, platform.cipher, "signing", service_id) == []
        revoked = await api_keys.StoredKeys(platform.cipher).secrets_for(uow, "signing", service_id)
        assert [(s.key.key_id, s.revoked) for s in revoked] == [(key.id, True)]


async def test_a_key_type_the_format_does_not_know_is_refused(platform: Platform) -> None:
    service_id = await service_with_org(platform)
    with pytest.raises(TenancyError, match="Key type must be one of: normal, team, test"):
        async with platform.uow() as uow:
            await api_keys.create_key(uow, CLI, SigningKeyFormat(platform.cipher), service_id, "k", "live")
