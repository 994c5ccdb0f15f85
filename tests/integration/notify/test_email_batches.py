"""Email delivery in job batches (ADR 0008), in process with the sandbox provider.

A batch reads its notifications once and records every outcome in one commit;
an email that cannot be made, or a provider that raises, must fail alone and
must not make the batch fail (which would send every email before it again).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import select, update

from govplatform.app import notify_component
from govplatform.core.jobs.worker import Worker
from govplatform.core.models import Job
from govplatform.core.platform import Platform
from govplatform.notify.models import Notification
from govplatform.notify.providers.base import EmailMessage, Outcome, SendResult
from govplatform.notify.services import settings as notify_settings
from govplatform.notify.services import templates
from govplatform.notify.services.sending import Sending, SendRequest
from tests.helpers import CLI
from tests.integration.notify.support import live_service


async def accept(platform: Platform, count: int) -> list[uuid.UUID]:
    service_id = await live_service(platform)
    sender = notify_component(platform).sender
    async with platform.uow() as uow:
        template = await templates.create_template(
            uow, CLI, service_id, "email", "Reminder", "Hello ((name)), your bin goes out on Tuesday.", "Bins"
        )
        policy = await notify_settings.policy_for(uow, service_id, "Bin collections")
        ids = []
        for n in range(count):
            recipient = f"resident.{n}@example.com"
            request = SendRequest("email", template.id, recipient, recipient, {"name": f"Resident {n}"})
            ids.append((await sender.accept(uow, Sending(service_id, "normal"), policy, request)).id)
        await uow.commit()
    return ids


async def statuses(platform: Platform, ids: list[uuid.UUID]) -> list[str]:
    async with platform.uow(read_only=True) as uow:
        found = dict((await uow.session.execute(select(Notification.id, Notification.status))).all())
    return [found[notification_id] for notification_id in ids]


def worker(platform: Platform) -> Worker:
    return Worker(platform.sessions, platform.tasks, platform.settings.model_copy(update={"worker_concurrency": 2}))


async def test_emails_are_delivered_in_batches_and_every_job_is_done(platform: Platform) -> None:
    ids = await accept(platform, 45)  # more than two batches of 20
    assert await worker(platform).run_until_idle() == 45
    assert await statuses(platform, ids) == ["delivered"] * 45
    folder = Path(platform.components["notify"].email_provider.folder)
    assert {path.stem for path in folder.glob("*.eml")} >= {str(notification_id) for notification_id in ids}
    async with platform.uow(read_only=True) as uow:
        kinds = (await uow.session.execute(select(Job.kind, Job.status))).all()
    assert {status for kind, status in kinds if kind == "notify.deliver_email"} == {"done"}


async def test_an_email_that_cannot_be_made_fails_alone_and_the_others_are_sent_once(platform: Platform) -> None:
    ids = await accept(platform, 5)
    async with platform.uow() as uow:  # its personalisation no longer decrypts
        await uow.session.execute(update(Notification).where(Notification.id == ids[2]).values(personalisation="x"))
        await uow.commit()
    component = platform.components["notify"]
    sent: list[uuid.UUID] = []
    original = component.email_provider

    class Counting:
        name = original.name

        async def send(self, message: EmailMessage) -> SendResult:
            sent.append(message.notification_id)
            return await original.send(message)

    component.email_provider = Counting()
    try:
        await worker(platform).run_until_idle()
    finally:
        component.email_provider = original
    assert await statuses(platform, ids) == ["delivered", "delivered", "technical-failure", "delivered", "delivered"]
    assert sorted(sent) == sorted([ids[0], ids[1], ids[3], ids[4]]), "each of the others sent once, no resend"


async def test_a_provider_that_raises_leaves_that_email_to_the_delivery_retries(platform: Platform) -> None:
    ids = await accept(platform, 3)
    component = platform.components["notify"]
    original = component.email_provider

    class Breaking:
        name = "smtp"

        async def send(self, message: EmailMessage) -> SendResult:
            if message.notification_id == ids[1]:
                raise RuntimeError("a bug in the provider")
            return SendResult(Outcome.DELIVERED, "smtp", "<ref>")

    component.email_provider = Breaking()
    try:
        await worker(platform).run_until_idle()
    finally:
        component.email_provider = original
    assert await statuses(platform, ids) == ["delivered", "created", "delivered"]
    async with platform.uow(read_only=True) as uow:
        queued = select(Job.payload).where(Job.kind == "notify.deliver_email", Job.status == "queued")
        retries = (await uow.session.scalars(queued)).all()
    assert [(payload["notification_id"], payload["attempt"]) for payload in retries] == [(str(ids[1]), 2)]
