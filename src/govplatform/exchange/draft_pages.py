"""Drafting a data-sharing agreement in the admin pages, as the consumer (issue 18 item 3): choose the dataset,
then the fields and the ICO code's terms. What the CLI's `exchange agreement create` does, for the people of
the organisation that will ask.

Anyone holding an organisation role may draft for that organisation, and a platform admin for any; the
provider's data owner and chief data officer then approve and sign it off (admin_pages.py). The form's own
checks (a field chosen, dates that are dates) are said beside each field, as GOV.UK's pattern asks; the
service's checks (services/agreements.py: the purpose's form, the basis, the Article 9 condition, dates in the
future) are said in the error summary. Two pages rather than one, so the fields offered are the dataset's and
the form works without JavaScript.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import (
    N_,
    OrganisationRef,
    StaffMember,
    find_organisations,
    gettext_,
    localise,
    staff_member,
)
from govplatform.exchange import register
from govplatform.exchange.admin_pages import exchange_of, in_organisation, render
from govplatform.exchange.component import AGREEMENTS_PAGE
from govplatform.exchange.register import item_name
from govplatform.exchange.services import agreements, datasets
from govplatform.exchange.services.agreements import AgreementError, Terms
from govplatform.exchange.services.datasets import DatasetView

router = APIRouter(include_in_schema=False)
NEW = AGREEMENTS_PAGE + "/new"
NOT_THE_PROVIDER = N_("You need a role in an organisation other than the provider to draft for it")
_DATE_ERRORS = {
    "review": (N_("Enter the date the agreement is next reviewed"),
               N_("The review date must be a real date, like 31 3 2027")),
    "expires": ("", N_("The expiry date must be a real date, like 31 3 2027")),
}  # fmt: skip
_TEXTS = {"purpose": 64, "description": 500, "basis": 120, "special_category_condition": 500, "retention": 2000,
          "security": 2000, "dpia_reference": 200}  # fmt: skip


async def _consumers(request: Request, staff: StaffMember, provider: uuid.UUID | None = None) -> list[OrganisationRef]:
    """The organisations this person may draft for: those they hold a role in (any, for a platform admin)."""
    async with exchange_of(request).uow(read_only=True) as uow:
        every = await find_organisations(uow)
    return [org for org in every if in_organisation(staff, org.id) and org.id != provider]


async def _dataset_choices(request: Request, staff: StaffMember) -> list[dict[str, Any]]:
    """Every dataset, with its provider and what it holds; a 403 for someone who may draft for no one."""
    if not await _consumers(request, staff):
        raise HTTPException(403, gettext_(N_("You need a role in an organisation to draft an agreement for it")))
    async with exchange_of(request).uow(read_only=True) as uow:
        found = await datasets.list_datasets(uow)
        owners = {org.id: org.name for org in await find_organisations(uow)}
    return [{"value": str(d.id), "text": f"{owners.get(d.organisation_id, '')}: {d.name}",
             "hint": {"text": ", ".join(item_name(f.data_item) for f in d.fields)}} for d in found]  # fmt: skip


@router.get(NEW)
async def choose_dataset(request: Request, staff: StaffMember = Depends(staff_member)) -> Response:
    choices = await _dataset_choices(request, staff)
    return render(request, "exchange/admin/choose_dataset.html", {"choices": choices})


@router.post(NEW)
async def dataset_chosen(request: Request, staff: StaffMember = Depends(staff_member)) -> Response:
    form = await request.form()
    try:
        return RedirectResponse(f"{NEW}/{uuid.UUID(str(form.get('dataset') or ''))}", status_code=303)
    except ValueError:
        errors = [{"text": gettext_("Select the dataset the agreement is for"), "href": "#dataset"}]
        choices = await _dataset_choices(request, staff)
        return render(request, "exchange/admin/choose_dataset.html", {"choices": choices, "errors": errors}, 400)


async def _dataset(request: Request, dataset_id: uuid.UUID) -> tuple[DatasetView, str]:
    async with exchange_of(request).uow(read_only=True) as uow:
        found = await datasets.find(uow, dataset_id)
        owners = await find_organisations(uow, [found.organisation_id]) if found else []
    if found is None:
        raise HTTPException(404, gettext_(N_("There is no dataset with that ID")))
    return found, owners[0].name if owners else ""


async def _form_page(
    request: Request, staff: StaffMember, dataset_id: uuid.UUID, values: dict[str, Any], errors: list[dict[str, str]],
    status_code: int = 200,
) -> Response:  # fmt: skip
    dataset, provider = await _dataset(request, dataset_id)
    consumers = await _consumers(request, staff, dataset.organisation_id)
    if not consumers:
        raise HTTPException(403, gettext_(NOT_THE_PROVIDER))
    chosen = set(values.get("fields", []))
    context = {
        "dataset": dataset, "provider": provider, "values": values, "errors": errors,
        "field_choices": [{"value": f.name, "text": item_name(f.data_item),
                           "hint": {"text": gettext_("Special category data") if f.special_category else f.name},
                           "checked": f.name in chosen} for f in dataset.fields],
        "consumer_choices": [{"value": str(org.id), "text": org.name,
                              "selected": str(org.id) == values.get("consumer")} for org in consumers],
        "role_choices": {party: [{"value": role, "text": gettext_(name),
                                  "selected": role == values.get(party, "controller")}
                                 for role, name in register.ROLES.items()]
                         for party in ("consumer_role", "provider_role")},
    }  # fmt: skip
    return render(request, "exchange/admin/draft.html", context, status_code)


@router.get(NEW + "/{dataset_id}")
async def draft_page(request: Request, dataset_id: uuid.UUID, staff: StaffMember = Depends(staff_member)) -> Response:
    return await _form_page(request, staff, dataset_id, {}, [])


@router.post(NEW + "/{dataset_id}")
async def draft_made(request: Request, dataset_id: uuid.UUID, staff: StaffMember = Depends(staff_member)) -> Response:
    form = await request.form()
    # Kept one past the limit, so a text that is too long is said to be, never cut short and saved.
    values: dict[str, Any] = {name: str(form.get(name) or "").strip()[: limit + 1] for name, limit in _TEXTS.items()}
    values["fields"] = [str(value) for value in form.getlist("fields")][:100]
    values["consumer"] = str(form.get("consumer") or "")
    for party in ("consumer_role", "provider_role"):
        values[party] = str(form.get(party) or "controller")[:20]
    for prefix in ("review", "expires"):
        values.update({f"{prefix}-{part}": str(form.get(f"{prefix}-{part}") or "").strip()[:4]
                       for part in ("day", "month", "year")})  # fmt: skip
    dataset, _ = await _dataset(request, dataset_id)
    consumers = {str(org.id): org for org in await _consumers(request, staff, dataset.organisation_id)}
    errors: list[dict[str, str]] = []
    for party, label in (("consumer_role", N_("Select the asking organisation's role")),
                         ("provider_role", N_("Select the providing organisation's role"))):  # fmt: skip
        if values[party] not in agreements.ROLES:
            errors.append({"text": gettext_(label), "href": f"#{party}"})
    if values["consumer"] not in consumers:
        errors.append({"text": gettext_("Select the organisation that will ask for the data"), "href": "#consumer"})
    if not values["fields"]:
        errors.append({"text": gettext_("Select the fields the agreement lets it ask for"), "href": "#fields"})
    for name, limit in _TEXTS.items():
        if len(values[name]) > limit:
            errors.append({"text": gettext_(N_("This is longer than %(limit)s characters")) % {"limit": limit},
                           "href": f"#{name}"})  # fmt: skip
    if not values["purpose"]:
        errors.append({"text": gettext_("Enter the purpose's code"), "href": "#purpose"})
    if not values["basis"]:
        errors.append({"text": gettext_("Enter the lawful basis"), "href": "#basis"})
    review, review_error = _date(values, "review", required=True)
    expires, expires_error = _date(values, "expires", required=False)
    errors += [error for error in (review_error, expires_error) if error]
    if errors:
        return await _form_page(request, staff, dataset_id, values, errors, 400)
    terms = Terms(
        consumer_id=uuid.UUID(values["consumer"]), dataset_id=dataset_id, fields=values["fields"],
        purpose=values["purpose"], basis=values["basis"], description=values["description"],
        special_category_condition=values["special_category_condition"] or None,
        retention=values["retention"] or None, security=values["security"] or None,
        dpia_reference=values["dpia_reference"] or None, review_on=review, expires_on=expires,
        consumer_role=values["consumer_role"], provider_role=values["provider_role"],
    )  # fmt: skip
    exchange = exchange_of(request)
    async with exchange.uow() as uow:
        try:
            made = await agreements.draft(uow, staff.actor, exchange.log, terms)
        except AgreementError as error:
            problem = [{"text": localise(error), "href": f"#{error.field}" if error.field else "#main-content"}]
            return await _form_page(request, staff, dataset_id, values, problem, 400)
        await uow.commit()
    return RedirectResponse(f"{AGREEMENTS_PAGE}/{made.id}", status_code=303)


def _date(values: dict[str, Any], prefix: str, *, required: bool) -> tuple[dt.date | None, dict[str, str] | None]:
    parts = [values[f"{prefix}-{part}"] for part in ("day", "month", "year")]
    missing, wrong = _DATE_ERRORS[prefix]
    if not any(parts):
        return None, ({"text": gettext_(missing), "href": f"#{prefix}-day"} if required else None)
    try:
        day, month, year = (int(part) for part in parts)
        return dt.date(year, month, day), None
    except ValueError:
        return None, {"text": gettext_(wrong), "href": f"#{prefix}-day"}
