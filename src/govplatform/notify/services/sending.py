"""Accepting a notification: Notify's checks in Notify's order, then one row and one job.

The checks follow notifications-api's post_notification (https://github.com/alphagov/notifications-api,
app/v2/notifications/post_notifications.py): the template must exist, belong
to the service and suit the channel; every placeholder needs a value; the
content must fit; a team key or a trial-mode service may send only to the team
and the guest list, and never letters. Test keys skip the team rules and their
messages are never handed to a provider.

An accepted notification is a row and a delivery job added to the caller's
unit of work, so both commit together or not at all: nothing accepted is
lost, and nothing is sent that was not accepted. Smoke-test recipients are
checked like any other and then dropped, as Notify drops them.
"""

from __future__ import annotations

import dataclasses
import json
import math
import uuid
from collections.abc import Mapping

from sqlalchemy import select

from govplatform.core.interfaces import AuthenticatedKey, SecretBox, ServiceDirectory, UnitOfWork, enqueue_job, utcnow
from govplatform.notify.errors import NotifyError, bad_request, validation_error
from govplatform.notify.models import GuestListEntry, Notification
from govplatform.notify.services import content, senders
from govplatform.notify.services.settings import ServicePolicy
from govplatform.notify.services.templates import TemplateSnapshot, get_template
from govplatform.notify.templates import precompiled
from govplatform.notify.templates.letter import ADDRESS_LINE_KEYS, PostalAddress

TRIAL_MODE_URL = "https://www.notifications.service.gov.uk/trial-mode"
SMOKE_TEST_NUMBERS = frozenset({"447700900000", "447700900111", "447700900222"})
SMOKE_TEST_EMAILS = frozenset(f"simulate-delivered{suffix}@notifications.service.gov.uk" for suffix in ("", "-2", "-3"))
CHANNEL_NAMES = {"email": "emails", "sms": "text messages", "letter": "letters"}
DELIVERY_TASKS = {"email": "notify.deliver_email", "sms": "notify.deliver_sms"}
SIMULATE_TASK = "notify.simulate_delivery"


@dataclasses.dataclass(frozen=True)
class SendRequest:
    type: str  # email, sms, letter
    template_id: uuid.UUID
    recipient: str  # as given (email, phone); "" for letters
    normalised_recipient: str  # lower-cased email, international number; "" for letters
    personalisation: Mapping[str, object]
    reference: str | None = None
    one_click_unsubscribe_url: str | None = None
    international: bool = False
    rate_multiplier: float = 1.0
    reply_to_id: uuid.UUID | None = None  # email_reply_to_id or sms_sender_id


@dataclasses.dataclass(frozen=True)
class Accepted:
    id: uuid.UUID
    template: TemplateSnapshot | None  # None for a precompiled letter
    filled: content.FilledTemplate | None
    stored: bool  # False for smoke-test recipients
    postage: str | None = None
    reply_to: str | None = None  # the email's reply-to address, or the text's sender


async def find_template(uow: UnitOfWork, service_id: uuid.UUID, template_id: uuid.UUID, kind: str) -> TemplateSnapshot:
    template = await get_template(uow, service_id, template_id)
    if template is None or template.archived:
        raise bad_request("Template not found")
    if template.type != kind:
        raise bad_request(f"{template.type} template is not suitable for {kind} notification")
    return template


async def team_and_guests(uow: UnitOfWork, team: ServiceDirectory, service_id: uuid.UUID) -> set[str]:
    guests = await uow.session.scalars(select(GuestListEntry.recipient).where(GuestListEntry.service_id == service_id))
    return set(await team.member_emails(uow, service_id)) | {guest.lower() for guest in guests.all()}


@dataclasses.dataclass(frozen=True)
class Sending:
    """Who is sending: an API key, or a staff member sending a one-off message from the admin pages."""

    service_id: uuid.UUID
    key_type: str  # normal, team, test
    api_key_id: uuid.UUID | None = None
    created_by_name: str | None = None

    @classmethod
    def by_key(cls, key: AuthenticatedKey) -> Sending:
        return cls(key.service.id, key.key_type, key.key_id)


async def check_recipient_allowed(
    uow: UnitOfWork, team: ServiceDirectory, key: Sending, policy: ServicePolicy, request: SendRequest
) -> None:
    """A team key, or any non-test key of a trial-mode service, sends only to the team and guest list.

    Smoke-test recipients work with any key (notify.md section 3): they are never sent to.
    """
    if key.key_type == "test" or (request.type != "letter" and is_smoke_test(request)):
        return
    if request.type == "letter":
        if key.key_type == "team":
            raise bad_request("Cannot send letters with a team api key", status_code=403)
        if policy.restricted:
            raise bad_request(f"Cannot send letters when service is in trial mode - see {TRIAL_MODE_URL}", 403)
        return
    if key.key_type != "team" and not policy.restricted:
        return
    if request.normalised_recipient in await team_and_guests(uow, team, key.service_id):
        return
    if key.key_type == "team":
        raise bad_request("Can’t send to this recipient using a team-only API key")
    raise bad_request(f"Can’t send to this recipient when service is in trial mode – see {TRIAL_MODE_URL}")


def check_letter_address(personalisation: Mapping[str, object], policy: ServicePolicy) -> PostalAddress:
    address = PostalAddress.from_personalisation(personalisation, allow_international=policy.international_letters)
    problem = address.error()
    if problem is not None:
        raise validation_error(problem)
    return address


def is_smoke_test(request: SendRequest) -> bool:
    return request.normalised_recipient in SMOKE_TEST_NUMBERS or request.normalised_recipient in SMOKE_TEST_EMAILS


class Sender:
    """Accepts notifications for a service; built once per process by the composition root."""

    def __init__(self, box: SecretBox, team: ServiceDirectory, email_domain: str) -> None:
        self._box = box
        self._team = team
        self.email_domain = email_domain

    def from_email(self, policy: ServicePolicy) -> str:
        return f"{policy.email_sender_local_part}@{self.email_domain}"

    async def accept(
        self, uow: UnitOfWork, key: AuthenticatedKey | Sending, policy: ServicePolicy, request: SendRequest
    ) -> Accepted:
        """Check and store one notification; a staff member's one-off sends pass a `Sending` with their name."""
        key = Sending.by_key(key) if isinstance(key, AuthenticatedKey) else key
        template = await find_template(uow, key.service_id, request.template_id, request.type)
        filled = content.fill(
            template,
            request.personalisation,
            sms_prefix=policy.sms_prefix,
            unsubscribe_url=request.one_click_unsubscribe_url,
        )
        postage = None
        recipient, normalised = request.recipient, request.normalised_recipient
        if request.type == "letter":
            address = check_letter_address(request.personalisation, policy)
            postage = address.postage.value if address.international else template.postage
            recipient = normalised = address.lines[0]
        if request.type == "sms" and request.international and not policy.international_sms:
            raise bad_request("Cannot send to international mobile numbers")
        await check_recipient_allowed(uow, self._team, key, policy, request)
        reply_to = None
        if request.type == "email":
            reply_to = await senders.reply_to_for(uow, key.service_id, request.reply_to_id)
        elif request.type == "sms":
            reply_to = await senders.sms_sender_for(uow, key.service_id, request.reply_to_id, policy.sms_sender)
        notification_id = uuid.uuid4()
        if is_smoke_test(request):
            return Accepted(notification_id, template, filled, stored=False, postage=postage, reply_to=reply_to)
        now = utcnow()
        uow.session.add(
            Notification(
                id=notification_id,
                service_id=key.service_id,
                template_id=template.id,
                template_version=template.version,
                api_key_id=key.api_key_id,
                created_by_name=key.created_by_name,
                key_type=key.key_type,
                type=request.type,
                recipient=recipient[:320],
                normalised_recipient=normalised[:320],
                reference=request.reference,
                personalisation=self.seal(notification_id, request.personalisation),
                status="created",
                created_at=now,
                billable_units=filled.sms.fragment_count if filled.sms else 0,
                international=request.international,
                rate_multiplier=request.rate_multiplier,
                postage=postage,
                one_click_unsubscribe_url=request.one_click_unsubscribe_url,
                reply_to=reply_to,
            )
        )
        await self._enqueue(uow, notification_id, request.type, key.key_type)
        return Accepted(notification_id, template, filled, stored=True, postage=postage, reply_to=reply_to)

    async def check_precompiled(
        self, content_b64: str
    ) -> precompiled.PrecompiledLetter | precompiled.PrecompiledLetterError:
        """Read a precompiled letter's PDF in a separate process, before any transaction (see accept_precompiled)."""
        return await precompiled.check_precompiled(content_b64)

    async def accept_precompiled(
        self,
        uow: UnitOfWork,
        key: AuthenticatedKey,
        policy: ServicePolicy,
        reference: str,
        content_b64: str,
        postage: str | None,
        checked: precompiled.PrecompiledLetter | precompiled.PrecompiledLetterError | None = None,
    ) -> Accepted:
        """A letter the service made itself, as a PDF: checked as Notify checks it, stored encrypted.

        A PDF Notify cannot read is refused at once (400). One it can read but would not
        print (too long, not A4, no address in the window) is accepted and then fails with
        validation-failed, as Notify reports it after its checks.

        The PDF is read in a separate process (``precompiled.check_precompiled``). A caller
        holding a write transaction should do that first and pass ``checked``, so that no
        lock is held while a PDF is read; its outcome is reported here, in Notify's order.
        """
        sending = Sending.by_key(key)
        letter_request = SendRequest("letter", uuid.UUID(int=0), "", "", {}, reference)
        await check_recipient_allowed(uow, self._team, sending, policy, letter_request)
        status, pages, address = "created", 0, ""
        letter = checked if checked is not None else await precompiled.check_precompiled(content_b64)
        if isinstance(letter, precompiled.PrecompiledLetterError):
            if letter.code is None:
                raise bad_request(letter.message)
            status, pages = "validation-failed", letter.page_count or 0
        else:
            pages = letter.pages
            if not letter.has_address or letter.address.error() is not None:
                status = "validation-failed"
            address = letter.address_lines[0] if letter.address_lines else ""
        notification_id = uuid.uuid4()
        now = utcnow()
        uow.session.add(
            Notification(
                id=notification_id,
                service_id=sending.service_id,
                template_id=None,
                template_version=0,
                api_key_id=sending.api_key_id,
                key_type=sending.key_type,
                type="letter",
                recipient=(address or "Provided as PDF")[:320],
                normalised_recipient=(address or "Provided as PDF")[:320].lower(),
                reference=reference,
                status=status,
                created_at=now,
                completed_at=now if status != "created" else None,
                billable_units=math.ceil(pages / 2),
                postage=postage or "second",
                document=self._box.encrypt_text(content_b64, str(notification_id)),
            )
        )
        if status == "created" and sending.key_type == "test":
            await enqueue_job(uow, SIMULATE_TASK, {"notification_id": str(notification_id)})
        return Accepted(notification_id, None, None, stored=True, postage=postage or "second")

    async def _enqueue(self, uow: UnitOfWork, notification_id: uuid.UUID, kind: str, key_type: str) -> None:
        payload = {"notification_id": str(notification_id)}
        if key_type == "test":
            await enqueue_job(uow, SIMULATE_TASK, payload)
        elif kind in DELIVERY_TASKS:
            await enqueue_job(uow, DELIVERY_TASKS[kind], payload)
        # Live letters wait for the next print run, which collects every letter still "created".

    def seal(self, notification_id: uuid.UUID, personalisation: Mapping[str, object]) -> str:
        return self._box.encrypt_text(json.dumps(dict(personalisation)), str(notification_id))

    def unseal(self, notification_id: uuid.UUID, sealed: str | None) -> dict[str, object]:
        if not sealed:
            return {}
        values = json.loads(self._box.decrypt_text(sealed, str(notification_id)))
        return values if isinstance(values, dict) else {}


def address_lines(personalisation: Mapping[str, object]) -> dict[str, str | None]:
    """line_1..line_6 and postcode, as Notify's notification object shows a letter's address."""
    lines = {f"line_{n}": _text(personalisation.get(f"address_line_{n}")) for n in range(1, 7)}
    postcode = personalisation.get("postcode")
    if postcode is None:
        postcode = personalisation.get(ADDRESS_LINE_KEYS[-1])
    return {**lines, "postcode": _text(postcode)}


def _text(value: object) -> str | None:
    return None if value is None else str(value)


__all__ = ["Accepted", "NotifyError", "SendRequest", "Sender", "Sending", "address_lines", "find_template"]
