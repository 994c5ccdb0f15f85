"""A service's reply-to email addresses and text message senders: added, made the default, removed.

Both follow Notify's admin: the first one added becomes the default, another
can be made the default at any time, and the default cannot be removed while
there are others (make another the default first). Removing archives the row,
because notifications already sent name the address they used.

A text message sender is what the phone shows as the sender: Notify's admin
allows 3 to 11 letters and numbers (the alphanumeric sender ID limit of the
SMS networks), or a UK mobile number that people can reply to, and refuses
IDs that start with 00 or that say only Alert, Info or Verify.
"""

from __future__ import annotations

import re
import uuid
from typing import TypeVar

from sqlalchemy import select

from govplatform.core.interfaces import N_, Actor, UnitOfWork, UserFacingError, record_audit, utcnow
from govplatform.notify import recipients
from govplatform.notify.errors import bad_request
from govplatform.notify.models import ReplyToAddress, SmsSender

SENDER_ID_LENGTH = (3, 11)
_SENDER_ID = re.compile(r"[A-Za-z0-9]+")
_PHONE_LIKE = re.compile(r"\+?[0-9 ()-]+")
_GENERIC_SENDER_IDS = frozenset({"alert", "info", "verify"})

Sender = ReplyToAddress | SmsSender
AnySender = TypeVar("AnySender", ReplyToAddress, SmsSender)


def checked_reply_to(text: str) -> str:
    value = text.strip()
    if not value:
        raise UserFacingError(N_("Enter a reply-to email address"))
    try:
        return recipients.validate_email_address(value)
    except recipients.InvalidEmailError:
        raise UserFacingError(N_("Enter an email address in the correct format, like name@example.gov.uk")) from None


def checked_sms_sender(text: str) -> str:
    """The sender as stored: the ID as typed, or a mobile number in its UK national form (07...)."""
    value = text.strip()
    if not value:
        raise UserFacingError(N_("Enter a text message sender ID"))
    if value.startswith("00"):
        raise UserFacingError(N_("A text message sender ID cannot start with 00"))
    if _PHONE_LIKE.fullmatch(value):
        try:
            number = recipients.validate_phone_number(value, international=False)
        except recipients.InvalidPhoneError:
            raise UserFacingError(N_("A text message sender that is a number must be a UK mobile number")) from None
        return "0" + number.normalised[2:]
    if not _SENDER_ID.fullmatch(value):
        raise UserFacingError(N_("A text message sender ID can only include letters and numbers"))
    low, high = SENDER_ID_LENGTH
    if not low <= len(value) <= high:
        raise UserFacingError(
            N_("A text message sender ID must be %(low)s to %(high)s characters long"), low=low, high=high
        )
    if value.lower() in _GENERIC_SENDER_IDS:
        raise UserFacingError(N_("A text message sender ID cannot be Alert, Info or Verify"))
    return value


async def _current(uow: UnitOfWork, model: type[AnySender], service_id: uuid.UUID) -> list[AnySender]:
    query = (
        select(model)
        .where(model.service_id == service_id, model.archived.is_(False))
        .order_by(model.is_default.desc(), model.created_at, model.id)
    )
    return list((await uow.session.scalars(query)).all())


async def reply_to_addresses(uow: UnitOfWork, service_id: uuid.UUID) -> list[ReplyToAddress]:
    return await _current(uow, ReplyToAddress, service_id)


async def sms_senders(uow: UnitOfWork, service_id: uuid.UUID) -> list[SmsSender]:
    return await _current(uow, SmsSender, service_id)


async def add_reply_to(uow: UnitOfWork, actor: Actor, service_id: uuid.UUID, text: str) -> ReplyToAddress:
    address = checked_reply_to(text)
    existing = await reply_to_addresses(uow, service_id)
    if any(row.email_address.lower() == address.lower() for row in existing):
        raise UserFacingError(N_("That reply-to email address is already set up"))
    row = ReplyToAddress(
        id=uuid.uuid4(),
        service_id=service_id,
        email_address=address,
        is_default=not existing,
        archived=False,
        created_at=utcnow(),
    )
    uow.session.add(row)
    record_audit(uow, actor, "notify.reply_to_added", "reply_to", row.id, service_id)
    return row


async def add_sms_sender(uow: UnitOfWork, actor: Actor, service_id: uuid.UUID, text: str) -> SmsSender:
    sender = checked_sms_sender(text)
    existing = await sms_senders(uow, service_id)
    if any(row.sms_sender.lower() == sender.lower() for row in existing):
        raise UserFacingError(N_("That text message sender is already set up"))
    row = SmsSender(
        id=uuid.uuid4(),
        service_id=service_id,
        sms_sender=sender,
        is_default=not existing,
        inbound_number=None,
        archived=False,
        created_at=utcnow(),
    )
    uow.session.add(row)
    record_audit(uow, actor, "notify.sms_sender_added", "sms_sender", row.id, service_id, sms_sender=sender)
    return row


async def _one(uow: UnitOfWork, model: type[AnySender], service_id: uuid.UUID, sender_id: uuid.UUID) -> AnySender:
    row = await uow.session.get(model, sender_id)
    if row is None or row.service_id != service_id or row.archived:
        raise LookupError("no such sender")
    return row


async def _make_default(uow: UnitOfWork, model: type[AnySender], service_id: uuid.UUID, sender_id: uuid.UUID) -> None:
    chosen = await _one(uow, model, service_id, sender_id)
    for row in await _current(uow, model, service_id):
        row.is_default = row.id == chosen.id


async def _remove(uow: UnitOfWork, model: type[AnySender], service_id: uuid.UUID, sender_id: uuid.UUID) -> None:
    row = await _one(uow, model, service_id, sender_id)
    if row.is_default and len(await _current(uow, model, service_id)) > 1:
        raise UserFacingError(N_("You cannot remove the default. Make another one the default first."))
    row.archived = True
    row.is_default = False


# Each audit event is named in full where it is recorded, so the test that every recorded event has a
# readable name (tests/unit/test_audit_names.py) can read them from the code.
async def make_default(uow: UnitOfWork, actor: Actor, kind: str, service_id: uuid.UUID, sender_id: uuid.UUID) -> None:
    """Make one reply-to address (kind "reply_to") or text message sender ("sms_sender") the default."""
    if kind == "reply_to":
        await _make_default(uow, ReplyToAddress, service_id, sender_id)
        record_audit(uow, actor, "notify.reply_to_made_default", "reply_to", sender_id, service_id)
    elif kind == "sms_sender":
        await _make_default(uow, SmsSender, service_id, sender_id)
        record_audit(uow, actor, "notify.sms_sender_made_default", "sms_sender", sender_id, service_id)
    else:
        raise LookupError(f"no such kind of sender: {kind}")


async def remove(uow: UnitOfWork, actor: Actor, kind: str, service_id: uuid.UUID, sender_id: uuid.UUID) -> None:
    """Archive a reply-to address (kind "reply_to") or a text message sender ("sms_sender")."""
    if kind == "reply_to":
        await _remove(uow, ReplyToAddress, service_id, sender_id)
        record_audit(uow, actor, "notify.reply_to_removed", "reply_to", sender_id, service_id)
    elif kind == "sms_sender":
        await _remove(uow, SmsSender, service_id, sender_id)
        record_audit(uow, actor, "notify.sms_sender_removed", "sms_sender", sender_id, service_id)
    else:
        raise LookupError(f"no such kind of sender: {kind}")


async def reply_to_for(uow: UnitOfWork, service_id: uuid.UUID, reply_to_id: uuid.UUID | None) -> str | None:
    """The reply-to address an email goes out with: the one asked for, else the service's default, else none.

    An unknown id is Notify's 400 BadRequestError "email_reply_to_id ... does not exist in database ...".
    """
    if reply_to_id is not None:
        row = await uow.session.get(ReplyToAddress, reply_to_id)
        if row is None or row.service_id != service_id or row.archived:
            message = f"email_reply_to_id {reply_to_id} does not exist in database for service id {service_id}"
            raise bad_request(message)
        return row.email_address
    return await uow.session.scalar(
        select(ReplyToAddress.email_address).where(
            ReplyToAddress.service_id == service_id, ReplyToAddress.is_default, ReplyToAddress.archived.is_(False)
        )
    )


async def sms_sender_for(uow: UnitOfWork, service_id: uuid.UUID, sender_id: uuid.UUID | None, fallback: str) -> str:
    """The sender a text goes out from: the one asked for, else the service's default, else `fallback`."""
    if sender_id is not None:
        row = await uow.session.get(SmsSender, sender_id)
        if row is None or row.service_id != service_id or row.archived:
            raise bad_request(f"sms_sender_id {sender_id} does not exist in database for service id {service_id}")
        return row.sms_sender
    found = await uow.session.scalar(
        select(SmsSender.sms_sender).where(
            SmsSender.service_id == service_id, SmsSender.is_default, SmsSender.archived.is_(False)
        )
    )
    return found or fallback
