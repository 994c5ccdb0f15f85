"""RFC 9421 HTTP Message Signatures as the exchange requires them, over the `http-message-signatures` library.

The library does the cryptography, the signature base and the RFC 9530 Content-Digest; what it leaves to its
caller (RFC 9421 section 7: which components must be covered, how old a signature may be, replay) is decided
here, and checked in this order, each refusal with its own documented code (docs/api/exchange.md):

1. exactly one signature, its Signature-Input well formed (`signature_missing`, `signature_multiple`,
   `signature_malformed`): a second signature could otherwise carry what the first did not cover;
2. it covers at least `@method`, `@target-uri`, `content-digest` and `content-type` (`signature_components`),
   so neither the body nor the address it was meant for can be swapped;
3. `created` is at most 60 seconds old and not ahead of our clock by more than 5 seconds of skew
   (`signature_expired`, `signature_in_future`), and a `nonce` of 16 to 128 URL-safe characters is present
   (`nonce_invalid`); whether the nonce was seen before is the caller's check, in its own transaction;
4. the key named by `keyid` is known and current (the caller's lookup: `key_unknown`, `key_retired`);
5. the signature verifies (`signature_invalid`), and then the body matches the signed digest
   (`content_digest_mismatch`).

The time and nonce checks come before the key lookup, so a stale or malformed request costs no database read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import http_sf
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)
from starlette.datastructures import MutableHeaders

REQUEST_COMPONENTS = ("@method", "@target-uri", "content-digest", "content-type")
RESPONSE_COMPONENTS = ("@status", "content-digest", "content-type")
LABEL = "sig1"
MAX_AGE = dt.timedelta(seconds=60)
CLOCK_SKEW = dt.timedelta(seconds=5)
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
ALGORITHM = "ed25519"


class SignatureRefused(Exception):
    """A signature the exchange does not accept: `code` is the API's error code, `message` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclasses.dataclass
class HttpRequest:
    """A request as the signature library reads it (method, URL and headers; the body is passed apart)."""

    method: str
    url: str
    headers: MutableHeaders


@dataclasses.dataclass
class HttpResponse:
    """A response as the library reads it; `request` lets a response signature cover the request's (`req`)."""

    status_code: int
    headers: MutableHeaders
    request: HttpRequest | None = None


@dataclasses.dataclass(frozen=True)
class SignatureInput:
    """What a request's one signature says about itself, read before anything is verified."""

    label: str
    key_id: str
    nonce: str
    created: dt.datetime
    components: tuple[str, ...]


def _signer(key_id: str, private_key: Ed25519PrivateKey) -> HTTPMessageSigner:
    resolver = MappingKeyResolver(public_keys={}, private_keys={key_id: private_key})
    return HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=resolver)


def sign_request(request: HttpRequest, body: bytes, key_id: str, private_key: Ed25519PrivateKey, nonce: str) -> None:
    """Add Content-Digest, Signature-Input and Signature to the request's headers (it must have Content-Type)."""
    _signer(key_id, private_key).sign(
        request, key_id=key_id, nonce=nonce, label=LABEL, covered_component_ids=REQUEST_COMPONENTS, body=body
    )


def sign_response(
    response: HttpResponse, body: bytes, key_id: str, private_key: Ed25519PrivateKey, request_label: str | None = None
) -> None:
    """Sign a response over its status, digest and type and, given the request's label, its signature too.

    With `request_label` the signature also covers the request's Signature (RFC 9421 section 2.4, `req`), so
    an answer cannot be replayed as the answer to another question.
    """
    components: tuple[str, ...] = RESPONSE_COMPONENTS
    if request_label is not None:
        components += (f'"signature";req;key="{request_label}"',)
    _signer(key_id, private_key).sign(response, key_id=key_id, label=LABEL, covered_component_ids=components, body=body)


def _dictionary(headers: Mapping[str, str] | MutableHeaders, name: str) -> dict[str, Any]:
    value = headers.get(name)
    if value is None:
        raise SignatureRefused("signature_missing", "The request has no Signature-Input and Signature headers")
    try:
        parsed = http_sf.parse(value.encode(), tltype="dictionary")
    except (http_sf.StructuredFieldError, UnicodeEncodeError):
        problem = f"The {name} header is not a structured field dictionary"
        raise SignatureRefused("signature_malformed", problem) from None
    assert isinstance(parsed, dict)
    return dict(parsed)


def read_signature_input(headers: MutableHeaders, now: dt.datetime) -> SignatureInput:
    """Checks 1 to 3 of the module docstring: one well-formed, recent, fully covering signature with a nonce."""
    inputs, signatures = _dictionary(headers, "signature-input"), _dictionary(headers, "signature")
    if not inputs or not signatures:
        raise SignatureRefused("signature_missing", "The request has no Signature-Input and Signature headers")
    if len(inputs) > 1 or len(signatures) > 1:
        raise SignatureRefused("signature_multiple", "The request carries more than one signature; send exactly one")
    label = next(iter(inputs))
    member = inputs[label]
    if label not in signatures or not isinstance(member, tuple) or not isinstance(member[0], list):
        raise SignatureRefused("signature_malformed", "Signature-Input and Signature do not describe one signature")
    items, params = member
    components = tuple(item[0] for item in items if isinstance(item, tuple) and isinstance(item[0], str))
    if len(components) != len(items) or any(item[1] for item in items):
        raise SignatureRefused("signature_malformed", "The signature's components must be plain component names")
    missing = [name for name in REQUEST_COMPONENTS if name not in components]
    if missing:
        raise SignatureRefused(
            "signature_components",
            "The signature must cover " + ", ".join(REQUEST_COMPONENTS) + "; it leaves out " + ", ".join(missing),
        )
    if params.get("alg", ALGORITHM) != ALGORITHM:
        raise SignatureRefused("signature_malformed", "The signature's alg must be ed25519 (or left out)")
    key_id, created, nonce = params.get("keyid"), params.get("created"), params.get("nonce")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureRefused("signature_malformed", "The signature has no keyid")
    if type(created) is not int:
        raise SignatureRefused("signature_malformed", "The signature has no created time (an integer of seconds)")
    try:
        made = dt.datetime.fromtimestamp(created, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureRefused("signature_malformed", "The signature's created time is not a time") from None
    if made > now + CLOCK_SKEW:
        raise SignatureRefused("signature_in_future", "The signature's created time is in the future")
    if made < now - MAX_AGE:
        raise SignatureRefused("signature_expired", "The signature was made more than 60 seconds ago")
    if not isinstance(nonce, str) or not NONCE.match(nonce):
        raise SignatureRefused("nonce_invalid", "The signature needs a nonce of 16 to 128 letters, digits, - or _")
    return SignatureInput(label, key_id, nonce, made, components)


def signing_key_id(headers: MutableHeaders) -> str | None:
    """The keyid of a message's one signature, read before anything is verified; None unless there is exactly one
    signature and it names a key (for a response, which `verify_response` then checks whole)."""
    try:
        inputs, signatures = _dictionary(headers, "signature-input"), _dictionary(headers, "signature")
    except SignatureRefused:
        return None
    if len(inputs) != 1 or len(signatures) != 1 or set(inputs) != set(signatures):
        return None
    member = next(iter(inputs.values()))
    key_id = member[1].get("keyid") if isinstance(member, tuple) and len(member) == 2 else None
    return key_id if isinstance(key_id, str) and key_id else None


def verify_request(request: HttpRequest, body: bytes, signed: SignatureInput, public_key: Ed25519PublicKey) -> None:
    """Check 5: the signature by the key it names, then the body against the signed Content-Digest."""
    resolver = MappingKeyResolver(public_keys={signed.key_id: public_key}, private_keys={})
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=resolver)
    verifier.max_clock_skew = CLOCK_SKEW
    try:
        results = verifier.verify(request, max_age=MAX_AGE, require_components=REQUEST_COMPONENTS)
    except (InvalidSignature, HTTPMessageSignaturesException):
        raise SignatureRefused("signature_invalid", "The signature does not verify with the key it names") from None
    try:
        verifier.verify_body(request, results, body)
    except (InvalidSignature, HTTPMessageSignaturesException):
        raise SignatureRefused(
            "content_digest_mismatch", "The body does not match the signed Content-Digest: it changed after signing"
        ) from None


def verify_response(
    response: HttpResponse, body: bytes, public_keys: Mapping[str, Ed25519PublicKey], *, covers_request: bool = True
) -> str:
    """The key id that signed a response (one of `public_keys`), or InvalidSignature.

    For the exchange's own clients (the CLI) and tests; outside clients do the same with any RFC 9421 library.
    """
    resolver = MappingKeyResolver(public_keys=dict(public_keys), private_keys={})
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=resolver)
    required: tuple[str, ...] = RESPONSE_COMPONENTS
    if covers_request:
        request = response.request
        label = next(iter(_dictionary(request.headers, "signature"))) if request is not None else LABEL
        required += (f'"signature";req;key="{label}"',)
    results = verifier.verify(response, max_age=MAX_AGE, require_components=required, body=body)
    key_id = results[0].parameters["keyid"]
    assert isinstance(key_id, str)
    return key_id
