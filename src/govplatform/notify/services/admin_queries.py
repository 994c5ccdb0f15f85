"""What the admin pages read about sent messages: a filtered, searchable list, 50 a page.

Messages sent with a test key are left out, as Notify's admin leaves them out
of a service's sent messages: they were never sent to anyone. A search finds
a recipient by exact match on the normalised form the notification stores
(lower-case email, international number), which the index on
(service_id, normalised_recipient) serves, or a reference exactly as given.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Iterable

from sqlalchemy import or_, select

from govplatform.core.interfaces import UnitOfWork
from govplatform.notify import recipients
from govplatform.notify.models import Notification, Template
from govplatform.notify.services.reading import FAILED

PAGE_SIZE = 50
CHANNELS = ("email", "sms", "letter")
SHOWN_KEY_TYPES = ("normal", "team")
# The three groups Notify's admin counts and filters by.
STATUS_GROUPS: dict[str, tuple[str, ...]] = {
    "sending": ("created", "sending", "pending", "pending-virus-check"),
    "delivered": ("delivered", "sent", "returned-letter"),
    "failed": (*FAILED, "cancelled"),
}


def status_group(status: str) -> str:
    for group, statuses in STATUS_GROUPS.items():
        if status in statuses:
            return group
    return "sending"


def recipient_forms(text: str) -> list[str]:
    """The normalised recipients a search term could mean: an email address, a phone number, or neither."""
    forms = []
    with contextlib.suppress(recipients.InvalidEmailError):
        forms.append(recipients.validate_email_address(text).lower())
    with contextlib.suppress(recipients.InvalidPhoneError):
        forms.append(recipients.validate_phone_number(text, international=True).normalised)
    return forms


@dataclasses.dataclass(frozen=True)
class MessagePage:
    rows: list[Notification]
    page: int
    has_next: bool


async def sent_messages(
    uow: UnitOfWork,
    service_id: uuid.UUID,
    *,
    channel: str | None = None,
    group: str | None = None,
    search: str | None = None,
    page: int = 1,
) -> MessagePage:
    query = select(Notification).where(
        Notification.service_id == service_id, Notification.key_type.in_(SHOWN_KEY_TYPES)
    )
    if channel in CHANNELS:
        query = query.where(Notification.type == channel)
    if group in STATUS_GROUPS:
        query = query.where(Notification.status.in_(STATUS_GROUPS[group]))
    term = (search or "").strip()
    if term:
        forms = recipient_forms(term)
        matches = [Notification.reference == term]
        if forms:
            matches.append(Notification.normalised_recipient.in_(forms))
        query = query.where(or_(*matches))
    page = max(page, 1)
    query = (
        query.order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    rows = list((await uow.session.scalars(query)).all())
    return MessagePage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE)


async def template_names(
    uow: UnitOfWork, service_id: uuid.UUID, template_ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, str]:
    """The current names of the templates a page of messages was sent from."""
    wanted = {template_id for template_id in template_ids if template_id is not None}
    if not wanted:
        return {}
    rows = await uow.session.execute(
        select(Template.id, Template.name).where(Template.service_id == service_id, Template.id.in_(wanted))
    )
    return {row.id: row.name for row in rows}
