"""The endpoints that bench/run.py measures. Components add theirs to SCENARIOS.

A scenario is one request repeated under load: a method, a path, headers and a
body, aimed at the yardstick or at the platform. A platform scenario names the
yardstick scenario it is divided by (`baseline`): "hello" for reads, "accept"
for endpoints that durably accept something (one INSERT and a commit is the
least such an endpoint can do).

`setup` runs once per run, after the database is migrated and before any
server starts. It gets a `Context` (which runs `govplatform` CLI commands
against the benchmark's own database) and returns the fields of the scenario
to replace, usually `headers` with a key in them, sometimes `path` or `body`
(an id created for the run). Setup must be idempotent within a run: use
`Context.shared` to create a thing once when several scenarios need it.

`started`, when a scenario needs something that only the running platform can
make (a payment, made through Pay's own API), runs once the servers answer. It
gets the scenario (as its setup left it) and the platform's base URL, and
returns fields to replace in the same way.

Adding an endpoint, for example Notify's send-email:

    Scenario(
        name="notify-send-email",
        server="platform",
        method="POST",
        path="/v2/notifications/email",
        headers={"Content-Type": "application/json"},
        body=b'{"template_id": "...", "email_address": "..."}',
        setup=notify_key_and_template,   # returns {"headers": {...}, "body": ...}
        baseline="accept",
    )
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal


@dataclasses.dataclass
class Context:
    """What a setup function may use: the CLI on the benchmark's database, and a shared dict."""

    govplatform: Path  # the `govplatform` command in the venv
    env: dict[str, str]  # GOVPLATFORM_* variables for the benchmark's var dir and database
    cwd: Path
    shared: dict[str, Any] = dataclasses.field(default_factory=dict)

    def cli(self, *args: str) -> dict[str, Any]:
        """Run `govplatform ARGS --json` and return the JSON object it prints."""
        finished = subprocess.run(
            [str(self.govplatform), *args, "--json"],
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if finished.returncode != 0:
            raise RuntimeError(f"govplatform {' '.join(args)} failed: {finished.stderr.strip() or finished.stdout}")
        result: dict[str, Any] = json.loads(finished.stdout)
        return result

    def platform_service(self) -> dict[str, str]:
        """One organisation and service for the run (created once): {"organisation_id", "service_id"}."""
        if "service" not in self.shared:
            organisation = self.cli("org", "create", "--name", "Benchmark public body")
            service = self.cli("service", "create", "--org", organisation["id"], "--name", "Benchmark service")
            self.shared["service"] = {"organisation_id": organisation["id"], "service_id": service["id"]}
        service_ids: dict[str, str] = self.shared["service"]
        return service_ids

    def platform_key(self) -> str:
        """A platform API key (gpk_...) on the run's service, created once."""
        if "platform_key" not in self.shared:
            service = self.platform_service()
            self.shared["platform_key"] = self.cli(
                "key", "create", "--service", service["service_id"], "--name", "Benchmark key"
            )["key"]
        key: str = self.shared["platform_key"]
        return key


Setup = Callable[[Context], dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    server: Literal["yardstick", "platform", "floor"]
    method: str
    path: str
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    body: bytes | None = None
    setup: Setup | None = None
    baseline: str | None = None  # the yardstick scenario this one's throughput is divided by
    note: str = ""
    # Headers made afresh before each run of the load (Notify's tokens are valid for 30 seconds only).
    fresh_headers: Callable[[], dict[str, str]] | None = None
    # Also measure latency under a paced load at half the measured peak (the p99 target).
    latency_at_half_peak: bool = False
    # Run once the servers answer: (the scenario, the server's base URL) -> the fields to replace.
    started: Callable[[Scenario, str], dict[str, Any]] | None = None

    @property
    def label(self) -> str:
        return f"{self.server} {self.method} {self.path}"


def notify_email(context: Context) -> dict[str, Any]:
    """A live service out of trial mode with its limits raised, a live key and a three-placeholder template."""
    from notifications_python_client.authentication import create_jwt_token

    service_id = context.platform_service()["service_id"]
    context.cli(
        "notify", "limits", "--service", service_id, "--live", "--rate-limit", "1000000",
        "--daily-limit", "email=100000000",
    )  # fmt: skip
    key = context.cli("notify", "key", "create", "--service", service_id, "--type", "live", "--name", "Bench")["key"]
    template = context.cli(
        "notify", "template", "create", "--service", service_id, "--type", "email", "--name", "Bench reminder",
        "--subject", "Your ((thing)) on ((day))", "--body", "Hello ((name)), your ((thing)) is due on ((day)).",
    )["id"]  # fmt: skip
    body = json.dumps(
        {
            "email_address": "resident@example.com",
            "template_id": template,
            "personalisation": {"name": "Ada", "thing": "permit renewal", "day": "Tuesday"},
            "reference": "bench",
        }
    ).encode()
    service, secret = key[-73:-37], key[-36:]
    return {
        "headers": {"Content-Type": "application/json"},
        "body": body,
        "fresh_headers": lambda: {"Authorization": f"Bearer {create_jwt_token(secret, service)}"},
    }


def pay_test_key(context: Context) -> dict[str, Any]:
    """A test key of a service (test keys reach the sandbox processor), as a service's back end sends it."""
    service_id = context.platform_service()["service_id"]
    key = context.cli("pay", "key", "create", "--service", service_id, "--mode", "test")["key"]
    return {"headers": {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}}


def notify_template(context: Context) -> dict[str, Any]:
    """The send's live key and template, for reading the template back (`GET /v2/template/{id}`)."""
    if "notify" not in context.shared:
        context.shared["notify"] = notify_email(context)
    found: dict[str, Any] = context.shared["notify"]
    template_id = json.loads(found["body"])["template_id"]
    return {"path": f"/v2/template/{template_id}", "fresh_headers": found["fresh_headers"]}


def a_payment(scenario: Scenario, base_url: str) -> dict[str, Any]:
    """One payment made through Pay's API with the scenario's key; the scenario then reads its events."""
    body = (
        b'{"amount": 2500, "reference": "BENCH-1", "description": "Benchmark", "return_url": "https://example.gov.uk/"}'
    )
    headers = {**scenario.headers, "Content-Type": "application/json"}
    # The benchmark's own server on 127.0.0.1, over http.
    sent = urllib.request.Request(base_url + "/v1/payments", data=body, method="POST", headers=headers)  # noqa: S310
    with urllib.request.urlopen(sent, timeout=30) as answer:  # noqa: S310
        payment_id = json.loads(answer.read())["payment_id"]
    return {"path": f"/v1/payments/{payment_id}/events"}


def with_platform_key(context: Context) -> dict[str, Any]:
    return {"headers": {"Authorization": f"Bearer {context.platform_key()}"}}


ACCEPT_BODY = b'{"reference": "bench-0001", "amount": 1250, "description": "Benchmark request"}'

YARDSTICK_SCENARIOS = [
    Scenario(
        name="hello",
        server="yardstick",
        method="GET",
        path="/hello",
        note="a constant JSON body: the web stack's ceiling",
    ),
    Scenario(
        name="accept",
        server="yardstick",
        method="POST",
        path="/accept",
        headers={"Content-Type": "application/json"},
        body=ACCEPT_BODY,
        note="read JSON, one INSERT, commit, 201",
    ),
]

SCENARIOS = [
    # the floor (bench/floor_app.py): the yardstick's own work inside the platform's web stack, through
    # the driver as the yardstick does it, and through the platform's unit of work as endpoints do it
    Scenario(
        name="floor-driver",
        server="floor",
        method="POST",
        path="/bench/floor/driver",
        headers={"Content-Type": "application/json"},
        body=ACCEPT_BODY,
        baseline="accept",
        note="the platform's web stack around the yardstick's INSERT, by the driver",
    ),
    Scenario(
        name="floor-unit-of-work",
        server="floor",
        method="POST",
        path="/bench/floor/unit-of-work",
        headers={"Content-Type": "application/json"},
        body=ACCEPT_BODY,
        baseline="accept",
        note="the platform's web stack around the yardstick's INSERT, by the unit of work",
    ),
    # the data path (core/data_path.py): one lookup of a platform key, never kept, by each of the unit of
    # work's three ways to the database
    *[
        Scenario(
            name=f"floor-key-{way}",
            server="floor",
            method="GET",
            path=f"/bench/floor/key-{way}",
            setup=with_platform_key,
            baseline="hello",
            note=f"one key lookup through {what}, nothing kept",
        )
        for way, what in [
            ("session", "the ORM session"),
            ("core", "Core on the unit's connection"),
            ("driver", "the driver on the unit's connection"),
        ]
    ],
    # core: the calling key's service (one keyed hash and one indexed lookup of the key per request)
    Scenario(
        name="platform-service",
        server="platform",
        method="GET",
        path="/api/platform/v1/service",
        setup=with_platform_key,
        baseline="hello",
        note="with a platform API key",
    ),
    # identity: the provider's discovery document and JWKS, as a relying party fetches them (One Login's
    # firewall, and so the provider, refuses a request without a User-Agent). The token exchange, /userinfo
    # and whole sign-in journeys need a code or a token of their own per request: bench/identity.py.
    Scenario(
        name="identity-discovery",
        server="platform",
        method="GET",
        path="/.well-known/openid-configuration",
        headers={"User-Agent": "govplatform-bench/1"},
        baseline="hello",
        note="the discovery document, built per request",
    ),
    Scenario(
        name="identity-jwks",
        server="platform",
        method="GET",
        path="/.well-known/jwks.json",
        headers={"User-Agent": "govplatform-bench/1"},
        baseline="hello",
        note="the published keys",
    ),
    # the key check of Notify's and Pay's formats, each with the cheapest read its API offers
    Scenario(
        name="notify-get-template",
        server="platform",
        method="GET",
        path="/v2/template/{id}",
        setup=notify_template,
        baseline="hello",
        note="an HS256 token signed with a live key's secret; one template read",
    ),
    Scenario(
        name="pay-payment-events",
        server="platform",
        method="GET",
        path="/v1/payments/{id}/events",
        setup=pay_test_key,
        started=a_payment,
        baseline="hello",
        note="a test key; one payment's events (the payment made through the API once the server is up)",
    ),
    # transparency: a service records one use of personal data; each request is its own
    # transaction that adds a pending entry (the sequencer integrates them in batches)
    Scenario(
        name="transparency-record-use",
        server="platform",
        method="POST",
        path="/api/transparency/v1/data-uses",
        headers={"Content-Type": "application/json"},
        body=(
            b'{"data_items": ["address", "vehicle registration"], "subject": "resident-1234",'
            b' "purpose": "Check the address is in a permit zone",'
            b' "legal_basis": "UK GDPR Article 6(1)(e)"}'
        ),
        setup=lambda context: {
            "headers": {"Content-Type": "application/json", **with_platform_key(context)["headers"]}
        },
        baseline="accept",
        note="append from concurrent writers, each in its own transaction",
    ),
    # notify: send an email with a three-placeholder template (a row and a delivery job in one commit)
    Scenario(
        name="notify-send-email",
        server="platform",
        method="POST",
        path="/v2/notifications/email",
        setup=notify_email,
        baseline="accept",
        latency_at_half_peak=True,
        note="live key, rate limit raised; one token per run (the load generator cannot sign)",
    ),
    # pay: create a payment (a payment row, its first ledger event and a next_url token in one commit)
    Scenario(
        name="pay-create-payment",
        server="platform",
        method="POST",
        path="/v1/payments",
        body=(
            b'{"amount": 2500, "reference": "PERMIT-1234", "description": "Resident parking permit",'
            b' "return_url": "https://parking.example.gov.uk/return/1234"}'
        ),
        setup=pay_test_key,
        baseline="accept",
        latency_at_half_peak=True,
        note="test key, sandbox processor",
    ),
]
