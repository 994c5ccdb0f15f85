"""The 72-hour sending timeout and the retention purge."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from govplatform.core.interfaces import utcnow
from govplatform.core.platform import Platform
from govplatform.notify.models import DailyStat, Notification
from govplatform.notify.services import housekeeping
from govplatform.notify.services import settings as notify_settings
from tests.helpers import CLI
from tests.integration.notify.support import live_service


async def add(platform: Platform, service_id: uuid.UUID, age: dt.timedelta, **fields: object) -> uuid.UUID:
    notification_id = uuid.uuid4()
    values: dict[str, object] = {
        "id": notification_id, "service_id": service_id, "template_id": uuid.uuid4(), "template_version": 1,
        "key_type": "normal", "type": "email", "recipient": "a@example.com", "normalised_recipient": "a@example.com",
        "status": "delivered", "created_at": utcnow() - age, "personalisation": "sealed", "billable_units": 0,
    }  # fmt: skip
    values.update(fields)
    async with platform.uow() as uow:
        uow.session.add(Notification(**values))
        await uow.commit()
    return notification_id


async def status(platform: Platform, notification_id: uuid.UUID) -> str | None:
    async with platform.uow(read_only=True) as uow:
        row = await uow.session.get(Notification, notification_id)
        return None if row is None else row.status


async def test_messages_still_sending_after_72_hours_become_temporary_failures(platform: Platform) -> None:
    service_id = await live_service(platform)
    stuck = await add(platform, service_id, dt.timedelta(hours=73), status="sending")
    pending = await add(platform, service_id, dt.timedelta(hours=80), status="pending", type="sms")
    recent = await add(platform, service_id, dt.timedelta(hours=71), status="sending")
    letter = await add(platform, service_id, dt.timedelta(days=5), status="sending", type="letter")
    async with platform.uow() as uow:
        assert await housekeeping.time_out_sending(uow, platform.cipher) == 2
        await uow.commit()
    assert await status(platform, stuck) == "temporary-failure"
    assert await status(platform, pending) == "temporary-failure"
    assert await status(platform, recent) == "sending"
    assert await status(platform, letter) == "sending", "letters are the print contractor's to report"


async def test_the_purge_deletes_expired_messages_and_keeps_their_counts(platform: Platform) -> None:
    service_id = await live_service(platform)
    old = [await add(platform, service_id, dt.timedelta(days=8), type="sms", billable_units=2) for _ in range(3)]
    failed = await add(platform, service_id, dt.timedelta(days=8), status="permanent-failure")
    kept = await add(platform, service_id, dt.timedelta(days=6))
    async with platform.uow() as uow:
        assert await housekeeping.purge_batch(uow) == 4
        await uow.commit()
    for notification_id in [*old, failed]:
        assert await status(platform, notification_id) is None
    assert await status(platform, kept) == "delivered"
    async with platform.uow(read_only=True) as uow:
        stats = (await uow.session.scalars(select(DailyStat).where(DailyStat.service_id == service_id))).all()
    counted = {(s.type, s.status): (s.count, s.billable_units) for s in stats}
    assert counted == {("sms", "delivered"): (3, 6), ("email", "permanent-failure"): (1, 0)}


async def test_each_service_keeps_messages_for_its_own_retention_period(platform: Platform) -> None:
    long_keeper = await live_service(platform, "Keeps a month")
    short_keeper = await live_service(platform, "Keeps three days")
    async with platform.uow() as uow:
        await notify_settings.change_limits(uow, CLI, long_keeper, "Keeps a month", retention_days=30)
        await notify_settings.change_limits(uow, CLI, short_keeper, "Keeps three days", retention_days=3)
        await uow.commit()
    month_old = await add(platform, long_keeper, dt.timedelta(days=20))
    four_days = await add(platform, short_keeper, dt.timedelta(days=4))
    async with platform.uow() as uow:
        await housekeeping.purge_batch(uow)
        await uow.commit()
    assert await status(platform, month_old) == "delivered"
    assert await status(platform, four_days) is None


async def test_a_second_purge_of_the_same_day_adds_to_the_counts(platform: Platform) -> None:
    service_id = await live_service(platform)
    when = dt.timedelta(days=10)
    await add(platform, service_id, when)
    async with platform.uow() as uow:
        await housekeeping.purge_batch(uow)
        await uow.commit()
    await add(platform, service_id, when)
    async with platform.uow() as uow:
        await housekeeping.purge_batch(uow)
        await uow.commit()
    async with platform.uow(read_only=True) as uow:
        [stat] = (await uow.session.scalars(select(DailyStat).where(DailyStat.service_id == service_id))).all()
    assert stat.count == 2
