"""A service's Notify settings: trial mode, limits, retention and senders.

A service that has never changed them has no row: it reads Notify's defaults
(trial mode, 3,000 requests a minute, 7 days' retention), so creating a
service in core needs nothing from notify, and a send never writes settings.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
import uuid

from govplatform.core.interfaces import N_, Actor, UnitOfWork, UserFacingError, record_audit
from govplatform.notify.models import NotifySettings

CHANNELS = ("email", "sms", "letter", "international_sms")
RETENTION_RANGE = (3, 90)


@dataclasses.dataclass(frozen=True)
class ServicePolicy:
    service_id: uuid.UUID
    restricted: bool
    rate_limit: int
    daily_limits: dict[str, int]
    retention_days: int
    email_sender_local_part: str
    sms_sender: str
    sms_prefix: str | None  # the service name in front of each text, or None
    letter_contact_block: str | None
    international_sms: bool
    international_letters: bool


def email_local_part(service_name: str) -> str:
    """An address-safe form of the service name, as Notify makes one ("Parking permits" -> "parking.permits")."""
    ascii_name = unicodedata.normalize("NFKD", service_name).encode("ascii", "ignore").decode().lower()
    dotted = re.sub(r"[^a-z0-9]+", ".", ascii_name).strip(".")
    return dotted[:64] or "notify"


def _defaults(service_id: uuid.UUID, service_name: str) -> NotifySettings:
    return NotifySettings(
        service_id=service_id,
        restricted=True,
        rate_limit=3000,
        email_daily_limit=250_000,
        sms_daily_limit=250_000,
        international_sms_daily_limit=100,
        letter_daily_limit=20_000,
        retention_days=7,
        email_sender_local_part=email_local_part(service_name),
        sms_sender="GOVUK",
        sms_prefix=True,
        letter_contact_block=None,
        international_sms=False,
        international_letters=False,
    )


def _policy(row: NotifySettings, service_name: str) -> ServicePolicy:
    return ServicePolicy(
        service_id=row.service_id,
        restricted=row.restricted,
        rate_limit=row.rate_limit,
        daily_limits={
            "email": row.email_daily_limit,
            "sms": row.sms_daily_limit,
            "letter": row.letter_daily_limit,
            "international_sms": row.international_sms_daily_limit,
        },
        retention_days=row.retention_days,
        email_sender_local_part=row.email_sender_local_part,
        sms_sender=row.sms_sender,
        sms_prefix=service_name if row.sms_prefix else None,
        letter_contact_block=row.letter_contact_block,
        international_sms=row.international_sms,
        international_letters=row.international_letters,
    )


async def policy_for(uow: UnitOfWork, service_id: uuid.UUID, service_name: str) -> ServicePolicy:
    row = await uow.session.get(NotifySettings, service_id)
    return _policy(row or _defaults(service_id, service_name), service_name)


async def change_limits(
    uow: UnitOfWork,
    actor: Actor,
    service_id: uuid.UUID,
    service_name: str,
    *,
    rate_limit: int | None = None,
    daily_limits: dict[str, int] | None = None,
    live: bool | None = None,
    retention_days: int | None = None,
) -> ServicePolicy:
    """Change a service's limits or take it out of trial mode (platform admins only: callers check)."""
    row = await uow.session.get(NotifySettings, service_id)
    if row is None:
        row = _defaults(service_id, service_name)
        uow.session.add(row)
    if rate_limit is not None:
        if not 1 <= rate_limit <= 1_000_000:
            raise UserFacingError(N_("The rate limit must be between 1 and 1,000,000 requests a minute"))
        row.rate_limit = rate_limit
    for channel, limit in (daily_limits or {}).items():
        if channel not in CHANNELS:
            raise UserFacingError(N_("Daily limits are for: %(channels)s"), channels=", ".join(CHANNELS))
        if not 0 <= limit <= 100_000_000:
            raise UserFacingError(N_("A daily limit must be between 0 and 100,000,000"))
        setattr(row, f"{channel}_daily_limit", limit)
    if live is not None:
        row.restricted = not live
    if retention_days is not None:
        low, high = RETENTION_RANGE
        if not low <= retention_days <= high:
            raise UserFacingError(N_("Keep messages for between %(low)s and %(high)s days"), low=low, high=high)
        row.retention_days = retention_days
    record_audit(uow, actor, "notify.limits_changed", "service", service_id, service_id)
    return _policy(row, service_name)
