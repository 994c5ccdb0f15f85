"""Message templates in the admin pages: listed by type, created, edited (each save a new version), previewed.

"Preview" re-renders the form with the filled-in preview and saves nothing,
so it works without JavaScript. Editors and admins change templates; viewers
see them and their history.
"""

from __future__ import annotations

import dataclasses
import uuid

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import Role, StaffMember, UserFacingError, localise, utcnow, whole_number
from govplatform.core.interfaces import gettext_ as _
from govplatform.notify.pages.access import ServicePage, error, form_of, service_page, staff_member
from govplatform.notify.pages.preview import preview_of
from govplatform.notify.services import settings, templates
from govplatform.notify.services.templates import TEMPLATE_TYPES, TemplateSnapshot

router = APIRouter()
PREFIX = "/admin/services/{service_id}/notify/templates"
_FIELD_OF_ERROR = {
    "Enter a template name": "name",
    "The template name must be 255 characters or fewer": "name",
    "Enter a subject": "subject",
}


async def _template(page: ServicePage, template_id: uuid.UUID, version: int | None = None) -> TemplateSnapshot:
    async with page.notify.uow(read_only=True) as uow:
        found = await templates.get_template(uow, page.service.id, template_id, version)
    if found is None:
        raise HTTPException(404, "There is no template with that ID")
    return found


async def _sms_prefix(page: ServicePage) -> str | None:
    async with page.notify.uow(read_only=True) as uow:
        policy = await settings.policy_for(uow, page.service.id, page.service.name)
    return policy.sms_prefix


@router.get(PREFIX)
async def template_list(
    request: Request,
    service_id: uuid.UUID,
    template_type: str = Query("", alias="type"),
    staff: StaffMember = Depends(staff_member),
) -> Response:
    page = await service_page(request, staff, service_id, Role.VIEWER)
    chosen = template_type if template_type in TEMPLATE_TYPES else None
    async with page.notify.uow(read_only=True) as uow:
        found = await templates.list_templates(uow, service_id, chosen)
    return page.render("notify/templates.html", {"templates": found, "chosen": chosen, "types": TEMPLATE_TYPES})


@router.get(PREFIX + "/new")
async def choose_type(request: Request, service_id: uuid.UUID, staff: StaffMember = Depends(staff_member)) -> Response:
    page = await service_page(request, staff, service_id, Role.EDITOR)
    return page.render("notify/choose_type.html", {"types": TEMPLATE_TYPES})


@router.post(PREFIX + "/new")
async def chosen_type(request: Request, service_id: uuid.UUID, staff: StaffMember = Depends(staff_member)) -> Response:
    page = await service_page(request, staff, service_id, Role.EDITOR)
    chosen = (await form_of(request)).get("template_type", "")
    if chosen not in TEMPLATE_TYPES:
        errors = [error(_("Select the type of template"), "template_type")]
        return page.render("notify/choose_type.html", {"types": TEMPLATE_TYPES, "errors": errors}, status_code=400)
    return RedirectResponse(f"{page.base}/templates/new/{chosen}", status_code=303)


def _draft(template_type: str, form: dict[str, str], current: TemplateSnapshot | None) -> TemplateSnapshot:
    """The form's template, unsaved: what Preview shows."""
    now = utcnow()
    base = current or TemplateSnapshot(
        id=uuid.uuid4(),
        service_id=uuid.uuid4(),
        type=template_type,
        name="",
        subject=None,
        content="",
        postage=None,
        letter_contact_block=None,
        version=0,
        archived=False,
        created_at=now,
        updated_at=None,
        created_by="",
    )
    return dataclasses.replace(
        base,
        name=form.get("name", ""),
        subject=form.get("subject") if template_type != "sms" else None,
        content=form.get("content", ""),
    )


async def _form_page(
    page: ServicePage,
    template_type: str,
    form: dict[str, str],
    current: TemplateSnapshot | None,
    errors: list[dict[str, str]] | None = None,
    preview: bool = False,
) -> Response:
    draft = _draft(template_type, form, current)
    shown = preview_of(draft, {}, sms_prefix=await _sms_prefix(page)) if preview else None
    action = f"{page.base}/templates/{current.id}/edit" if current else f"{page.base}/templates/new/{template_type}"
    context = {"draft": draft, "current": current, "action": action, "preview": shown, "errors": errors}
    return page.render("notify/template_form.html", context, status_code=400 if errors else 200)


async def _saved(
    page: ServicePage, form: dict[str, str], template_type: str, current: TemplateSnapshot | None
) -> Response:
    name, content = form.get("name", ""), form.get("content", "")
    subject = form.get("subject") if template_type != "sms" else None
    async with page.notify.uow() as uow:
        try:
            if current is None:
                saved = await templates.create_template(
                    uow, page.staff.actor, page.service.id, template_type, name, content, subject
                )
            else:
                saved = await templates.update_template(
                    uow,
                    page.staff.actor,
                    page.service.id,
                    current.id,
                    name,
                    content,
                    subject,
                    letter_contact_block=current.letter_contact_block,
                    archived=current.archived,
                )
        except UserFacingError as problem:
            field = _FIELD_OF_ERROR.get(problem.template, "content")
            return await _form_page(page, template_type, form, current, [error(localise(problem), field)])
        await uow.commit()
    return RedirectResponse(f"{page.base}/templates/{saved.id}?saved={saved.version}", status_code=303)


@router.get(PREFIX + "/new/{template_type}")
async def new_template(
    request: Request, service_id: uuid.UUID, template_type: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.EDITOR)
    if template_type not in TEMPLATE_TYPES:
        raise HTTPException(404, "There is no such type of template")
    return await _form_page(page, template_type, {}, None)


@router.post(PREFIX + "/new/{template_type}")
async def create_template(
    request: Request, service_id: uuid.UUID, template_type: str, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.EDITOR)
    if template_type not in TEMPLATE_TYPES:
        raise HTTPException(404, "There is no such type of template")
    form = await form_of(request)
    if form.get("action") == "preview":
        return await _form_page(page, template_type, form, None, preview=True)
    return await _saved(page, form, template_type, None)


@router.get(PREFIX + "/{template_id}")
async def template_page(
    request: Request, service_id: uuid.UUID, template_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.VIEWER)
    return await _shown(page, await _template(page, template_id), latest=True)


async def _shown(page: ServicePage, template: TemplateSnapshot, latest: bool) -> Response:
    async with page.notify.uow(read_only=True) as uow:
        policy = await settings.policy_for(uow, page.service.id, page.service.name)
    saved = page.request.query_params.get("saved", "")
    context = {
        "template": template,
        "latest": latest,
        "preview": preview_of(template, {}, sms_prefix=policy.sms_prefix),
        "from_email": page.notify.sender.from_email(policy),
        "saved": whole_number(saved) == template.version,
    }
    return page.render("notify/template.html", context)


@router.get(PREFIX + "/{template_id}/edit")
async def edit_template(
    request: Request, service_id: uuid.UUID, template_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.EDITOR)
    current = await _template(page, template_id)
    form = {"name": current.name, "subject": current.subject or "", "content": current.content}
    return await _form_page(page, current.type, form, current)


@router.post(PREFIX + "/{template_id}/edit")
async def save_template(
    request: Request, service_id: uuid.UUID, template_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.EDITOR)
    current = await _template(page, template_id)
    form = await form_of(request)
    if form.get("action") == "preview":
        return await _form_page(page, current.type, form, current, preview=True)
    return await _saved(page, form, current.type, current)


@router.get(PREFIX + "/{template_id}/versions")
async def version_history(
    request: Request, service_id: uuid.UUID, template_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.VIEWER)
    latest = await _template(page, template_id)
    async with page.notify.uow(read_only=True) as uow:
        found = await templates.versions(uow, service_id, template_id)
    return page.render("notify/versions.html", {"template": latest, "versions": found})


@router.get(PREFIX + "/{template_id}/versions/{version}")
async def one_version(
    request: Request,
    service_id: uuid.UUID,
    template_id: uuid.UUID,
    version: int,
    staff: StaffMember = Depends(staff_member),
) -> Response:
    page = await service_page(request, staff, service_id, Role.VIEWER)
    latest = await _template(page, template_id)
    shown = await _template(page, template_id, version)
    return await _shown(page, shown, latest=shown.version == latest.version)
