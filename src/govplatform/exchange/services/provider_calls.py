"""Asking a provider's own system: for a dataset declared with a `provider_url`, the gateway forwards each query
it has checked, signed with its own key, and answers only with what the provider's system signed.

The forwarded request (docs/api/exchange.md, "Answering from your own system") is a JSON POST to the dataset's
URL, through core's outbound guard (no private addresses unless the operator allows them, no redirects, pinned
to the address checked), signed by the gateway's current key over `@method`, `@target-uri`, `content-digest`
and `content-type`, with `created`, a fresh `nonce` and `keyid` `gateway/{thumbprint}` from the directory:

    {"agreement_id", "purpose", "consumer": {"id", "name"}, "dataset_id",
     "subject": {"scheme", "value"}, "fields": [...]}

`value` is the identifier in its scheme's one normal form, already checked. The provider's system answers
`200` with `{"data": {field: value, ...}}`, or `{"data": null}` when it does not hold the person, signed with
one of its organisation's current member keys over `@status`, `content-digest`, `content-type` and, with
`req`, the gateway request's own signature, so an answer to one question cannot be passed off as another's.

What can go wrong is the consumer's clear upstream error, never a hang or a 500, and is recorded as a refused
query like any other: no connection, or no answer within `provider_seconds` (`provider_timeout`, 504); a URL
the guard will not call now (`provider_unreachable`, 502); any status but 200, signed or not (`provider_error`,
502); an answer with no signature (`provider_unsigned`, 502); a signature that is not by one of the provider's
current keys, does not cover what it must, or does not check out (`provider_signature_invalid`, 502); a body
that is not the answer's form (strict JSON: no NaN), names a field it was not asked for, or gives a value the
dataset's schema does not allow, checked as a loaded record is (`provider_error`, 502).
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from jsonschema import Draft202012Validator, FormatChecker
from starlette.datastructures import MutableHeaders

from govplatform.core.interfaces import OutboundRefused, OutboundUnreachable
from govplatform.exchange.component import ExchangeComponent
from govplatform.exchange.keys import KeyId, KeyIdError, unb64url
from govplatform.exchange.services import members
from govplatform.exchange.services.agreements import AgreementView
from govplatform.exchange.services.datasets import DatasetView
from govplatform.exchange.signatures import (
    HttpRequest,
    HttpResponse,
    sign_request,
    signing_key_id,
    verify_response,
)


class ProviderFailed(Exception):
    """The provider's system gave no answer the gateway can pass on: `status` and `code` are the consumer's."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclasses.dataclass(frozen=True)
class ProviderAnswer:
    data: dict[str, Any] | None  # None when the provider's system does not hold the person
    key_id: str  # the provider's key that signed it


async def ask(
    exchange: ExchangeComponent,
    agreement: AgreementView,
    dataset: DatasetView,
    scheme: str,
    subject: str,
    fields: tuple[str, ...],
) -> ProviderAnswer:
    """Forward a checked query to the dataset's own system; its signed answer, or ProviderFailed."""
    if exchange.outbound is None or dataset.provider_url is None:
        raise ProviderFailed(502, "provider_unreachable", "The platform cannot call the provider's system")
    body = json.dumps({
        "agreement_id": str(agreement.id), "purpose": agreement.purpose,
        "consumer": {"id": str(agreement.consumer.id), "name": agreement.consumer.name},
        "dataset_id": str(dataset.id), "subject": {"scheme": scheme, "value": subject}, "fields": list(fields),
    }).encode()  # fmt: skip
    ring = await exchange.gateway_keys.ring()
    request = HttpRequest("POST", dataset.provider_url, MutableHeaders({"Content-Type": "application/json"}))
    sign_request(request, body, ring.key_id, ring.signer, secrets.token_urlsafe(24))
    seconds = exchange.provider_seconds
    try:
        answer = await exchange.outbound.post(
            dataset.provider_url, content=body, headers=dict(request.headers), seconds=seconds
        )
    except OutboundUnreachable:
        raise ProviderFailed(504, "provider_timeout", "The provider's system could not be reached, or did not "
                             f"answer within {seconds:g} seconds") from None  # fmt: skip
    except OutboundRefused:
        raise ProviderFailed(502, "provider_unreachable", "The provider's system is not at an address the "
                             "platform may call") from None  # fmt: skip
    headers = MutableHeaders(raw=[(name.lower().encode("latin-1"), value.encode("latin-1"))
                                  for name, value in answer.headers])  # fmt: skip
    if answer.status_code != 200:  # signed or not, nothing in it is passed on
        raise ProviderFailed(502, "provider_error", f"The provider's system answered {answer.status_code}")
    response = HttpResponse(answer.status_code, headers, request)
    key_id = await _verified(exchange, agreement.provider.id, response, answer.body)
    return ProviderAnswer(_data(answer.body, dataset, fields), key_id)


async def _verified(exchange: ExchangeComponent, provider_id: uuid.UUID, response: HttpResponse, body: bytes) -> str:
    """The provider's key that signed the answer, or ProviderFailed."""
    if "signature" not in response.headers and "signature-input" not in response.headers:
        raise ProviderFailed(502, "provider_unsigned", "The provider's system answered without a signature")
    key_id = signing_key_id(response.headers)
    try:
        parsed = KeyId.parse(key_id or "")
    except KeyIdError:
        parsed = None
    if key_id is None or parsed is None:
        raise ProviderFailed(502, "provider_signature_invalid", "The provider's answer does not carry one signature "
                             "naming one of its keys")  # fmt: skip
    key = await exchange.cache.key(key_id)
    if parsed.organisation_id != provider_id or key is None or key.state != members.CURRENT:
        raise ProviderFailed(502, "provider_signature_invalid", "The provider's answer is not signed by one of "
                             "its current keys")  # fmt: skip
    public = Ed25519PublicKey.from_public_bytes(unb64url(key.public_key))
    try:
        verify_response(response, body, {key_id: public})
    except (HTTPMessageSignaturesException, ValueError, KeyError):
        raise ProviderFailed(502, "provider_signature_invalid", "The provider's signature does not check out "
                             "over its answer and the gateway's request") from None  # fmt: skip
    return key_id


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _data(body: bytes, dataset: DatasetView, fields: tuple[str, ...]) -> dict[str, Any] | None:
    try:
        document = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        document = None
    if not isinstance(document, dict) or "data" not in document:
        raise ProviderFailed(502, "provider_error", "The provider's system answered something other than "
                             '{"data": ...}')  # fmt: skip
    data = document["data"]
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ProviderFailed(502, "provider_error", "The provider's data is not an object")
    outside = [name for name in data if name not in fields]
    if outside:
        raise ProviderFailed(502, "provider_error", "The provider's system answered a field it was not asked for")
    given = {name: value for name, value in data.items() if value is not None}  # null: not held
    properties = dataset.schema.get("properties", {})
    schema = {"type": "object", "properties": {name: properties[name] for name in given}}
    problem = next(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(given), None)
    if problem is not None:  # the same rules as a record loaded into the store (dataset_files.py)
        where = str(problem.path[0]) if problem.path else "the data"
        raise ProviderFailed(502, "provider_error", f"The provider's value for {where} is not in the dataset's form")
    return {name: data.get(name) for name in fields}
