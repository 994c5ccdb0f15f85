"""The member directory: who takes part in the exchange, with which public keys, offering which datasets.

As X-Road's global configuration, one signed document tells every member how to check every other member's
signatures and the gateway's. It is public: a public key, an organisation's name and a dataset's description
are not secrets, and anyone checking an answer or a receipt needs them. The gateway signs each response
(signatures.py) with its own key; the gateway's keys are in the document itself, so a client pins one of them
once (docs/exchange.md, "Trusting the directory") and follows rotations through the published next key.

The document is built at most every `CACHE_SECONDS` per process (ADR 0009's ReadCache), and at once after a
change made in this process: a key retired elsewhere is refused on queries at once (they read the database),
and disappears from "current" here within seconds.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable
from typing import Any

from govplatform.core.interfaces import ReadCache, UnitOfWork, find_organisations, forget_after_change, utcnow
from govplatform.exchange.keys import public_jwk, unb64url
from govplatform.exchange.services import datasets, members
from govplatform.exchange.services.gateway_keys import GatewayKeys

CACHE_SECONDS = 5.0
VERSION = 1


@dataclasses.dataclass(frozen=True)
class SignedDocument:
    body: bytes  # JSON, UTF-8
    key_id: str
    signer: Any  # the gateway's Ed25519PrivateKey at the time of reading


def _key_entry(public_key: str, key_id: str, state: str, created_at: str, retired_at: str | None) -> dict[str, Any]:
    entry = public_jwk(unb64url(public_key), key_id)
    entry.update({"state": state, "created_at": created_at, "retired_at": retired_at})
    return entry


class MemberDirectory:
    def __init__(self, uow: Callable[..., UnitOfWork], gateway_keys: GatewayKeys, issuer: str) -> None:
        self._uow = uow
        self._gateway_keys = gateway_keys
        self._issuer = issuer
        self._cache: ReadCache[str, SignedDocument] = ReadCache(ttl_seconds=CACHE_SECONDS, size=1)

    async def document(self) -> SignedDocument:
        return await self._cache.get("directory", self._build)

    def forget_after(self, uow: UnitOfWork) -> None:
        """Rebuild the document after `uow` commits (a key registered or retired in this process)."""
        forget_after_change(uow, lambda: self._cache.forget("directory"))

    async def _build(self) -> SignedDocument:
        ring = await self._gateway_keys.ring()
        async with self._uow(read_only=True) as uow:
            keys = await members.list_keys(uow)
            offered = await datasets.list_datasets(uow)
            member_ids = list(
                dict.fromkeys([key.organisation_id for key in keys] + [d.organisation_id for d in offered])
            )
            organisations = {org.id: org.name for org in await find_organisations(uow, member_ids)}
        by_member: dict[uuid.UUID, list[dict[str, Any]]] = {}
        for key in keys:
            entry = _key_entry(key.public_key, key.key_id, key.state, key.created_at, key.retired_at)
            by_member.setdefault(key.organisation_id, []).append(entry)
        document = {
            "version": VERSION,
            "issuer": self._issuer,
            "issued_at": utcnow().isoformat(),
            "gateway": {
                "keys": [
                    _key_entry(key.public_key, key.key_id, key.state, key.created_at, key.retired_at)
                    for key in ring.published
                ]
            },
            "members": [
                {
                    "organisation_id": str(org_id),
                    "name": name,
                    "keys": by_member.get(org_id, []),
                    "datasets": [_dataset_entry(d) for d in offered if d.organisation_id == org_id],
                }
                for org_id, name in sorted(organisations.items(), key=lambda item: item[1])
            ],
        }
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        return SignedDocument(body, ring.key_id, ring.signer)


def _dataset_entry(dataset: datasets.DatasetView) -> dict[str, Any]:
    """What a consumer needs to draft an agreement: the fields, their items, and how subjects are named."""
    entry = dataset.as_json()
    del entry["organisation_id"]
    return entry
