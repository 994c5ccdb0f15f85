"""Bulk sending: a checked file of recipients becomes exactly one notification per row.

The file is checked whole before anything is stored (see spreadsheets.py).
Its rows are then stored encrypted in chunks of 1,000, with one job per
chunk, all in the transaction that creates the bulk send. A chunk's job
creates its notifications and their delivery jobs and deletes the chunk, in
one transaction: if the worker dies half-way, the transaction rolls back and
the chunk is still there for the next attempt; once it has committed, the
chunk is gone and a repeated job finds nothing to do. So each row becomes one
notification, whatever happens to the workers. Notification ids are also
derived from the bulk send and the row number, so even a bug that ran a
chunk twice could not store a row twice (the primary key would refuse it).
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

from sqlalchemy import select, update

from govplatform.core.interfaces import (
    N_,
    Actor,
    SecretBox,
    ServiceDirectory,
    UnitOfWork,
    UserFacingError,
    enqueue_job,
    enqueue_jobs,
    record_audit,
    utcnow,
)
from govplatform.notify.models import BulkChunk, BulkSend, Notification
from govplatform.notify.services import spreadsheets
from govplatform.notify.services.limits import SendingLimits
from govplatform.notify.services.sending import DELIVERY_TASKS, team_and_guests
from govplatform.notify.services.settings import ServicePolicy
from govplatform.notify.services.templates import TemplateSnapshot, get_template

CHUNK_ROWS = 1000
CHUNK_TASK = "notify.send_bulk_chunk"


@dataclasses.dataclass(frozen=True)
class Progress:
    id: uuid.UUID
    row_count: int
    processed_rows: int
    status: str


async def template_for(uow: UnitOfWork, service_id: uuid.UUID, template_id: uuid.UUID) -> TemplateSnapshot:
    template = await get_template(uow, service_id, template_id)
    if template is None or template.archived:
        raise UserFacingError(N_("There is no such template on this service"))
    return template


async def allowed_recipients(
    uow: UnitOfWork, directory: ServiceDirectory, service_id: uuid.UUID, policy: ServicePolicy
) -> set[str] | None:
    """Who a trial-mode service may send to (its team and guest list); None when it may send to anyone."""
    if not policy.restricted:
        return None
    return await team_and_guests(uow, directory, service_id)


def check_letters_allowed(template: TemplateSnapshot, policy: ServicePolicy) -> None:
    if template.type == "letter" and policy.restricted:
        raise UserFacingError(N_("A service in trial mode cannot send letters"))


async def create_bulk_send(
    uow: UnitOfWork,
    box: SecretBox,
    limits: SendingLimits,
    actor: Actor,
    policy: ServicePolicy,
    template: TemplateSnapshot,
    filename: str,
    checked: spreadsheets.CheckedFile,
) -> BulkSend:
    """Store a checked file's rows in chunks and queue a job for each; the caller commits."""
    if not checked.ok:
        raise UserFacingError(N_("Fix the errors in the file before sending it"))
    check_letters_allowed(template, policy)
    international = sum(1 for row in checked.rows if row.international)
    await limits.check_daily(uow, template.service_id, "normal", policy, template.type, len(checked.rows))
    if international:
        await limits.check_daily(uow, template.service_id, "normal", policy, "international_sms", international)
    bulk = BulkSend(
        id=uuid.uuid4(),
        service_id=template.service_id,
        template_id=template.id,
        template_version=template.version,
        type=template.type,
        postage=template.postage,
        original_file_name=filename[:255],
        row_count=len(checked.rows),
        processed_rows=0,
        status="in progress",
        created_by=actor.label,
        created_at=utcnow(),
    )
    uow.session.add(bulk)
    await uow.session.flush()  # the chunks refer to it
    for index, start in enumerate(range(0, len(checked.rows), CHUNK_ROWS)):
        rows = [dataclasses.asdict(row) for row in checked.rows[start : start + CHUNK_ROWS]]
        sealed = box.encrypt_text(json.dumps(rows), f"{bulk.id}/{index}")
        uow.session.add(BulkChunk(bulk_send_id=bulk.id, index=index, rows=sealed))
        await enqueue_job(uow, CHUNK_TASK, {"bulk_send_id": str(bulk.id), "index": index})
    await limits.record(uow, template.service_id, "normal", template.type, amount=len(checked.rows) - international)
    if international:
        await limits.record(uow, template.service_id, "normal", "sms", international=True, amount=international)
    record_audit(uow, actor, "notify.bulk_send_created", "bulk_send", bulk.id, template.service_id, rows=bulk.row_count)
    return bulk


def row_notification_id(bulk_send_id: uuid.UUID, row: int) -> uuid.UUID:
    return uuid.uuid5(bulk_send_id, str(row))


async def send_chunk(uow: UnitOfWork, box: SecretBox, payload: dict[str, Any]) -> int:
    """Create one chunk's notifications and delivery jobs, and delete the chunk; returns how many."""
    bulk_id, index = uuid.UUID(payload["bulk_send_id"]), int(payload["index"])
    chunk = await uow.session.get(BulkChunk, (bulk_id, index))
    bulk = await uow.session.get(BulkSend, bulk_id)
    if chunk is None or bulk is None:
        return 0  # already sent
    rows: list[dict[str, Any]] = json.loads(box.decrypt_text(chunk.rows, f"{bulk_id}/{index}"))
    now = utcnow()
    notifications = []
    for row in rows:
        notification_id = row_notification_id(bulk_id, int(row["row"]))
        notifications.append(
            Notification(
                id=notification_id,
                service_id=bulk.service_id,
                template_id=bulk.template_id,
                template_version=bulk.template_version,
                api_key_id=None,
                key_type="normal",
                type=bulk.type,
                recipient=str(row["recipient"])[:320],
                normalised_recipient=str(row["normalised"])[:320],
                personalisation=box.encrypt_text(json.dumps(row["personalisation"]), str(notification_id)),
                status="created",
                created_at=now,
                created_by_name=bulk.created_by,
                international=bool(row["international"]),
                rate_multiplier=float(row["rate_multiplier"]),
                postage=bulk.postage,
                job_id=bulk_id,
                job_row_number=int(row["row"]),
            )
        )
    uow.session.add_all(notifications)
    if bulk.type in DELIVERY_TASKS:
        await enqueue_jobs(uow, DELIVERY_TASKS[bulk.type], [{"notification_id": str(n.id)} for n in notifications])
    await uow.session.delete(chunk)
    await uow.session.flush()
    # The update locks the bulk send's row, so concurrent chunks add up one after another and
    # exactly one of them sees the total reach the row count.
    processed, total = (
        await uow.session.execute(
            update(BulkSend)
            .where(BulkSend.id == bulk_id)
            .values(processed_rows=BulkSend.processed_rows + len(rows))
            .returning(BulkSend.processed_rows, BulkSend.row_count)
            .execution_options(synchronize_session=False)
        )
    ).one()
    if processed >= total:
        await uow.session.execute(
            update(BulkSend)
            .where(BulkSend.id == bulk_id)
            .values(status="finished", finished_at=now)
            .execution_options(synchronize_session=False)
        )
    return len(rows)


async def progress(uow: UnitOfWork, service_id: uuid.UUID, bulk_send_id: uuid.UUID) -> Progress | None:
    bulk = await uow.session.get(BulkSend, bulk_send_id)
    if bulk is None or bulk.service_id != service_id:
        return None
    return Progress(bulk.id, bulk.row_count, bulk.processed_rows, bulk.status)


async def recent(uow: UnitOfWork, service_id: uuid.UUID, limit: int = 20) -> list[BulkSend]:
    query = select(BulkSend).where(BulkSend.service_id == service_id).order_by(BulkSend.created_at.desc())
    return list((await uow.session.scalars(query.limit(limit))).all())
