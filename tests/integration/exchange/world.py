"""A small exchange for the query tests: a council that asks and an agency that answers from its records,
under an active agreement, and a client that signs its queries with the RFC 9421 library alone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
import uuid
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import HTTPMessageSigner, MappingKeyResolver, algorithms

from govplatform.app import register_components
from govplatform.core.outbound import OutboundGuard
from govplatform.core.platform import Platform
from govplatform.exchange.component import ExchangeComponent
from govplatform.exchange.services import agreements, datasets, members, record_store
from govplatform.exchange.services.agreements import Terms
from tests.helpers import CLI
from tests.integration.exchange.support import organisation, raw, role_holder
from tests.unit.exchange.test_datasets_schema import VEHICLES

KEEPERS = (
    b"subject:driving-licence,subject:nino,registration,make,colour\n"
    b"MORGA657054SM9IJ,AB123456C,AB12 CDE,FORD,Blue\n"
    b"RESID804195D99AB,,DM21 RES,NISSAN,Green\n"
)  # fmt: skip
COMPONENTS = ("@method", "@target-uri", "content-digest", "content-type")
QUERIES = "/api/exchange/v1/queries"


@dataclasses.dataclass
class Signed:
    """A request as the library signs it: method, URL, headers."""

    method: str
    url: str
    headers: dict[str, str]


@dataclasses.dataclass
class World:
    platform: Platform
    exchange: ExchangeComponent
    council: uuid.UUID
    agency: uuid.UUID
    dataset: uuid.UUID
    agreement: uuid.UUID
    key: Ed25519PrivateKey
    key_id: str

    @property
    def url(self) -> str:
        return self.platform.settings.base_url.rstrip("/") + QUERIES

    def body(self, **changes: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "agreement_id": str(self.agreement), "purpose": "resident-parking-permits",
            "subject": {"scheme": "driving-licence", "value": "MORGA657054SM9IJ"}, "fields": ["make", "colour"],
        }  # fmt: skip
        body.update(changes)
        return body

    def sign(
        self, content: bytes, *, key: Ed25519PrivateKey | None = None, key_id: str | None = None,
        components: tuple[str, ...] = COMPONENTS, nonce: str | None = None, created: dt.datetime | None = None,
        content_type: str = "application/json",
    ) -> dict[str, str]:  # fmt: skip
        """The headers of a request signed as any member's client would sign it."""
        name = key_id or self.key_id
        message = Signed("POST", self.url, {"Content-Type": content_type})
        signer = HTTPMessageSigner(
            signature_algorithm=algorithms.ED25519,
            key_resolver=MappingKeyResolver(public_keys={}, private_keys={name: key or self.key}),
        )
        signer.sign(
            message, key_id=name, nonce=nonce or secrets.token_urlsafe(24), label="sig1", created=created,
            covered_component_ids=components, body=content,
        )  # fmt: skip
        return message.headers

    async def ask(
        self, client: httpx.AsyncClient, body: dict[str, Any] | None = None, **signing: Any
    ) -> httpx.Response:
        content = json.dumps(body if body is not None else self.body()).encode()
        return await client.post(QUERIES, content=content, headers=self.sign(content, **signing))


async def make_world(platform: Platform, basis: str = "public-task", provider_url: str | None = None) -> World:
    """The world; with `provider_url`, the agency's dataset is answered by its own system there (allowed on
    loopback, as an operator allows a host with GOVPLATFORM_OUTBOUND_ALLOWED_HOSTS)."""
    register_components(platform)
    exchange: ExchangeComponent = platform.components["exchange"]
    if provider_url is not None:
        exchange.outbound = OutboundGuard(require_https=False, allowed_hosts="127.0.0.1")
    council = await organisation(platform, "Anytown Council")
    agency = await organisation(platform, "Vehicle Licensing Agency")
    await role_holder(platform, agency, "owner@agency.example.gov.uk", "data-owner")
    await role_holder(platform, agency, "cdo@agency.example.gov.uk", "chief-data-officer")
    key = Ed25519PrivateKey.generate()
    async with platform.uow() as uow:
        registered = await members.register_key(uow, CLI, council, raw(key))
        dataset = await datasets.declare(uow, CLI, agency, "Vehicle keepers", VEHICLES, ["driving-licence", "nino"],
                                         provider_url, exchange.outbound)  # fmt: skip
        await uow.commit()
    async with platform.uow() as uow:
        if provider_url is None:
            await record_store.load(uow, CLI, exchange.box, exchange.hash_secret, dataset.id, "keepers.csv", KEEPERS)
        terms = Terms(
            consumer_id=council, dataset_id=dataset.id, fields=["registration", "make", "colour"],
            purpose="resident-parking-permits", basis=basis, description="Resident parking permits",
            retention="Until the permit ends", security="Encrypted", review_on=dt.date(2099, 1, 1),
        )  # fmt: skip
        made = await agreements.draft(uow, CLI, exchange.log, terms)
        await uow.commit()
    async with platform.uow() as uow:
        await agreements.approve(uow, exchange.log, made.id, "owner@agency.example.gov.uk")
        await agreements.sign_off(uow, exchange.log, made.id, "cdo@agency.example.gov.uk")
        await uow.commit()
    return World(platform, exchange, council, agency, dataset.id, made.id, key, registered.key_id)
