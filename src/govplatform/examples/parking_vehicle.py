"""The parking shop fills in a resident's vehicle from the demo vehicle licensing agency's records, through the
platform's exchange API, as the council's own service would: over HTTP, with the RFC 9421 library
(`http-message-signatures`), and nothing from the platform's code.

The resident asks for it; the shop then asks the platform's provider for the driving licence the resident
proved (`vtr=["Cl.Cm.P2"]`, the `drivingPermit` claim: parking_sign_in.py), and asks the agency under the
council's agreement for the vehicle's registration, make and colour, by that licence number. The query is
signed with the council's Ed25519 key, which `govplatform demo` wrote to var/ as `exchange key create` would on
the council's own machine (the platform holds only its public half); the answer's signature is checked against
the gateway keys in the platform's directory, over the answer's status, digest and type and over the query's
own signature, so an answer cannot be replayed onto another question. The use is recorded in the transparency
log; the resident sees it on their data-use page, and the answer's receipt URL proves it.

The council's key id, agreement and key file are read from var/demo-exchange.json, which the demo writes; a
council would keep them in its own configuration.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import secrets
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, MappingKeyResolver, algorithms
from http_message_signatures.exceptions import HTTPMessageSignaturesException

SOURCE_FILE = "demo-exchange.json"
QUERIES = "/api/exchange/v1/queries"
PURPOSE = "resident-parking-permits"
FIELDS = ("registration", "make", "colour")
SIGNED = ("@method", "@target-uri", "content-digest", "content-type")
ANSWER_SIGNED = ("@status", "content-digest", "content-type", '"signature";req;key="sig1"')


class VehicleUnavailable(Exception):
    """The agency could not be asked, or its answer could not be trusted: the resident types the registration."""


@dataclasses.dataclass(frozen=True)
class CouncilKey:
    """What the council's service needs to ask: its key id, the agreement, and its private key."""

    key_id: str
    agreement_id: str
    key: Ed25519PrivateKey


@dataclasses.dataclass(frozen=True)
class Vehicle:
    registration: str
    make: str
    colour: str
    provider: str  # who answered, as the signed answer names them
    receipt_url: str


def load_council_key(var_dir: Path) -> CouncilKey | None:
    """The council's exchange key and agreement, if the demo made them; None otherwise."""
    try:
        seeded = json.loads((var_dir / SOURCE_FILE).read_text())
        key = load_pem_private_key(Path(seeded["council_key_file"]).read_bytes(), password=None)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(key, Ed25519PrivateKey):
        return None
    return CouncilKey(str(seeded["council_key_id"]), str(seeded["agreement_id"]), key)


@dataclasses.dataclass
class _Request:
    """What the library reads of a request, and where it writes the signature's headers."""

    method: str
    url: str
    headers: dict[str, str]


@dataclasses.dataclass
class _Response:
    """What the library reads of a response; `request` lets it check the `req` components."""

    status_code: int
    headers: Any
    request: _Request


def _public(jwk: dict[str, Any]) -> Ed25519PublicKey:
    text = str(jwk["x"])
    return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))


async def vehicle_of(http: httpx.AsyncClient, base: str, council: CouncilKey, licence: str) -> Vehicle | None:
    """The resident's vehicle as the agency holds it, by their licence number; None when it holds none."""
    body = json.dumps({
        "agreement_id": council.agreement_id, "purpose": PURPOSE,
        "subject": {"scheme": "driving-licence", "value": licence}, "fields": list(FIELDS),
    }).encode()  # fmt: skip
    request = _Request("POST", base + QUERIES, {"Content-Type": "application/json"})
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={council.key_id: council.key}),
    )
    try:
        signer.sign(request, key_id=council.key_id, label="sig1", nonce=secrets.token_urlsafe(24), body=body,
                    covered_component_ids=SIGNED)  # fmt: skip
        answer = await http.post(QUERIES, content=body, headers=request.headers)
        directory = await http.get("/exchange/directory")
        gateway = {str(jwk["kid"]): _public(jwk) for jwk in directory.json()["gateway"]["keys"]}
        verifier = HTTPMessageVerifier(
            signature_algorithm=algorithms.ED25519,
            key_resolver=MappingKeyResolver(public_keys=gateway, private_keys={}),
        )
        verifier.verify(_Response(answer.status_code, answer.headers, request),
                        body=answer.content, max_age=dt.timedelta(seconds=60),
                        require_components=ANSWER_SIGNED)  # fmt: skip
        found = answer.json()
    except (httpx.HTTPError, HTTPMessageSignaturesException, ValueError, KeyError, TypeError) as error:
        raise VehicleUnavailable(type(error).__name__) from None
    if answer.status_code != 200:
        raise VehicleUnavailable(str(found.get("error", answer.status_code)))
    data = found.get("data") or {}
    if not data.get("registration"):
        return None
    provider = str(found.get("source", {}).get("provider", {}).get("name", ""))
    return Vehicle(str(data["registration"]), str(data.get("make") or ""), str(data.get("colour") or ""), provider,
                   str(found.get("receipt_url", "")))  # fmt: skip
