"""Core's `Messages`: any component sends an email or a text from a template, as a real notification.

A message goes through the same `Sender.accept` as the API's sends and the
admin's test sends: Notify's checks, then a notification row and its delivery
job in the caller's unit of work, so it is sent only if the caller's change
commits, and it is listed in the sending service's sent messages like any
other. It is sent as a live ("normal") message of that service.

With no service named, it comes from the platform-owned notify service that
migration 0011 created with the platform: not in trial mode, its templates
found here by their fixed ids (so staff may edit every word, names included),
one per stable name, channel and language. A Welsh message falls back to the
English template only where no Welsh one exists. A caller that names a
service sends from that service's own templates, by id or by name, under that
service's rules (a trial-mode service still sends only to its team).

Why no rate-limit token here: the API's limits protect providers from a
service's own traffic; these messages follow a person's action (an
invitation, a sign-in), each already limited where it happens.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import select

from govplatform.core.interfaces import N_, MessageRefused, PlatformTemplate, ServiceDirectory, UnitOfWork
from govplatform.notify import recipients
from govplatform.notify.errors import NotifyError
from govplatform.notify.models import Notification, Template
from govplatform.notify.services import settings
from govplatform.notify.services.sending import Sender, Sending, SendRequest

# The platform-owned service and its templates, as migration 0011 (and later ones, where said) created them.
PLATFORM_SERVICE_ID = uuid.UUID("f6715e34-7f62-4088-acdf-5d9daaa1bff2")
PLATFORM_TEMPLATES: dict[tuple[str, str, str], uuid.UUID] = {
    (PlatformTemplate.STAFF_INVITATION, "email", "en"): uuid.UUID("4e361ac0-14a6-4dbd-8d53-f6e6d159b498"),
    (PlatformTemplate.STAFF_INVITATION, "email", "cy"): uuid.UUID("bc6c8824-9465-44d4-b2c8-633da375f878"),
    (PlatformTemplate.SERVICE_INVITATION, "email", "en"): uuid.UUID("435c609d-56de-4354-afd2-6129571e390f"),
    (PlatformTemplate.SERVICE_INVITATION, "email", "cy"): uuid.UUID("147dcb3c-361f-4270-8b6d-881382ab1ba0"),
    (PlatformTemplate.STAFF_PASSWORD_RESET, "email", "en"): uuid.UUID("9bf204e7-156e-42d9-8d6e-113d233fb64d"),
    (PlatformTemplate.STAFF_PASSWORD_RESET, "email", "cy"): uuid.UUID("56eb8ce1-8a62-4a53-bb48-2af24e054533"),
    (PlatformTemplate.CITIZEN_SIGN_IN_CODE, "email", "en"): uuid.UUID("d339143c-e9e0-45ae-9851-916028d8cad0"),
    (PlatformTemplate.CITIZEN_SIGN_IN_CODE, "email", "cy"): uuid.UUID("71c21cd1-fbbd-47e8-9cbf-d157ad14fe47"),
    (PlatformTemplate.CITIZEN_SIGN_IN_CODE, "sms", "en"): uuid.UUID("e9318774-4ac0-4e09-9781-e5a4c20d5758"),
    (PlatformTemplate.CITIZEN_SIGN_IN_CODE, "sms", "cy"): uuid.UUID("6920b70d-d34c-4829-bcf2-6b247a4f30ab"),
    # Migration 0014 added these.
    (PlatformTemplate.CITIZEN_SIGN_UP_CODE, "email", "en"): uuid.UUID("c1c9fbba-04bc-4ee0-940b-fb6b948896dd"),
    (PlatformTemplate.CITIZEN_SIGN_UP_CODE, "email", "cy"): uuid.UUID("e9ef6b30-3a1e-49d2-91a9-536f64e73ae8"),
    (PlatformTemplate.CITIZEN_ACCOUNT_EXISTS, "email", "en"): uuid.UUID("e11122d3-78f0-4c29-8174-ffd4e8e4dcfd"),
    (PlatformTemplate.CITIZEN_ACCOUNT_EXISTS, "email", "cy"): uuid.UUID("264ee68b-1ea1-498c-9cae-edf71de56aca"),
    # Migration 0015's, for a citizen's change of email address.
    (PlatformTemplate.CITIZEN_EMAIL_CHANGE_CODE, "email", "en"): uuid.UUID("2656a606-6e5d-484c-ab3f-087004ce50d1"),
    (PlatformTemplate.CITIZEN_EMAIL_CHANGE_CODE, "email", "cy"): uuid.UUID("5a8b5217-025b-4253-b41c-0211150b8830"),
    (PlatformTemplate.CITIZEN_EMAIL_IN_USE, "email", "en"): uuid.UUID("0e6d1c5e-ef3f-4319-900e-25d82743e139"),
    (PlatformTemplate.CITIZEN_EMAIL_IN_USE, "email", "cy"): uuid.UUID("1d6bb99c-cb4f-4b82-ab43-b0ae6012ac32"),
    # Migration 0016's, telling a citizen their account's security changed.
    (PlatformTemplate.CITIZEN_ACCOUNT_CHANGED, "email", "en"): uuid.UUID("4c5ad64d-62ba-4688-a091-79c4b484199a"),
    (PlatformTemplate.CITIZEN_ACCOUNT_CHANGED, "email", "cy"): uuid.UUID("51c3bd99-3217-43bf-bb8d-7e0f7def9e19"),
    # Migration 0019_identity_recovery's: a password reset link, and the notice that a lost factor's wait began.
    (PlatformTemplate.CITIZEN_PASSWORD_RESET, "email", "en"): uuid.UUID("c9b3bc90-13f6-4f69-896f-a81622f92234"),
    (PlatformTemplate.CITIZEN_PASSWORD_RESET, "email", "cy"): uuid.UUID("f0f6c81b-8963-433a-a409-7b7c89675a3d"),
    (PlatformTemplate.CITIZEN_FACTOR_RECOVERY, "email", "en"): uuid.UUID("4c8c544d-23d1-4061-b31c-44ecd68357b5"),
    (PlatformTemplate.CITIZEN_FACTOR_RECOVERY, "email", "cy"): uuid.UUID("30c59770-520b-4679-acf7-4ac57f29138c"),
}
NO_TEMPLATE = N_("There is no %(channel)s template called %(name)s")
NOT_SENT = N_("The message could not be sent: %(reason)s")


class PlatformMessages:
    """Notify's implementation of core's `Messages`; the composition root registers one per process."""

    def __init__(self, sender: Sender, directory: ServiceDirectory) -> None:
        self._sender = sender
        self._directory = directory

    async def send_email(
        self,
        uow: UnitOfWork,
        template: str,
        to: str,
        personalisation: Mapping[str, object],
        *,
        service_id: uuid.UUID | None = None,
        language: str = "en",
        reference: str | None = None,
    ) -> uuid.UUID:
        return await self._send(uow, "email", template, to, personalisation, service_id, language, reference)

    async def send_text(
        self,
        uow: UnitOfWork,
        template: str,
        to: str,
        personalisation: Mapping[str, object],
        *,
        service_id: uuid.UUID | None = None,
        language: str = "en",
        reference: str | None = None,
    ) -> uuid.UUID:
        return await self._send(uow, "sms", template, to, personalisation, service_id, language, reference)

    async def _send(
        self,
        uow: UnitOfWork,
        channel: str,
        template: str,
        to: str,
        personalisation: Mapping[str, object],
        service_id: uuid.UUID | None,
        language: str,
        reference: str | None,
    ) -> uuid.UUID:
        found = await self._template(uow, service_id, template, channel, language)
        request = _request(channel, found, to, personalisation, reference)
        return await self._accept(uow, service_id or PLATFORM_SERVICE_ID, request)

    async def status(self, uow: UnitOfWork, notification_id: uuid.UUID) -> str | None:
        found: str | None = await uow.session.scalar(
            select(Notification.status).where(Notification.id == notification_id)
        )
        return found

    async def _template(
        self, uow: UnitOfWork, service_id: uuid.UUID | None, name: str, channel: str, language: str
    ) -> uuid.UUID:
        if service_id is None:
            found = PLATFORM_TEMPLATES.get((name, channel, language)) or PLATFORM_TEMPLATES.get((name, channel, "en"))
            if found is None:
                raise MessageRefused(NO_TEMPLATE, channel=channel, name=name)
            return found
        try:
            return uuid.UUID(name)
        except ValueError:
            pass
        # A service's template by name: its Welsh version is the one named "<name> (cy)", as the platform's are.
        names = [f"{name} (cy)", name] if language == "cy" else [name]
        rows = await uow.session.execute(
            select(Template.id, Template.name).where(
                Template.service_id == service_id,
                Template.type == channel,
                Template.archived.is_(False),
                Template.name.in_(names),
            )
        )
        by_name = {row_name: template_id for template_id, row_name in rows.all()}
        for candidate in names:
            if candidate in by_name:
                return by_name[candidate]
        raise MessageRefused(NO_TEMPLATE, channel=channel, name=name)

    async def _accept(self, uow: UnitOfWork, service_id: uuid.UUID, request: SendRequest) -> uuid.UUID:
        service = await self._directory.describe(uow, service_id)
        if service is None:
            raise MessageRefused(NOT_SENT, reason="there is no such service")
        policy = await settings.policy_for(uow, service_id, service.name)
        try:
            accepted = await self._sender.accept(uow, Sending(service_id, "normal"), policy, request)
        except NotifyError as problem:
            raise MessageRefused(NOT_SENT, reason="; ".join(problem.messages)) from None
        return accepted.id


def _request(
    channel: str, template_id: uuid.UUID, to: str, personalisation: Mapping[str, object], reference: str | None
) -> SendRequest:
    """The send for one recipient, checked as the API checks it (a bad address is refused, not sent)."""
    if channel == "email":
        try:
            address = recipients.validate_email_address(to)
        except recipients.InvalidEmailError as error:
            raise MessageRefused(NOT_SENT, reason=str(error)) from None
        return SendRequest("email", template_id, address, address.lower(), personalisation, reference)
    try:
        number = recipients.validate_phone_number(to)
    except recipients.InvalidPhoneError as error:
        raise MessageRefused(NOT_SENT, reason=str(error)) from None
    return SendRequest(
        "sms",
        template_id,
        to.strip(),
        number.normalised,
        personalisation,
        reference,
        international=number.international and not number.crown_dependency,
        rate_multiplier=float(number.rate_multiplier),
    )
