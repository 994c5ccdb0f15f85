"""A service's sending limits, trial mode and retention: platform admins only, everyone else gets a 403.

Taking a service out of trial mode and raising its limits is the platform
operator's decision (on GOV.UK Notify, its own team's), not the service's.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import Role, StaffMember, UserFacingError, localise, whole_number
from govplatform.core.interfaces import gettext_ as _
from govplatform.notify.pages.access import ServicePage, error, form_of, service_page, staff_member
from govplatform.notify.services import settings
from govplatform.notify.services.settings import RETENTION_RANGE

router = APIRouter()
PATH = "/admin/services/{service_id}/notify/limits"
DAILY_FIELDS = ("email", "sms", "letter", "international_sms")
NUMBER_FIELDS = ("rate_limit", *(f"{channel}_daily_limit" for channel in DAILY_FIELDS), "retention_days")
# Which field a rule's message is about, for the error summary's link.
_FIELD_OF_ERROR = {
    "The rate limit must be between 1 and 1,000,000 requests a minute": "rate_limit",
    "Keep messages for between %(low)s and %(high)s days": "retention_days",
}


async def _admin_page(request: Request, staff: StaffMember, service_id: uuid.UUID) -> ServicePage:
    staff.require_platform_admin()
    return await service_page(request, staff, service_id, Role.ADMIN)


async def _form(page: ServicePage, form: dict[str, str] | None, errors: list[dict[str, str]] | None = None) -> Response:
    if form is None:
        async with page.notify.uow(read_only=True) as uow:
            policy = await settings.policy_for(uow, page.service.id, page.service.name)
        form = {
            "rate_limit": str(policy.rate_limit),
            **{f"{channel}_daily_limit": str(policy.daily_limits[channel]) for channel in DAILY_FIELDS},
            "retention_days": str(policy.retention_days),
            "live": "no" if policy.restricted else "yes",
        }
    context = {
        "form": form,
        "errors": errors,
        "retention_range": RETENTION_RANGE,
        "saved": page.request.query_params.get("saved") == "1",
    }
    return page.render("notify/limits.html", context, status_code=400 if errors else 200)


@router.get(PATH)
async def limits_page(request: Request, service_id: uuid.UUID, staff: StaffMember = Depends(staff_member)) -> Response:
    return await _form(await _admin_page(request, staff, service_id), None)


@router.post(PATH)
async def change_limits(
    request: Request, service_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await _admin_page(request, staff, service_id)
    form = await form_of(request)
    numbers: dict[str, int] = {}
    errors = []
    for field in NUMBER_FIELDS:
        text = form.get(field, "").strip().replace(",", "")
        number = whole_number(text, maximum=999_999_999)
        if number is not None:
            numbers[field] = number
        else:
            errors.append(error(_("Enter a whole number"), field))
    if form.get("live") not in ("yes", "no"):
        errors.append(error(_("Select whether the service is live or in trial mode"), "live"))
    if errors:
        return await _form(page, form, errors)
    daily = {channel: numbers[f"{channel}_daily_limit"] for channel in DAILY_FIELDS}
    async with page.notify.uow() as uow:
        try:
            await settings.change_limits(
                uow,
                staff.actor,
                service_id,
                page.service.name,
                rate_limit=numbers["rate_limit"],
                daily_limits=daily,
                live=form["live"] == "yes",
                retention_days=numbers["retention_days"],
            )
        except UserFacingError as problem:
            field = _FIELD_OF_ERROR.get(problem.template) or next(
                (f"{channel}_daily_limit" for channel, limit in daily.items() if limit > 100_000_000), "rate_limit"
            )
            return await _form(page, form, [error(localise(problem), field)])
        await uow.commit()
    return RedirectResponse(f"{page.base}/limits?saved=1", status_code=303)
