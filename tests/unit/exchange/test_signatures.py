"""The exchange's RFC 9421 rules: what a request's signature must cover and say, and each refusal's code."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from http_message_signatures import HTTPMessageSigner, InvalidSignature, MappingKeyResolver, algorithms
from starlette.datastructures import MutableHeaders

from govplatform.exchange.keys import KeyId, raw_public, thumbprint
from govplatform.exchange.signatures import (
    HttpRequest,
    HttpResponse,
    SignatureRefused,
    read_signature_input,
    sign_request,
    sign_response,
    verify_request,
    verify_response,
)

URL = "https://platform.example.gov.uk/api/exchange/v1/queries"
BODY = b'{"agreement_id":"a","purpose":"p","subject":{"scheme":"nino","value":"QQ123456C"},"fields":["make"]}'
KEY = Ed25519PrivateKey.generate()
KEY_ID = str(KeyId(uuid.UUID("6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"), thumbprint(raw_public(KEY.public_key()))))


def _request(body: bytes = BODY) -> HttpRequest:
    request = HttpRequest("POST", URL, MutableHeaders(headers={"content-type": "application/json"}))
    sign_request(request, body, KEY_ID, KEY, secrets.token_urlsafe(24))
    return request


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _refused(request: HttpRequest, body: bytes = BODY, *, now: dt.datetime | None = None) -> str:
    with pytest.raises(SignatureRefused) as refused:
        signed = read_signature_input(request.headers, now or _now())
        verify_request(request, body, signed, KEY.public_key())
    return refused.value.code


def _library_signed(components: tuple[str, ...], **options: object) -> HttpRequest:
    """A request signed by the library directly, to make the signatures our own signer never would."""
    request = HttpRequest("POST", URL, MutableHeaders(headers={"content-type": "application/json"}))
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={KEY_ID: KEY}),
    )
    signer.sign(request, key_id=KEY_ID, covered_component_ids=components, body=BODY, **options)  # type: ignore[arg-type]
    return request


def test_a_request_signed_as_the_exchange_asks_is_read_and_verifies() -> None:
    request = _request()
    signed = read_signature_input(request.headers, _now())
    verify_request(request, BODY, signed, KEY.public_key())
    assert signed.key_id == KEY_ID and len(signed.nonce) >= 16
    assert signed.components == ("@method", "@target-uri", "content-digest", "content-type")


def test_a_request_with_no_signature_is_refused_as_missing() -> None:
    assert (
        _refused(HttpRequest("POST", URL, MutableHeaders(headers={"content-type": "application/json"})))
        == "signature_missing"
    )


def test_a_forged_signature_is_refused_as_invalid() -> None:
    request = _request()
    signed = read_signature_input(request.headers, _now())
    with pytest.raises(SignatureRefused) as refused:
        verify_request(request, BODY, signed, Ed25519PrivateKey.generate().public_key())
    assert refused.value.code == "signature_invalid"


def test_a_body_changed_after_signing_is_refused_as_a_digest_mismatch() -> None:
    assert _refused(_request(), BODY.replace(b"make", b"colour")) == "content_digest_mismatch"


def test_a_request_sent_to_another_address_than_it_was_signed_for_does_not_verify() -> None:
    request = _request()
    request.url = URL.replace("platform.example", "elsewhere.example")
    assert _refused(request) == "signature_invalid"


def test_a_signature_that_leaves_out_a_required_component_is_refused() -> None:
    request = _library_signed(("@method", "@target-uri", "content-digest"), nonce="n" * 20, label="sig1")
    assert _refused(request) == "signature_components"


def test_two_signatures_on_one_request_are_refused() -> None:
    request = _request()
    second = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={KEY_ID: KEY}),
    )
    second.sign(
        request, key_id=KEY_ID, label="sig2", nonce="m" * 20, append_if_signature_exists=True, body=BODY,
        use_existing_digest=True,
        covered_component_ids=("@method", "@target-uri", "content-digest", "content-type"),
    )  # fmt: skip
    assert _refused(request) == "signature_multiple"


def test_a_signature_older_than_sixty_seconds_is_refused_as_expired() -> None:
    assert _refused(_request(), now=_now() + dt.timedelta(seconds=61)) == "signature_expired"


def test_a_signature_made_in_the_future_is_refused() -> None:
    assert _refused(_request(), now=_now() - dt.timedelta(seconds=30)) == "signature_in_future"


@pytest.mark.parametrize("nonce", [None, "short", "x" * 129, "has spaces in it ok?"])
def test_a_missing_or_malformed_nonce_is_refused(nonce: str | None) -> None:
    components = ("@method", "@target-uri", "content-digest", "content-type")
    assert _refused(_library_signed(components, nonce=nonce, label="sig1")) == "nonce_invalid"


def test_another_algorithm_named_in_the_signature_is_refused_as_malformed() -> None:
    request = _request()
    request.headers["signature-input"] = request.headers["signature-input"].replace(
        'alg="ed25519"', 'alg="hmac-sha256"'
    )
    assert _refused(request) == "signature_malformed"


@pytest.mark.parametrize("value", ["sig1=(", "sig1=?1", 'sig1=("@method";req "content-type")'])
def test_a_signature_input_that_is_not_one_plain_inner_list_is_refused_as_malformed(value: str) -> None:
    request = _request()
    request.headers["signature-input"] = value
    assert _refused(request) in {"signature_malformed", "signature_components"}


def test_an_answer_signed_over_the_question_verifies_only_with_that_question() -> None:
    request = _request()
    answer = b'{"data":{"make":"FORD"}}'
    response = HttpResponse(200, MutableHeaders(headers={"content-type": "application/json"}), request)
    gateway = Ed25519PrivateKey.generate()
    gateway_id = str(KeyId(None, thumbprint(raw_public(gateway.public_key()))))
    sign_response(response, answer, gateway_id, gateway, request_label="sig1")
    assert verify_response(response, answer, {gateway_id: gateway.public_key()}) == gateway_id
    with pytest.raises(InvalidSignature):
        verify_response(response, answer.replace(b"FORD", b"AUDI"), {gateway_id: gateway.public_key()})
    response.request = _request()  # the same answer presented as the answer to another (freshly signed) question
    with pytest.raises(InvalidSignature):
        verify_response(response, answer, {gateway_id: gateway.public_key()})
