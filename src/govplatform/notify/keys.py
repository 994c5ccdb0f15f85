"""Notify's API key format: `{key_name}-{service_id}-{secret}`, the secret kept encrypted.

Notify's clients slice the key rather than split it (`service_id = key[-73:-37]`,
`secret = key[-36:]`) and sign an HS256 token with the secret, so the secret
must be a 36-character UUID string and the server must have it back: it is
stored AES-GCM encrypted (core's `SecretBox`), never hashed.

A UUID4 carries 122 random bits, below the 128 the platform asks of its own
keys; Notify's official clients would break on any other shape, so wire
compatibility wins here and the shortfall is recorded in the issue.
"""

from __future__ import annotations

import re
import uuid

from govplatform.core.interfaces import N_, IssuedKey, SecretBox

KEY_TYPES = ("normal", "team", "test")
# The admin pages show these names for the stored types (translated where they are shown).
KEY_TYPE_LABELS = {"normal": N_("Live"), "team": N_("Team and guest list"), "test": N_("Test")}


def key_name_for(name: str) -> str:
    """The name part of the key text: lower case, letters and digits, `_` for spaces (as Notify's admin)."""
    cleaned = re.sub(r"[^a-z0-9_]", "", name.strip().lower().replace(" ", "_"))
    return cleaned or "key"


class NotifyKeyFormat:
    component: str = "notify"
    key_types: tuple[str, ...] = KEY_TYPES
    label: str = N_("Notify API")
    key_type_labels: dict[str, str] = KEY_TYPE_LABELS

    def __init__(self, box: SecretBox) -> None:
        self._box = box

    def issue(self, service_id: uuid.UUID, key_id: uuid.UUID, name: str, key_type: str) -> IssuedKey:
        secret = str(uuid.uuid4())
        return IssuedKey(
            shown_once=f"{key_name_for(name)}-{service_id}-{secret}",
            secret_hash=None,
            secret_encrypted=self._box.encrypt_text(secret, str(key_id)),
        )

    def lookup_hash(self, presented: str) -> str | None:
        # Notify's requests carry a signed token, not the key: authentication is in auth.py.
        return None
