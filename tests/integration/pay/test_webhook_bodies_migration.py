"""Migration 0006 seals the webhook message bodies already stored in clear, and its downgrade opens them."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from alembic import command
from sqlalchemy import select, text

from govplatform.core.migrate import alembic_config
from govplatform.core.platform import build_platform
from govplatform.pay.models import WebhookMessage
from govplatform.pay.services import webhooks
from tests.conftest import drop_database, make_settings, new_database
from tests.integration.pay.support import pay_of, pay_service
from tests.integration.pay.test_webhook_messages_at_rest import _subscription

BEFORE = "0005"  # the revision before 0006
LEGACY_BODY = (
    '{"webhook_message_id":"m","resource":{"email":"ada@example.org","card_details":{"cardholder_name":"Ada"}}}'
)
MESSAGE_ID = "legacymessage0000000000001"


async def test_bodies_stored_in_clear_are_sealed_by_the_upgrade_and_opened_by_the_downgrade(var_dir: Path) -> None:
    url = await new_database(var_dir)
    settings = make_settings(var_dir, url)
    config = alembic_config(settings)
    platform = build_platform(settings)
    try:
        hook_id = await _subscription(platform, await pay_service(platform))
        await platform.dispose()
        await asyncio.to_thread(command.downgrade, config, BEFORE)
        async with platform.uow() as uow:
            await uow.session.execute(
                text(
                    "INSERT INTO pay_webhook_messages (id, webhook_id, event_type, resource_id, body, status, "
                    "attempts, created_at) VALUES (:id, :hook, 'card_payment_started', 'r', :body, 'pending', 0, :at)"
                ),
                {"id": MESSAGE_ID, "hook": hook_id, "body": LEGACY_BODY, "at": dt.datetime.now(dt.UTC)},
            )
            await uow.commit()
        await platform.dispose()

        await asyncio.to_thread(command.upgrade, config, "head")
        async with platform.uow(read_only=True) as uow:
            raw = (await uow.session.execute(text("SELECT * FROM pay_webhook_messages"))).mappings().one()
            message = (await uow.session.scalars(select(WebhookMessage))).one()
        assert "ada@example.org" not in " ".join(str(value) for value in raw.values())
        assert webhooks.message_body(pay_of(platform).box, message) == LEGACY_BODY
        await platform.dispose()

        await asyncio.to_thread(command.downgrade, config, BEFORE)
        async with platform.uow(read_only=True) as uow:
            body = (await uow.session.execute(text("SELECT body FROM pay_webhook_messages"))).scalar_one()
        assert body == LEGACY_BODY
    finally:
        await platform.dispose()
        await drop_database(url)
