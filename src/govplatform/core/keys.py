"""API keys as components see them: the formats each API's keys take, what checking one gives, the key store.

Part of what other components may use from core; they import it through `core/interfaces.py`.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any, Protocol

from govplatform.core.unit_of_work import UnitOfWork


@dataclasses.dataclass(frozen=True)
class ServiceRef:
    id: uuid.UUID
    name: str
    organisation_id: uuid.UUID
    organisation_name: str


@dataclasses.dataclass(frozen=True)
class AuthenticatedKey:
    """The result of checking an API key: which key, which service, what type."""

    key_id: uuid.UUID
    key_name: str
    key_type: str
    component: str
    service: ServiceRef


@dataclasses.dataclass(frozen=True)
class IssuedKey:
    """What a key format makes for a new key: the text shown once, and what is stored."""

    shown_once: str
    secret_hash: str | None
    secret_encrypted: str | None


class KeyFormat(Protocol):
    """A component's API key format (platform, Notify, Pay each have their own).

    A format either stores a keyed hash of the presented key (`lookup_hash`
    finds it) or, where the protocol needs the secret, stores it encrypted and
    authenticates in its own way.

    A format may also have `label` (what the admin pages call its API) and
    `key_type_labels` (what they call each key type), both marked with `N_`
    and translated where shown; the pages read them with getattr and fall
    back to the component's and the type's own names.
    """

    component: str
    key_types: tuple[str, ...]

    def issue(self, service_id: uuid.UUID, key_id: uuid.UUID, name: str, key_type: str) -> IssuedKey: ...

    def lookup_hash(self, presented: str) -> str | None:
        """The keyed hash to look the presented key up by, or None if it is malformed."""
        ...


class PlatformKeyAuth(Protocol):
    """Checks `Authorization: Bearer gpk_...` on a request; raises a 401 HTTPException if it fails.

    The web app keeps one at `app.state.platform_key_auth` for components' routes.
    """

    async def __call__(
        self, request: Any, authorization: str | None, uow: UnitOfWork | None = None
    ) -> AuthenticatedKey: ...


class SecretBox(Protocol):
    """Encrypts a secret that a protocol needs back (Notify's signing secrets); AES-GCM in core."""

    def encrypt_text(self, text: str, associated_data: str = "") -> str: ...

    def decrypt_text(self, token: str, associated_data: str = "") -> str: ...


@dataclasses.dataclass(frozen=True)
class KeySecret:
    """A stored key's decrypted secret, for formats that verify signatures made with it."""

    key: AuthenticatedKey
    secret: str
    revoked: bool


class ApiKeyStore(Protocol):
    """Core's stored keys, as a component that signs with its secrets sees them."""

    async def secrets_for(
        self, uow: UnitOfWork, component: str, service_id: uuid.UUID, fresh: bool = False
    ) -> list[KeySecret]:
        """Every key of the service for the component, revoked ones included (so errors can say so).

        May be a copy kept for a moment (see core's StoredKeys); `fresh` reads the database.
        """
        ...

    async def find(self, uow: UnitOfWork, key_format: KeyFormat, presented: str) -> AuthenticatedKey | None:
        """The live key matching the presented text (by the format's keyed hash), or None."""
        ...
