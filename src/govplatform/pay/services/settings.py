"""A service's payment settings: its name on the payment pages, its return URL rules, its processor.

Every payment that is created reads the return URL rules, and every payment page
shows the service's name, so both are kept for 2 seconds in each process
(core's `ReadCache`) as `SettingsView`. A change made here is seen at once in
this process and within 2 seconds in the others. The admin pages read the row
itself (`settings_for`).
"""

from __future__ import annotations

import dataclasses
import uuid

from govplatform.core.interfaces import ReadCache, ServiceDirectory, UnitOfWork, forget_after_change, utcnow
from govplatform.pay.models import PaySettings


@dataclasses.dataclass(frozen=True)
class SettingsView:
    """What payments and their pages need of a service's settings, with the service's own name."""

    name_en: str | None
    name_cy: str | None
    return_url_prefixes: tuple[str, ...]
    allow_zero_amount: bool
    service_name: str  # from core's service directory: the header when no name is set for the pages

    def page_name(self, language: str) -> str:
        """The name on the payment pages in this language: the Welsh name, else the English, else the service's."""
        return (self.name_cy if language == "cy" and self.name_cy else self.name_en) or self.service_name


_VIEWS: ReadCache[tuple[uuid.UUID, bool], SettingsView] = ReadCache()  # by service, and whether a directory named it


async def settings_for(uow: UnitOfWork, service_id: uuid.UUID) -> PaySettings:
    """The service's settings; defaults (not stored) until someone changes them."""
    found = await uow.session.get(PaySettings, service_id)
    return found or PaySettings(service_id=service_id, return_url_prefixes="", live_processor="sandbox")


async def current(uow: UnitOfWork, directory: ServiceDirectory | None, service_id: uuid.UUID) -> SettingsView:
    """The service's settings as they stood at most 2 seconds ago (at once if changed in this process)."""

    async def read() -> SettingsView:
        found = await settings_for(uow, service_id)
        named = None if directory is None else await directory.describe(uow, service_id)
        return SettingsView(
            name_en=found.name_en,
            name_cy=found.name_cy,
            return_url_prefixes=return_url_prefixes(found),
            allow_zero_amount=bool(found.allow_zero_amount),
            service_name=named.name if named is not None else "",
        )

    return await _VIEWS.get((service_id, directory is not None), read)


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
    forget_after_change(uow, lambda: _VIEWS.forget_where(lambda key, _view: key[0] == service_id))
    return found
