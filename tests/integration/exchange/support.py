"""What the exchange's integration tests share: organisations, keys, and checking the gateway's signatures
the way a member would, with the RFC 9421 library alone."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import uuid
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import HTTPMessageVerifier, MappingKeyResolver, algorithms

from govplatform.core.platform import Platform
from govplatform.core.services import tenancy
from tests.helpers import CLI


async def organisation(platform: Platform, name: str) -> uuid.UUID:
    async with platform.uow() as uow:
        made = await tenancy.create_organisation(uow, CLI, name)
        await uow.commit()
    return made.id


def raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


def jwk_key(jwk: dict[str, Any]) -> Ed25519PublicKey:
    x = jwk["x"]
    return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))


@dataclasses.dataclass
class Received:
    """A response as the library reads it: status, headers (and the request, for `req` components)."""

    status_code: int
    headers: httpx.Headers
    request: Any = None


def gateway_signed(response: httpx.Response, gateway_keys: list[dict[str, Any]], request: Any = None) -> str:
    """The key id of the gateway key that signed the response over its status, digest and type (and, given the
    request as signed, over its signature if the response says it covers it)."""
    keys = {entry["kid"]: jwk_key(entry) for entry in gateway_keys}
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519, key_resolver=MappingKeyResolver(public_keys=keys, private_keys={})
    )
    results = verifier.verify(
        Received(response.status_code, response.headers, request),
        max_age=dt.timedelta(seconds=60),
        require_components=("@status", "content-digest", "content-type"),
        body=response.content,
    )
    key_id = results[0].parameters["keyid"]
    assert isinstance(key_id, str)
    return key_id


async def role_holder(platform: Platform, organisation_id: uuid.UUID, email: str, role: str) -> None:
    """A ready staff user holding an organisation role (granted by the operator)."""
    from govplatform.core.services import org_roles
    from govplatform.core.services.org_roles import OPERATOR
    from tests.helpers import ready_user

    user_id, _secret = await ready_user(platform, email)
    async with platform.uow() as uow:
        await org_roles.grant(uow, CLI, OPERATOR, organisation_id, user_id, role)
        await uow.commit()
