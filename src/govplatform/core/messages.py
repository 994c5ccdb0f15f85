"""Emails and text messages from templates, for any component: notify implements `Messages` (ADR 0013).

Part of what other components may use from core; they import it through `core/interfaces.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Protocol

from govplatform.core.language import UserFacingError
from govplatform.core.unit_of_work import UnitOfWork


class PlatformTemplate:
    """The platform's own message templates, by the stable names callers send them by.

    They belong to the platform-owned notify service (created with the platform, migration 0011), where staff
    edit their words in English and Welsh; what each expects in its personalisation is listed beside it.
    """

    STAFF_INVITATION = "staff-invitation"  # service_name, invited_by, setup_link, hours (a new person's set-up)
    SERVICE_INVITATION = "service-invitation"  # service_name, invited_by, sign_in_link (someone with an account)
    STAFF_PASSWORD_RESET = "staff-password-reset"  # noqa: S105 - a template name; reset_link, hours
    CITIZEN_SIGN_IN_CODE = "citizen-sign-in-code"  # code (an email template and a text message template)
    CITIZEN_SIGN_UP_CODE = "citizen-sign-up-code"  # code, service_name (creating an account, migration 0014)
    CITIZEN_ACCOUNT_EXISTS = "citizen-account-exists"  # service_name (sent instead of a sign-up code)
    CITIZEN_EMAIL_CHANGE_CODE = "citizen-email-change-code"  # code, minutes (to the new address)
    CITIZEN_EMAIL_IN_USE = "citizen-email-in-use"  # nothing (to an address that already has an account)
    CITIZEN_ACCOUNT_CHANGED = "citizen-account-changed"  # change (a sentence), account_link (migration 0016)
    CITIZEN_PASSWORD_RESET = "citizen-password-reset"  # noqa: S105 - a template name; reset_link, minutes (migration 0019)
    CITIZEN_FACTOR_RECOVERY = "citizen-factor-recovery"  # cancel_link, hours (a lost second factor's wait began)


class MessageRefused(UserFacingError):
    """A message could not be accepted (no such template, a recipient the service may not send to); nothing was
    added to the caller's unit of work."""


class Messages(Protocol):
    """Sending an email or a text message from a template, for any component (notify implements it).

    With no `service_id` the message is sent from the platform-owned notify service, whose templates are named
    by `PlatformTemplate` and exist in English and Welsh (`language`). A caller that names a service sends from
    that service's own templates instead, by the template's id or its name, under that service's rules (trial
    mode included). The message is added to the caller's unit of work, so it is sent only if the caller's change
    commits; the return value is the notification's id.
    """

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
    ) -> uuid.UUID: ...

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
    ) -> uuid.UUID: ...

    async def status(self, uow: UnitOfWork, notification_id: uuid.UUID) -> str | None:
        """Notify's status of the message (created, sending, delivered, permanent-failure, ...), or None."""
        ...
