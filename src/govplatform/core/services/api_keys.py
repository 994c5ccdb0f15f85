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

from govplatform.core.cache_notices import Notices
from govplatform.core.caching import ReadCache, forget_after_change
from govplatform.core.crypto import FieldCipher, keyed_hash, random_token
from govplatform.core.data_path import DriverRow, Prebuilt
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
        # Every other process forgets the service's keys when this commits; the commit waits until they have.
        await uow.forget_elsewhere(KEYS_TOPIC, str(service_id))
    # Now, and again once the revocation has committed: a read between the two saw the key still live.
    forget_after_change(uow, lambda: _forget(service_id))
    return key


async def list_keys(uow: UnitOfWork, service_id: uuid.UUID, component: str | None = None) -> list[ApiKey]:
    query = select(ApiKey).where(ApiKey.service_id == service_id).order_by(ApiKey.created_at.desc())
    if component is not None:
        query = query.where(ApiKey.component == component)
    return list((await uow.session.scalars(query)).all())


_keys, _services, _organisations = ApiKey.__table__.c, Service.__table__.c, Organisation.__table__.c
_KEY_COLUMNS = (
    _keys.id,
    _keys.name,
    _keys.key_type,
    _keys.component,
    _keys.revoked_at,
    _services.id.label("service_id"),
    _services.name.label("service_name"),
    _organisations.id.label("organisation_id"),
    _organisations.name.label("organisation_name"),
)
_KEY_SERVICE = ApiKey.__table__.join(Service.__table__, _keys.service_id == _services.id).join(
    Organisation.__table__, _services.organisation_id == _organisations.id
)
# The hot path's two reads, written once and run by the driver on the unit's connection (core/data_path.py).
_AUTHENTICATE = Prebuilt(
    select(*_KEY_COLUMNS)
    .select_from(_KEY_SERVICE)
    .where(_keys.secret_hash == bindparam("digest"), _keys.component == bindparam("component"))
)
_SECRETS = Prebuilt(
    select(*_KEY_COLUMNS, _keys.secret_encrypted)
    .select_from(_KEY_SERVICE)
    .where(
        _keys.service_id == bindparam("service_id"),
        _keys.component == bindparam("component"),
        _keys.secret_encrypted.is_not(None),
    )
    .order_by(_keys.created_at)
)


def _key_of(row: DriverRow) -> AuthenticatedKey:
    return AuthenticatedKey(
        key_id=row["id"],
        key_name=row["name"],
        key_type=row["key_type"],
        component=row["component"],
        service=ServiceRef(row["service_id"], row["service_name"], row["organisation_id"], row["organisation_name"]),
    )


async def authenticate(uow: UnitOfWork, key_format: KeyFormat, presented: str) -> AuthenticatedKey | None:
    """The live key matching the presented text, or None (malformed, unknown or revoked), read now.

    One prebuilt statement by the driver: this runs on every API request that
    `StoredKeys` has not answered from what it keeps.
    """
    digest = key_format.lookup_hash(presented)
    if digest is None:
        return None
    return await _authenticate_digest(uow, key_format.component, digest)


async def _authenticate_digest(uow: UnitOfWork, component: str, digest: str) -> AuthenticatedKey | None:
    row = await uow.fetch_first(_AUTHENTICATE, digest=digest, component=component)
    if row is None or row["revoked_at"] is not None:
        return None
    return _key_of(row)


async def key_secrets(
    uow: UnitOfWork, cipher: FieldCipher, component: str, service_id: uuid.UUID, include_revoked: bool = False
) -> list[KeySecret]:
    """The decrypted secrets of a service's keys, for formats that sign with them.

    Notify's clients sign an HS256 token with the key's secret and name only
    the service, so the server must try each of the service's secrets in turn;
    revoked keys are included on request so that the error can say "revoked".
    """
    found = []
    for row in await uow.fetch(_SECRETS, service_id=service_id, component=component):
        revoked = row["revoked_at"] is not None
        if revoked and not include_revoked:
            continue
        secret = cipher.decrypt_text(row["secret_encrypted"] or "", str(row["id"]))
        found.append(KeySecret(_key_of(row), secret, revoked))
    return found


KEYS_TOPIC = "api_keys"  # what a revocation tells every process to forget: a service's keys (cache_notices.py)


class StoredKeys:
    """Core's `ApiKeyStore`: what every component checks keys with (one per platform, `Platform.keys`).

    What it reads is kept for `ttl_seconds` (2, as notifications-api keeps a
    service's API keys in memory; core's `ReadCache`): a service's decrypted
    secrets (reading and decrypting them was a tenth of a Notify send), and a
    presented key's row by its hash (one query on every API call). A key made
    meanwhile is found all the same: unknown hashes are not kept, and a caller
    that finds no secret to match asks again, `fresh`. A key revoked anywhere
    is refused at once: in this process its service's keys are dropped when
    the revocation is made and again when it commits; every other process is
    told by the revocation's `forget_elsewhere` through `notices`, and serves
    kept keys only while `notices` says it has heard every such change
    (core/cache_notices.py, ADR 0015). Without `notices` (a store of its own in
    a test), another process's revocation is seen here within `ttl_seconds`.
    """

    def __init__(
        self, cipher: FieldCipher, notices: Notices | None = None, ttl_seconds: float = 2.0, size: int = 1024
    ) -> None:
        self._cipher = cipher
        fresh = notices.fresh if notices is not None else None
        self._secrets: ReadCache[tuple[str, uuid.UUID], list[KeySecret]] = ReadCache(ttl_seconds, size, fresh=fresh)
        self._found: ReadCache[tuple[str, str], AuthenticatedKey | None] = ReadCache(ttl_seconds, size, fresh=fresh)
        if notices is not None:
            notices.subscribe(KEYS_TOPIC, self._on_notice)
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

    def _on_notice(self, subject: str | None) -> None:
        if subject is None:
            self._secrets.forget_everything()
            self._found.forget_everything()
            return
        try:
            self.forget(uuid.UUID(subject))
        except ValueError:  # not a service id: forget everything rather than guess
            self._on_notice(None)

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
