"""Every state-changing request that a browser session authenticates needs a CSRF token, whatever its content type.

A signed-in admin's browser can be made to send a POST with no Content-Type, or
a JSON one (fetch with `mode: "no-cors"` sends text/plain; a form cannot send
JSON, but a page script can once CORS is misconfigured). The token is the field
`csrf_token` of a form, or the `X-CSRF-Token` header of anything else. Routes
that authenticate another way are listed, each with its reason, in
`core/web/access.py`'s CSRF_EXEMPT; the walk below proves every other
state-changing route refuses a request without a token.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from govplatform.app import build_app
from govplatform.core.models import ApiKey
from govplatform.core.platform import Platform
from govplatform.core.services import api_keys
from govplatform.core.web import access
from govplatform.core.web.access import route_table
from govplatform.notify.models import ServiceCallback
from govplatform.pay.ids import new_external_id
from govplatform.pay.models import Webhook
from tests.helpers import CLI, csrf_from, ready_user, sign_in
from tests.integration.notify.support import live_service
from tests.integration.test_route_table import concrete

TOKEN_MISSING = "security token"
# The ways a cross-site page can make a signed-in browser post without our token.
UNTOKENED: dict[str, dict[str, Any]] = {
    "no content type": {"content": b"csrf_token=stolen-or-absent"},
    "JSON": {"json": {"csrf_token": "not-checked-in-json"}},
    "text/plain": {"content": b"x", "headers": {"Content-Type": "text/plain"}},
    "a form without its token": {"data": {"anything": "1"}},
}


async def admin(platform: Platform, client: httpx.AsyncClient) -> None:
    email = f"admin-{uuid.uuid4().hex[:6]}@example.gov.uk"
    _, secret = await ready_user(platform, email, platform_admin=True)
    assert (await sign_in(client, email, secret)).status_code == 303


async def state(platform: Platform, service_id: uuid.UUID, key_id: uuid.UUID, hook_id: str) -> tuple[Any, ...]:
    """What the four attacks would change: the key's revocation, the webhook's status and secret, the callback."""
    async with platform.uow(read_only=True) as uow:
        key = await uow.session.get(ApiKey, key_id)
        hook = await uow.session.get(Webhook, hook_id)
        assert key is not None and hook is not None
        stored = await uow.session.scalars(
            select(ServiceCallback.callback_type).where(ServiceCallback.service_id == service_id)
        )
        return key.revoked_at, hook.active, hook.signing_secret_encrypted, sorted(stored)


@pytest.mark.parametrize("kind", ["no content type", "JSON"])
async def test_a_signed_in_admins_browser_cannot_be_made_to_change_keys_webhooks_or_callbacks_without_a_token(
    platform: Platform, client: httpx.AsyncClient, kind: str
) -> None:
    service_id = await live_service(platform)
    async with platform.uow() as uow:
        key, _shown = await api_keys.create_key(uow, CLI, platform.platform_keys, service_id, "Case system")
        # A webhook and a callback as the admin pages store them (rows, so that the URL rules of those pages
        # are not what this test is about).
        hook_id = new_external_id()
        hook = Webhook(
            id=hook_id, service_id=service_id, live=False, callback_url="https://example.org/hook",
            event_types=["card_payment_captured"], active=True,
            signing_secret_encrypted=platform.cipher.encrypt_text("webhook_test_" + "0" * 32, f"pay-webhook:{hook_id}"),
        )  # fmt: skip
        callback_id = uuid.uuid4()
        callback = ServiceCallback(
            id=callback_id, service_id=service_id, callback_type="inbound_sms", url="https://example.gov.uk/in",
            bearer_token=platform.cipher.encrypt_text("x" * 12, str(callback_id)), updated_by="test",
        )  # fmt: skip
        uow.session.add_all([hook, callback])
        await uow.commit()
    await admin(platform, client)
    before = await state(platform, service_id, key.id, hook.id)
    assert before[0] is None and before[1] is True and before[3] == ["inbound_sms"]
    base = f"/admin/services/{service_id}"
    attacks = [
        f"{base}/api-keys/{key.id}/revoke",
        f"{base}/pay/test/webhooks/{hook.id}/deactivate",
        f"{base}/pay/test/webhooks/{hook.id}/secret",
        f"{base}/notify/callbacks/received-text-messages/remove",
    ]
    for path in attacks:
        refused = await client.post(path, **UNTOKENED[kind])
        assert refused.status_code == 403, f"{path} answered {refused.status_code} to a POST with {kind}"
        assert TOKEN_MISSING in refused.text
    assert await state(platform, service_id, key.id, hook.id) == before, "nothing changed"


async def test_a_script_on_the_platforms_own_pages_can_send_the_token_in_a_header(
    platform: Platform, client: httpx.AsyncClient
) -> None:
    service_id = await live_service(platform)
    async with platform.uow() as uow:
        key, _shown = await api_keys.create_key(uow, CLI, platform.platform_keys, service_id, "Case system")
        await uow.commit()
    await admin(platform, client)
    token = csrf_from((await client.get(f"/admin/services/{service_id}")).text)
    revoke = f"/admin/services/{service_id}/api-keys/{key.id}/revoke"
    wrong = await client.post(revoke, json={}, headers={"X-CSRF-Token": token[:-2] + "xx"})
    assert wrong.status_code == 403 and TOKEN_MISSING in wrong.text
    done = await client.post(revoke, json={}, headers={"X-CSRF-Token": token})
    assert done.status_code == 303
    async with platform.uow(read_only=True) as uow:
        assert (await uow.session.scalar(select(ApiKey.revoked_at).where(ApiKey.id == key.id))) is not None


async def test_every_state_changing_route_needs_a_token_unless_it_is_listed_as_exempt_with_a_reason(
    platform: Platform,
) -> None:
    app = build_app(platform.settings, platform)
    table = route_table(app.routes)
    exempt = [route for route in table if route[0] not in ("GET", "MOUNT") and access.csrf_exempt(route[1])]
    assert all(entry.reason.strip() for entry in access.CSRF_EXEMPT), "every exemption says why"
    for entry in access.CSRF_EXEMPT:
        assert any(re.match(entry.pattern, path) for _method, path in table), f"{entry.pattern} exempts no route"
    assert ("POST", "/v2/notifications/email") in exempt and ("POST", "/v1/payments") in exempt
    assert not any(path.startswith("/admin") for _method, path in exempt), "no admin page is exempt"
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    checked = 0
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await admin(platform, client)  # signed in, so a refusal can only be the missing token
        for method, path in table:
            if method in ("GET", "MOUNT") or (method, path) in exempt:
                continue
            for kind, request in UNTOKENED.items():
                response = await client.request(method, concrete(path), **request)
                assert response.status_code == 403 and TOKEN_MISSING in response.text, (
                    f"{method} {path} answered {response.status_code} to a request with {kind} and no token"
                )
            checked += 1
    assert checked >= 25
