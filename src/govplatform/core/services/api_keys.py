"""API keys: issued by a component's format, shown once, revocable, checked by keyed hash.

The key text is never stored. Formats that only check keys store
HMAC-SHA256(server secret, key): one fast hash per request, and a copy of the
database is no help in guessing keys. Formats whose protocol needs the secret
(Notify's HS256 tokens) store it AES-GCM encrypted instead.
"""

from __future__ import annotations

import re
import uuid
import weakref
from collections.abc import Awaitable

from sqlalchemy import bindparam, select

from govplatform.core.caching import ReadCache, forget_after_change
from govplatform.core.crypto import FieldCipher, keyed_hash, random_token
from govplatform.core.interfaces import N_, Actor, AuthenticatedKey, IssuedKey, KeyFormat, KeySecret, ServiceRef
from govplatform.core.models import ApiKey, Organisation, Service, utcnow
from govplatform.core.services import audit
from govplatform.core.services.tenancy import NotFound, TenancyError, get_service
from govplatform.core.unit_of_work import UnitOfWork

PLATFORM_KEY_PREFIX = "gpk_"
_PLATFORM_KEY = re.compile(r"^gpk_[A-Za-z0-9_-]{43}$")


class PlatformKeyFormat:
    """Keys for the platform API: 'gpk_' and 256 random bits, checked by keyed hash."""

    component: str = "platform"
    key_types: tuple[str, ...] = ("standard",)
    label: str = N_("Platform API")
    key_type_labels: dict[str, str] = {"standard": N_("Standard")}  # noqa: RUF012 - read only

    def __init__(self, hash_secret: str) -> None:
        self._hash_secret = hash_secret

    def issue(self, service_id: uuid.UUID, key_id: uuid.UUID, name: str, key_type: str) -> IssuedKey:
        text = PLATFORM_KEY_PREFIX + random_token(32)
        return IssuedKey(shown_once=text, secret_hash=self.lookup_hash(text), secret_encrypted=None)

    def lookup_hash(self, presented: str) -> str | None:
        if not _PLATFORM_KEY.match(presented):
            return None
        return keyed_hash(self._hash_secret, presented, "platform-api-key")


async def create_key(
    uow: UnitOfWork,
    actor: Actor,
    key_format: KeyFormat,
    service_id: uuid.UUID,
    name: str,
    key_type: str | None = None,
) -> tuple[ApiKey, str]:
    """Make a key; returns the row and the text to show once."""
    name = " ".join(name.split())
    if not name:
        raise TenancyError(N_("Enter a name for the key"))
    if len(name) > 255:
        raise TenancyError(N_("The key name must be 255 characters or fewer"))
    key_type = key_type or key_format.key_types[0]
    if key_type not in key_format.key_types:
        raise TenancyError(N_("Key type must be one of: %(types)s"), types=", ".join(key_format.key_types))
    await get_service(uow, service_id)
    key_id = uuid.uuid4()
    issued = key_format.issue(service_id, key_id, name, key_type)
    key = ApiKey(
        id=key_id,
        service_id=service_id,
        component=key_format.component,
        name=name,
        key_type=key_type,
        secret_hash=issued.secret_hash,
        secret_encrypted=issued.secret_encrypted,
        created_by=uuid.UUID(actor.id) if actor.type == "staff" and actor.id else None,
    )
    uow.session.add(key)
    audit.record(
        uow,
        actor,
        "api_key.created",
        "api_key",
        key_id,
        service_id,
        name=name,
        component=key_format.component,
        key_type=key_type,
    )
    return key, issued.shown_once


async def revoke_key(uow: UnitOfWork, actor: Actor, service_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    key = await uow.session.get(ApiKey, key_id)
    if key is None or key.service_id != service_id:
        raise NotFound(N_("There is no such key on this service"))
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(uow, actor, "api_key.revoked", "api_key", key_id, service_id, name=key.name)
    # Now, and again once the revocation has committed: a read between the two saw the key still live.
    forget_after_change(uow, lambda: _forget(service_id))
    return key


async def list_keys(uow: UnitOfWork, service_id: uuid.UUID, component: str | None = None) -> list[ApiKey]:
    query = select(ApiKey).where(ApiKey.service_id == service_id).order_by(ApiKey.created_at.desc())
    if component is not None:
        query = query.where(ApiKey.component == component)
    return list((await uow.session.scalars(query)).all())


_AUTHENTICATE = (
    select(
        ApiKey.id,
        ApiKey.name,
        ApiKey.key_type,
        ApiKey.component,
        ApiKey.revoked_at,
        Service.id.label("service_id"),
        Service.name.label("service_name"),
        Organisation.id.label("organisation_id"),
        Organisation.name.label("organisation_name"),
    )
    .join(Service, ApiKey.service_id == Service.id)
    .join(Organisation, Service.organisation_id == Organisation.id)
    .where(ApiKey.secret_hash == bindparam("digest"), ApiKey.component == bindparam("component"))
)


async def authenticate(uow: UnitOfWork, key_format: KeyFormat, presented: str) -> AuthenticatedKey | None:
    """The live key matching the presented text, or None (malformed, unknown or revoked).

    One prebuilt query of plain columns: this runs on every API request.
    """
    digest = key_format.lookup_hash(presented)
    if digest is None:
        return None
    return await _authenticate_digest(uow, key_format.component, digest)


async def _authenticate_digest(uow: UnitOfWork, component: str, digest: str) -> AuthenticatedKey | None:
    row = (await uow.session.execute(_AUTHENTICATE, {"digest": digest, "component": component})).first()
    if row is None or row.revoked_at is not None:
        return None
    return AuthenticatedKey(
        key_id=row.id,
        key_name=row.name,
        key_type=row.key_type,
        component=row.component,
        service=ServiceRef(row.service_id, row.service_name, row.organisation_id, row.organisation_name),
    )


async def key_secrets(
    uow: UnitOfWork, cipher: FieldCipher, component: str, service_id: uuid.UUID, include_revoked: bool = False
) -> list[KeySecret]:
    """The decrypted secrets of a service's keys, for formats that sign with them.

    Notify's clients sign an HS256 token with the key's secret and name only
    the service, so the server must try each of the service's secrets in turn;
    revoked keys are included on request so that the error can say "revoked".
    """
    query = (
        select(ApiKey, Service, Organisation)
        .join(Service, ApiKey.service_id == Service.id)
        .join(Organisation, Service.organisation_id == Organisation.id)
        .where(ApiKey.service_id == service_id, ApiKey.component == component, ApiKey.secret_encrypted.is_not(None))
        .order_by(ApiKey.created_at)
    )
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    found = []
    for key, service, organisation in (await uow.session.execute(query)).all():
        ref = AuthenticatedKey(
            key_id=key.id,
            key_name=key.name,
            key_type=key.key_type,
            component=key.component,
            service=ServiceRef(service.id, service.name, organisation.id, organisation.name),
        )
        secret = cipher.decrypt_text(key.secret_encrypted or "", str(key.id))
        found.append(KeySecret(ref, secret, key.revoked_at is not None))
    return found


class StoredKeys:
    """Core's `ApiKeyStore`: what the composition root hands to components that check keys.

    What it reads is kept for `ttl_seconds` (2, as notifications-api keeps a
    service's API keys in memory; core's `ReadCache`): a service's decrypted
    secrets (reading and decrypting them was a tenth of a Notify send), and a
    presented key's row by its hash (one query on every Pay API call). A key
    made meanwhile is found all the same: unknown hashes are not kept, and a
    caller that finds no secret to match asks again, `fresh`. A key revoked in
    this process is dropped at once; one revoked in another process still works
    here for up to `ttl_seconds`, as with Notify.
    """

    def __init__(self, cipher: FieldCipher, ttl_seconds: float = 2.0, size: int = 1024) -> None:
        self._cipher = cipher
        self._secrets: ReadCache[tuple[str, uuid.UUID], list[KeySecret]] = ReadCache(ttl_seconds, size)
        self._found: ReadCache[tuple[str, str], AuthenticatedKey | None] = ReadCache(ttl_seconds, size)
        _STORES.add(self)

    async def secrets_for(
        self, uow: UnitOfWork, component: str, service_id: uuid.UUID, fresh: bool = False
    ) -> list[KeySecret]:
        def read() -> Awaitable[list[KeySecret]]:
            return key_secrets(uow, self._cipher, component, service_id, include_revoked=True)

        # `fresh` reads again without forgetting: a forget would also stop other reads under way from being
        # kept, and a client sending a wrong key asks for a fresh read on every request.
        if fresh:
            return await self._secrets.refresh((component, service_id), read)
        return await self._secrets.get((component, service_id), read)

    def forget(self, service_id: uuid.UUID) -> None:
        self._secrets.forget_where(lambda key, _secrets: key[1] == service_id)
        self._found.forget_where(lambda _digest, found: found is not None and found.service.id == service_id)

    async def find(self, uow: UnitOfWork, key_format: KeyFormat, presented: str) -> AuthenticatedKey | None:
        digest = key_format.lookup_hash(presented)
        if digest is None:
            return None
        return await self._found.get(
            (key_format.component, digest),
            lambda: _authenticate_digest(uow, key_format.component, digest),
            keep=lambda found: found is not None,
        )


# Every store in this process, so that a key made or revoked here is seen at once by all of them.
_STORES: weakref.WeakSet[StoredKeys] = weakref.WeakSet()


def _forget(service_id: uuid.UUID) -> None:
    for store in list(_STORES):
        store.forget(service_id)
