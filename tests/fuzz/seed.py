"""A service with something in every API, so the fuzzer reaches past "not found" on paths that take an id.

Seeded through the public APIs (and the card journey) on the fuzz tier's own
database, before the fuzzed app starts: templates of each kind, a notification
of each kind, a payment waiting for its card, a paid one with a refund, an
agreement, and one data use in the transparency log. The ids go into
`Seeded.path_parameters`, which the fuzzer mixes with its own values.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from govplatform.app import build_app
from govplatform.core.platform import Platform
from govplatform.core.services import api_keys
from govplatform.notify.services import settings as notify_settings
from tests.helpers import CLI
from tests.integration.notify.support import bearer as notify_bearer
from tests.integration.notify.support import live_service, notify_key, template
from tests.integration.pay.support import bearer as pay_bearer
from tests.integration.pay.support import pay_by_card, pay_key, pay_of, payment_body

CALLBACK_SECRET = "fuzz-gateway-secret"  # the tier's own setting, never a real secret
# Limits far above what one run sends, so the fuzzer meets the rules and not the rate limiter.
UNLIMITED = 1_000_000
DAILY = {"email": 100_000_000, "sms": 100_000_000, "letter": 100_000_000, "international_sms": 100_000_000}


@dataclasses.dataclass
class Seeded:
    notify_key: str
    pay_key: str
    platform_key: str
    path_parameters: dict[str, list[dict[str, str]]]
    templates: dict[str, str]  # kind -> a template of that kind


async def _ok(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, f"seeding {response.request.url.path}: {response.text}"
    body: dict[str, Any] = response.json()
    return body


async def seed(platform: Platform) -> Seeded:
    """Fill `platform`'s database through the app's own routes; the ids by path template."""
    service_id = await live_service(platform, "Fuzzed service")
    async with platform.uow() as uow:
        await notify_settings.change_limits(
            uow, CLI, service_id, "Fuzzed service", rate_limit=UNLIMITED, daily_limits=DAILY
        )
        await uow.commit()
    notify = await notify_key(platform, service_id)
    pay = await pay_key(platform, service_id)
    async with platform.uow() as uow:
        _, platform_key = await api_keys.create_key(uow, CLI, platform.platform_keys, service_id, "Case system")
        await uow.commit()
    email = await template(platform, service_id, "email", "Hello ((name))", "Your ((thing))")
    sms = await template(platform, service_id, "sms", "Your code is ((code))")
    letter = await template(platform, service_id, "letter", "Dear ((name))", "About your ((thing))")

    app = build_app(platform.settings, platform)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        sent = []
        for kind, body in (
            (
                "email",
                {
                    "email_address": "someone@example.com",
                    "template_id": str(email),
                    "personalisation": {"name": "Sam", "thing": "permit"},
                },
            ),
            ("sms", {"phone_number": "07700 900123", "template_id": str(sms), "personalisation": {"code": "1234"}}),
            (
                "letter",
                {
                    "template_id": str(letter),
                    "personalisation": {
                        "address_line_1": "A Person",
                        "address_line_2": "1 High Street",
                        "postcode": "SW1A 1AA",
                        "name": "Sam",
                        "thing": "permit",
                    },
                },
            ),
        ):
            response = await client.post(f"/v2/notifications/{kind}", json=body, headers=notify_bearer(notify))
            sent.append((await _ok(response, 201))["id"])
        headers = pay_bearer(pay)
        waiting = await _ok(await client.post("/v1/payments", json=payment_body(), headers=headers), 201)
        paid = await _ok(await client.post("/v1/payments", json=payment_body(amount=5000), headers=headers), 201)
        await pay_by_card(pay_of(platform), paid["_links"]["next_url"]["href"])
        refund = await _ok(
            await client.post(f"/v1/payments/{paid['payment_id']}/refunds", json={"amount": 100}, headers=headers), 202
        )
        agreement = await _ok(
            await client.post("/v1/agreements", json={"reference": "A-1", "description": "Rent"}, headers=headers), 201
        )
        use = {"data_items": ["address"], "subject": "resident-1", "purpose": "Fuzzing", "legal_basis": "Testing"}
        response = await client.post(
            "/api/transparency/v1/data-uses", json=use, headers={"Authorization": f"Bearer {platform_key}"}
        )
        await _ok(response, 202)
    await platform.components["transparency"].integrate_all()

    payments = [{"payment_id": waiting["payment_id"]}, {"payment_id": paid["payment_id"]}]
    templates = [{"template_id": str(found)} for found in (email, sms, letter)]
    return Seeded(
        notify_key=notify,
        pay_key=pay,
        platform_key=platform_key,
        templates={"email": str(email), "sms": str(sms), "letter": str(letter)},
        path_parameters={
            "/v2/notifications/{notification_id}": [{"notification_id": found} for found in sent],
            "/v2/notifications/{notification_id}/pdf": [{"notification_id": sent[2]}],
            "/v2/template/{template_id}": templates,
            "/v2/template/{template_id}/preview": templates,
            "/v2/template/{template_id}/version/{version}": [{**found, "version": "1"} for found in templates],
            "/notifications/sms/receipts/{provider}": [{"provider": "sandbox"}],
            "/notifications/sms/inbound/{provider}": [{"provider": "sandbox"}],
            "/v1/payments/{payment_id}": payments,
            "/v1/payments/{payment_id}/events": payments,
            "/v1/payments/{payment_id}/cancel": payments,
            "/v1/payments/{payment_id}/capture": payments,
            "/v1/payments/{payment_id}/refunds": payments,
            "/v1/payments/{payment_id}/refunds/{refund_id}": [
                {"payment_id": paid["payment_id"], "refund_id": refund["refund_id"]}
            ],
            "/v1/agreements/{agreement_id}": [{"agreement_id": agreement["agreement_id"]}],
            "/v1/agreements/{agreement_id}/cancel": [{"agreement_id": agreement["agreement_id"]}],
            "/transparency/entry/{index}": [{"index": "0"}],
            "/transparency/receipt/{index}": [{"index": "0"}],
            "/transparency/tile/{path}": [{"path": "0/000.p/1"}, {"path": "entries/000.p/1"}],
        },
    )
