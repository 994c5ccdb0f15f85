"""Every machine API, fuzzed from its own OpenAPI document: no 5xx, no answer the document does not allow,
no traceback in the logs.

schemathesis reads /api/openapi.json (Notify's /v2, Pay's /v1, the platform
and transparency APIs, the SMS gateway's callbacks) and sends each operation
valid and invalid requests: its examples, the boundaries of each schema
(coverage) and random ones (fuzzing), in-process through the ASGI app on a
PostgreSQL database of the tier's own that seed.py filled. Hooks give every
call its credentials (a Notify token signed when the call is sent: Notify
refuses one older than 30 seconds), mix the seeded ids into path parameters
so GET-by-id paths are reached as well as refused, send acceptable bodies (a
real template, recipient or payment) with one of the fuzzer's fields at a
time so its value reaches the code behind the first checks and storage, and
put one hostile value into others (issue 13's lone surrogates, NUL, 1e400,
deep nesting).

A case fails on a 5xx, on a status, media type or body the document does not
give that operation, or on anything logged with a traceback or at error level
while it ran. Derandomized when CI is set, so a failure repeats. Budget:
MAX_EXAMPLES random examples per operation on top of the examples and
coverage phases; the whole tier took 2 min 36 s on the shared 2-core machine
(37 operations, 3,841 requests).
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
import structlog
from hypothesis import strategies as st
from notifications_python_client.authentication import create_jwt_token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from govplatform.app import build_app
from govplatform.core.platform import build_platform
from govplatform.core.settings import Settings
from tests.conftest import drop_database, is_postgres, make_settings, new_database
from tests.fuzz.seed import CALLBACK_SECRET, UNLIMITED, Seeded, seed
from tests.fuzz.tally import TAKES_NO_INPUT, TRIED

MAX_EXAMPLES = 60
MIN_EXAMPLES = 50
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Filled by the machine_apis fixture for the hooks below, which schemathesis calls with no fixtures at hand.
CREDENTIALS: dict[str, str] = {}
SEEDED_PATHS: dict[str, list[dict[str, str]]] = {}
TEMPLATES: dict[str, str] = {}


@pytest.fixture(scope="module")
async def seeded(var_dir: Path) -> AsyncIterator[tuple[Settings, Seeded]]:
    if not is_postgres():
        pytest.skip("the fuzzing tier runs on PostgreSQL only")
    url = await new_database(var_dir)
    settings = make_settings(
        var_dir,
        url,
        pay_rate_limit_create_per_second=UNLIMITED,
        pay_rate_limit_capture_per_second=UNLIMITED,
        pay_rate_limit_post_per_second=UNLIMITED,
        pay_rate_limit_get_per_second=UNLIMITED,
        notify_provider_callback_secret=CALLBACK_SECRET,
    )
    platform = build_platform(settings)
    try:
        found = await seed(platform)
    finally:
        await platform.dispose()
    yield settings, found
    schemathesis.python.asgi.shutdown_lifespans()  # the fuzzed app's engine lets go before its database goes
    await drop_database(url)


@pytest.fixture(scope="module")
def machine_apis(seeded: tuple[Settings, Seeded]) -> schemathesis.BaseSchema:
    settings, found = seeded
    CREDENTIALS.update(notify=found.notify_key, pay=found.pay_key, platform=found.platform_key)
    SEEDED_PATHS.update(found.path_parameters)
    TEMPLATES.update(found.templates)
    return schemathesis.openapi.from_asgi("/api/openapi.json", build_app(settings))


machine_apis_schema = schemathesis.pytest.from_fixture("machine_apis")


def _credentials(path: str) -> str | None:
    """The Authorization header an operation takes: a Notify token signed now, or the key or secret."""
    if path.startswith("/v2/"):
        key = CREDENTIALS["notify"]
        return f"Bearer {create_jwt_token(key[-36:], key[-73:-37])}"
    if path.startswith("/v1/"):
        return f"Bearer {CREDENTIALS['pay']}"
    if path.startswith("/api/"):
        return f"Bearer {CREDENTIALS['platform']}"
    if path.startswith("/notifications/sms/"):
        return "Basic " + base64.b64encode(f"gateway:{CALLBACK_SECRET}".encode()).decode()
    return None


@machine_apis_schema.auth(refresh_interval=None)  # not kept: get() runs for every case
class MachineApiAuth:
    """Every case is generated authenticated; `before_call` signs its Notify token again when it is sent."""

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str | None:
        return _credentials(case.operation.path)

    def set(self, case: schemathesis.Case, data: str | None, context: schemathesis.AuthContext) -> None:
        if data is not None:
            case.headers = {**(case.headers or {}), "Authorization": data}


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
    """A fresh Notify token for every call: the coverage phase builds its cases long before it sends them, and
    Notify refuses a token issued more than 30 seconds ago. A case sent without a token stays without."""
    headers = case.headers or {}
    if case.operation.path.startswith("/v2/") and "Authorization" in headers:
        case.headers = {**headers, "Authorization": _credentials(case.operation.path)}


@schemathesis.hook
def before_generate_path_parameters(
    context: schemathesis.HookContext, strategy: st.SearchStrategy[Any]
) -> st.SearchStrategy[Any]:
    """Ids that exist as well as the fuzzer's own: its values alone would only ever find "not found"."""
    operation = context.operation
    known = SEEDED_PATHS.get(operation.path, []) if operation is not None else []
    return st.one_of(st.sampled_from(known), strategy) if known else strategy


ACCEPTABLE_PAYMENT = {
    "amount": 2500,
    "reference": "PERMIT-1",
    "description": "Parking permit",
    "return_url": "https://service.example.gov.uk/done",
}


def _acceptable(path: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """A body the API accepts, built from what the fuzzer cannot guess (a template, a recipient, the
    placeholders, a valid payment) and the fuzzer's own personalisation; None for other operations."""
    given = body.get("personalisation")
    filled = {"name": "Sam", "thing": "permit", "code": "1234", **(given if isinstance(given, dict) else {})}
    if path == "/v2/notifications/email":
        return {"template_id": TEMPLATES["email"], "email_address": "someone@example.com", "personalisation": filled}
    if path == "/v2/notifications/sms":
        return {"template_id": TEMPLATES["sms"], "phone_number": "07700 900123", "personalisation": filled}
    if path == "/v2/notifications/letter":
        address = {"address_line_1": "A Person", "address_line_2": "1 High Street", "postcode": "SW1A 1AA"}
        return {"template_id": TEMPLATES["letter"], "personalisation": {**filled, **address}}
    if path == "/v2/template/{template_id}/preview":
        return {"personalisation": filled}
    if path == "/v1/payments":
        return dict(ACCEPTABLE_PAYMENT)
    if path == "/v1/payments/{payment_id}/refunds":
        return {"amount": 1}
    if path == "/v1/agreements":
        return {"reference": "AGREEMENT-1", "description": "Rent"}
    return None


# Values that broke the platform before (issue 13, faults 5 and 6) and that a JSON Schema generator seldom makes:
# a lone surrogate, NUL (PostgreSQL refuses it in text), CRLF where a header could be built, an integer of
# thousands of digits, and text of many four-byte characters.
HOSTILE: tuple[object, ...] = (
    "\ud800",
    "a\x00b",
    "Subject\r\nBcc: someone@example.com",
    10**4000,
    "\U0001f600" * 300,
)
_HUGE = "fuzz-number-too-large-for-a-float"
# Raw bodies no JSON encoder writes: a number a float cannot hold (Python reads 1e400 as infinity) and nesting
# deeper than a recursive parser or serialiser survives.
DEEP = b"[" * 50_000 + b"]" * 50_000


def _hostile(body: dict[str, Any]) -> st.SearchStrategy[Any]:
    """The body with one field, or one entry of an object field (personalisation, metadata), made hostile;
    or, as raw JSON, with 1e400 there; or nested too deep."""
    if not body:
        return st.just(DEEP)

    def poison(choice: tuple[str, object, bool]) -> Any:
        name, value, inside = choice
        field = body[name]
        poisoned = (
            {**body, name: {**field, "fuzz": value}} if inside and isinstance(field, dict) else {**body, name: value}
        )
        if value == _HUGE:
            return json.dumps(poisoned).replace(json.dumps(_HUGE), "1e400").encode()
        return poisoned

    return st.one_of(
        st.tuples(st.sampled_from(sorted(body)), st.sampled_from((*HOSTILE, _HUGE)), st.booleans()).map(poison),
        st.just(DEEP),
    )


@schemathesis.hook
def flatmap_body(context: schemathesis.HookContext, body: Any) -> st.SearchStrategy[Any]:
    """The fuzzer's body; an acceptable body with one of the fuzzer's fields in it (one field at a time, so
    that field's value is what the API meets, not whichever other field it checks first); and either with one
    hostile value."""
    path = context.operation.path if context.operation is not None else ""
    if not isinstance(body, dict) or not path.startswith(("/v1/", "/v2/", "/api/")):
        return st.just(body)  # the gateways' forms cannot carry the hostile values
    base = _acceptable(path, body)
    if base is None:
        return st.one_of(st.just(body), _hostile(body))
    singles = [base, *({**base, name: value} for name, value in body.items() if name not in base)]
    return st.one_of(st.sampled_from([body, *singles]), _hostile(body), _hostile(base))


class _Failures(logging.Handler):
    """Standard-library log records at error level or with a traceback."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.found.append(f"{record.name}: {record.getMessage()}")


@machine_apis_schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_every_machine_api_answers_as_its_document_says(case: schemathesis.Case) -> None:
    TRIED[f"{case.operation.method.upper()} {case.operation.path}"] += 1
    handler = _Failures()
    logging.getLogger().addHandler(handler)
    try:
        with structlog.testing.capture_logs() as captured:
            response = case.call()
    finally:
        logging.getLogger().removeHandler(handler)
    logged = handler.found + [
        str(entry) for entry in captured if entry.get("log_level") in ("error", "critical") or entry.get("exc_info")
    ]
    assert not logged, f"logged while answering {response.status_code}: {logged}"
    case.validate_response(response, checks=CHECKS)


def test_every_operation_was_tried_at_least_50_times(machine_apis: schemathesis.BaseSchema) -> None:
    if not TRIED:
        pytest.skip("the fuzzing test did not run in this session")
    few = {}
    for result in machine_apis.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if not list(operation.iter_parameters()) and not list(operation.body):
            TAKES_NO_INPUT.add(label)
        elif TRIED[label] < MIN_EXAMPLES:
            few[label] = TRIED[label]
    assert not few, f"operations tried fewer than {MIN_EXAMPLES} times: {few}"
