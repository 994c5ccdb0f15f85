"""A service's guest list: people outside the team whom a trial-mode service or a team key may send to.

Notify's admin takes up to 5 email addresses and 5 mobile numbers. Entries
are stored normalised exactly as notifications store their recipients
(lower-case email, international number without '+'), because the sending
check compares the two as they are.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from govplatform.core.interfaces import N_, Actor, UnitOfWork, UserFacingError, record_audit, utcnow
from govplatform.notify import recipients
from govplatform.notify.models import GuestListEntry

MAX_PER_KIND = 5

# Our own wording for Notify's phone number checks, so the admin pages can show them in Welsh too.
PHONE_PROBLEMS = {
    recipients.PhoneErrorCode.INVALID_NUMBER: N_("Enter a mobile number in the correct format, like 07700 900 982"),
    recipients.PhoneErrorCode.TOO_LONG: N_("The mobile number has too many digits"),
    recipients.PhoneErrorCode.TOO_SHORT: N_("The mobile number does not have enough digits"),
    recipients.PhoneErrorCode.NOT_A_UK_MOBILE: N_("Enter a mobile number, not a landline"),
    recipients.PhoneErrorCode.UNKNOWN_CHARACTER: N_("A mobile number must not contain letters or symbols"),
    recipients.PhoneErrorCode.UNSUPPORTED_COUNTRY_CODE: N_("The country code of the mobile number is not valid"),
}


def normalised_guest(text: str) -> tuple[str, str]:
    """The kind of recipient ("email" or "mobile") and its stored form; UserFacingError if it is not valid."""
    value = text.strip()
    if not value:
        raise UserFacingError(N_("Enter an email address or a mobile number"))
    if "@" in value:
        try:
            return "email", recipients.validate_email_address(value).lower()
        except recipients.InvalidEmailError:
            raise UserFacingError(
                N_("Enter an email address in the correct format, like name@example.gov.uk")
            ) from None
    try:
        return "mobile", recipients.validate_phone_number(value, international=True).normalised
    except recipients.InvalidPhoneError as error:
        raise UserFacingError(PHONE_PROBLEMS[error.code]) from None


async def guests(uow: UnitOfWork, service_id: uuid.UUID) -> list[GuestListEntry]:
    query = (
        select(GuestListEntry)
        .where(GuestListEntry.service_id == service_id)
        .order_by(GuestListEntry.recipient_type, GuestListEntry.created_at, GuestListEntry.id)
    )
    return list((await uow.session.scalars(query)).all())


async def add_guest(uow: UnitOfWork, actor: Actor, service_id: uuid.UUID, text: str) -> GuestListEntry:
    kind, recipient = normalised_guest(text)
    existing = await guests(uow, service_id)
    if any(entry.recipient == recipient for entry in existing):
        raise UserFacingError(N_("That recipient is already on the guest list"))
    if sum(entry.recipient_type == kind for entry in existing) >= MAX_PER_KIND:
        if kind == "email":
            raise UserFacingError(N_("The guest list can have up to %(count)s email addresses"), count=MAX_PER_KIND)
        raise UserFacingError(N_("The guest list can have up to %(count)s mobile numbers"), count=MAX_PER_KIND)
    entry = GuestListEntry(
        id=uuid.uuid4(), service_id=service_id, recipient_type=kind, recipient=recipient, created_at=utcnow()
    )
    uow.session.add(entry)
    # The audit log names the kind only: a guest's address is personal data that the log would keep forever.
    record_audit(uow, actor, "notify.guest_added", "guest_list_entry", entry.id, service_id, kind=kind)
    return entry


async def remove_guest(uow: UnitOfWork, actor: Actor, service_id: uuid.UUID, entry_id: uuid.UUID) -> None:
    entry = await uow.session.get(GuestListEntry, entry_id)
    if entry is None or entry.service_id != service_id:
        raise LookupError("no such guest list entry")
    await uow.session.delete(entry)
    record_audit(
        uow, actor, "notify.guest_removed", "guest_list_entry", entry_id, service_id, kind=entry.recipient_type
    )
