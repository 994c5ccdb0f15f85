"""The OpenAPI document (/api/openapi.json) describes what the machine APIs really take and answer.

Notify's and Pay's routes read the raw request, so their request bodies and
query strings are described by hand (notify/openapi.py, pay/openapi.py). These
tests keep those descriptions faithful: each body names the fields the
published Notify and Pay specs name (alphagov/notifications-tech-docs' and
alphagov/pay-publicapi's, from the reference material: tests/reference.py), with every
difference listed here with its reason, and no machine API documents
FastAPI's own 422, which the web shell never sends. The fuzzing tier
(tests/fuzz/) then checks real answers against the document.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from govplatform.app import build_app
from tests.conftest import make_settings

MACHINE_PREFIXES = ("/v1/", "/v2/", "/api/", "/notifications/", "/transparency/")
# POSTs that take no body: Pay's cancel and capture, and an agreement's cancel.
NO_BODY = {
    "/v1/payments/{payment_id}/cancel",
    "/v1/payments/{payment_id}/capture",
    "/v1/agreements/{agreement_id}/cancel",
}
# Where a body here names other fields than the published spec, and why.
NOTIFY_BODY_DIFFERENCES = {
    # notifications-api's own request schemas (post_sms_request and the others) take `scheduled_for`; the
    # published spec leaves it out. The platform accepts it as Notify does (within the next 24 hours).
    ("/v2/notifications/sms", "scheduled_for"),
    ("/v2/notifications/email", "scheduled_for"),
    ("/v2/notifications/letter", "scheduled_for"),
}
# Where `required` here differs from Pay's spec (either way), and why.
PAY_REQUIRED_DIFFERENCES = {
    # The spec requires return_url; pay-publicapi needs it for web payments only and refuses it for moto_api and
    # agreement payments (requests.py, step 3), so a document that required it would refuse valid payments.
    ("/v1/payments", "return_url"),
    # The spec requires nothing of an agreement; pay-publicapi refuses one without a reference or a description
    # (400 P2101, pay.md section 4; requests.parse_create_agreement).
    ("/v1/agreements", "reference"),
    ("/v1/agreements", "description"),
}
# The platform honours Idempotency-Key on every POST that creates (issue 13 fault 4); Pay only on payments.
PAY_PARAMETER_DIFFERENCES = {
    ("/v1/payments/{payment_id}/refunds", ("Idempotency-Key", "header")),
    ("/v1/agreements", ("Idempotency-Key", "header")),
}
# Operations Pay publishes that the platform does not serve: the authorisation API for moto_api payments.
PAY_NOT_SERVED = {("post", "/v1/auth")}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    var_dir = tmp_path_factory.mktemp("openapi")
    settings = make_settings(var_dir, f"sqlite+aiosqlite:///{var_dir / 'unused.db'}")
    found: dict[str, Any] = build_app(settings).openapi()
    return found


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in document["paths"].items()
        if path.startswith(MACHINE_PREFIXES)
        for method, operation in operations.items()
    ]


def _json_body(operation: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = operation["requestBody"]["content"]["application/json"]["schema"]
    return schema


def _notify_file(reference_dir: Path, name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((reference_dir / "govuk-notify-openapi" / name).read_text(encoding="utf-8"))
    return found


def test_every_machine_api_post_documents_its_request_body(document: dict[str, Any]) -> None:
    undocumented = [
        f"{method.upper()} {path}"
        for method, path, operation in _operations(document)
        if method == "post" and path not in NO_BODY and "requestBody" not in operation
    ]
    assert not undocumented, f"POSTs whose document describes no body: {undocumented}"


def test_no_machine_api_documents_fastapis_own_422(document: dict[str, Any]) -> None:
    # The web shell answers a bad parameter with 400 in the API's own format; FastAPI's HTTPValidationError
    # body is never sent, so a document that promised it would mislead a client and a fuzzer alike.
    promised = [
        f"{method.upper()} {path}"
        for method, path, operation in _operations(document)
        if "HTTPValidationError" in json.dumps(operation.get("responses", {}))
    ]
    assert not promised, f"operations documenting FastAPI's 422 body: {promised}"


def test_every_documented_status_has_a_response_the_api_gives(document: dict[str, Any]) -> None:
    # FastAPI documents 200 for every route unless told otherwise; Notify's sends answer 201, Pay's creates
    # 201 (a refund 202) and its cancels 204.
    expected = {
        ("post", "/v2/notifications/email"): "201",
        ("post", "/v2/notifications/sms"): "201",
        ("post", "/v2/notifications/letter"): "201",
        ("post", "/v1/payments"): "201",
        ("post", "/v1/payments/{payment_id}/refunds"): "202",
        ("post", "/v1/agreements"): "201",
        ("post", "/v1/payments/{payment_id}/cancel"): "204",
        ("post", "/api/transparency/v1/data-uses"): "202",
    }
    for (method, path), status in expected.items():
        responses = document["paths"][path][method]["responses"]
        successes = sorted(code for code in responses if code.startswith("2"))
        assert status in successes, f"{method.upper()} {path} documents {successes}, not {status}"
        if not path.startswith("/v1/"):  # Pay's creates also answer an Idempotency-Key replay with 200
            assert successes == [status], f"{method.upper()} {path} documents {successes}"


@pytest.mark.parametrize(
    ("path", "reference_file", "variant"),
    [
        ("/v2/notifications/sms", "POST_notification_sms.json", None),
        ("/v2/notifications/email", "POST_notification_email.json", None),
        ("/v2/notifications/letter", "POST_notification_letter.json", 0),
        ("/v2/notifications/letter", "POST_notification_letter.json", 1),
        ("/v2/template/{template_id}/preview", "POST_template_preview.json", None),
    ],
)
def test_notify_bodies_name_the_fields_notify_publishes(
    document: dict[str, Any], reference_dir: Path, path: str, reference_file: str, variant: int | None
) -> None:
    schemas = _notify_file(reference_dir, "schema.json")["components"]["schemas"]
    body = _notify_file(reference_dir, reference_file)["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    published = schemas[ref.rsplit("/", 1)[-1]]
    ours = _json_body(document["paths"][path]["post"])
    if variant is not None:  # a letter: from a template, or precompiled
        published = schemas[published["oneOf"][variant]["$ref"].rsplit("/", 1)[-1]]
        ours = ours["oneOf"][variant]
    extra = {name for name in ours["properties"] if (path, name) not in NOTIFY_BODY_DIFFERENCES}
    assert extra == set(published["properties"]), f"{path}: ours {sorted(extra)}"
    assert set(ours["required"]) == set(published.get("required", [])), path


@pytest.mark.parametrize(
    ("path", "reference_file"),
    [
        ("/v2/notifications", "GET_data_for_messages.json"),
        ("/v2/templates", "GET_templates.json"),
        ("/v2/received-text-messages", "GET_received_text_messages.json"),
    ],
)
def test_notify_query_strings_name_the_parameters_notify_publishes(
    document: dict[str, Any], reference_dir: Path, path: str, reference_file: str
) -> None:
    published = {parameter["name"] for parameter in _notify_file(reference_dir, reference_file)["get"]["parameters"]}
    ours = {parameter["name"] for parameter in document["paths"][path]["get"]["parameters"]}
    assert ours == published


def _pay_spec(reference_dir: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((reference_dir / "govuk-pay-publicapi-openapi.json").read_text(encoding="utf-8"))
    return found


def _our_path(published: str) -> str:
    """Pay's {paymentId} is our {payment_id}."""
    return re.sub(r"\{(\w+)Id\}", lambda match: "{" + match.group(1) + "_id}", published)


def test_pay_operations_take_the_bodies_and_parameters_pay_publishes(
    document: dict[str, Any], reference_dir: Path
) -> None:
    spec = _pay_spec(reference_dir)
    for published_path, operations in spec["paths"].items():
        for method, published in operations.items():
            if (method, published_path) in PAY_NOT_SERVED:
                continue
            path = _our_path(published_path)
            assert method in document["paths"].get(path, {}), f"{method.upper()} {path} is not documented"
            ours = document["paths"][path][method]
            where = f"{method.upper()} {path}"
            wanted = {(p["name"], p["in"]) for p in published.get("parameters", []) if p["in"] != "path"}
            have = {(p["name"], p["in"]) for p in ours.get("parameters", []) if p["in"] != "path"}
            have -= {parameter for p, parameter in PAY_PARAMETER_DIFFERENCES if p == path and method == "post"}
            assert have == wanted, f"{where}: parameters {sorted(have)}, Pay's {sorted(wanted)}"
            if "requestBody" not in published:
                assert "requestBody" not in ours, where
                continue
            ref = published["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            schema = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
            body = _json_body(ours)
            branches = body.get("oneOf", [body])  # a payment: one branch per authorisation mode
            properties = set().union(*(branch["properties"] for branch in branches))
            assert properties == set(schema["properties"]), where
            always = set.intersection(*(set(branch["required"]) for branch in branches))
            required = set(schema.get("required", [])) ^ {name for p, name in PAY_REQUIRED_DIFFERENCES if p == path}
            assert always == required, where
