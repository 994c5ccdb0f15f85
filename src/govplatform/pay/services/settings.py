"""A service's payment settings: its name on the payment pages, its return URL rules, its processor."""

from __future__ import annotations

import uuid

from govplatform.core.interfaces import UnitOfWork, utcnow
from govplatform.pay.models import PaySettings


async def settings_for(uow: UnitOfWork, service_id: uuid.UUID) -> PaySettings:
    """The service's settings; defaults (not stored) until someone changes them."""
    found = await uow.session.get(PaySettings, service_id)
    return found or PaySettings(service_id=service_id, return_url_prefixes="", live_processor="sandbox")


def return_url_prefixes(settings: PaySettings) -> tuple[str, ...]:
    return tuple(line.strip() for line in (settings.return_url_prefixes or "").splitlines() if line.strip())


async def change(
    uow: UnitOfWork,
    service_id: uuid.UUID,
    *,
    name_en: str | None,
    name_cy: str | None,
    return_url_prefixes: str,
) -> PaySettings:
    found = await uow.session.get(PaySettings, service_id)
    if found is None:
        found = PaySettings(service_id=service_id, live_processor="sandbox", allow_zero_amount=False)
        uow.session.add(found)
    found.name_en = (name_en or "").strip() or None
    found.name_cy = (name_cy or "").strip() or None
    found.return_url_prefixes = "\n".join(line.strip() for line in return_url_prefixes.splitlines() if line.strip())
    found.updated_at = utcnow()
    await uow.session.flush()
    return found
