"""Bulk sending in the admin pages: upload a file of recipients for a template, check it, send it, follow it.

The journey is Notify's: "Upload a list of recipients" on a template's page
takes a CSV, TSV or XLSX file (multipart/form-data, up to 10 MB). Every row
is checked before anything is stored (`spreadsheets.check_upload`, in a
separate process with limits: 100,000 rows take seconds, and a hostile file
could take far longer). A file with bad rows gets a report of them, row
by row, and nothing is kept; a good file is kept encrypted for an hour (see
`services/uploads.py` for why on disk and not in a table or a hidden field)
and the check page shows how many recipients it has, its first rows and the
first message, with a "Send N messages" button. Sending checks the file once
more against the template and guest list as they are then, and becomes one
bulk send (`bulk.create_bulk_send`) that the workers turn into messages.

The upload form's CSRF token travels in the multipart body, where the web
shell's ProtectionMiddleware reads it like any form field. Its body limit is
raised for the upload path alone (`UPLOAD_PATH`, `UPLOAD_BODY_BYTES`, which
the composition root registers), to the 10 MB file plus the multipart framing.

The progress page does not refresh itself: a `<meta http-equiv="refresh">`
would pass the Content-Security-Policy (it is not script), but a timed
refresh fails WCAG 2.2.1 (technique F41), and axe-core reports it as a
critical violation. It has a "Refresh" button instead, which works without
JavaScript; a file of 1,000 rows is one chunk, usually done by the first look.

Editors and admins send; viewers see the bulk sends and their progress.
"""

from __future__ import annotations

import asyncio
import re
import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from govplatform.core.interfaces import N_, Role, StaffMember, UserFacingError, localise
from govplatform.core.interfaces import gettext_ as _
from govplatform.notify.errors import NotifyError
from govplatform.notify.pages.access import ServicePage, error, form_of, service_page, staff_member
from govplatform.notify.pages.preview import preview_of
from govplatform.notify.services import admin_queries, bulk, bulk_queries, settings, spreadsheets
from govplatform.notify.services.spreadsheets import CheckedFile
from govplatform.notify.services.templates import TemplateSnapshot
from govplatform.notify.services.uploads import SHOWN_ROWS, StoredUpload, UploadStore

router = APIRouter()
UPLOAD = "/admin/services/{service_id}/notify/templates/{template_id}/upload"
BULK_SENDS = "/admin/services/{service_id}/notify/bulk-sends"
# The one path whose body may be larger than the shell's limit: the file, the CSRF token and multipart framing.
UPLOAD_PATH = re.compile(r"/admin/services/[^/]+/notify/templates/[^/]+/upload")
UPLOAD_BODY_BYTES = spreadsheets.MAX_BYTES + 64 * 1024
TOO_LARGE = N_("The file must be smaller than 10MB")
SELECT_A_FILE = N_("Select a CSV, TSV or XLSX file")
EXPIRED = N_("Your file has expired or has already been sent. Upload it again.")
TEMPLATE_CHANGED = N_("The template has changed since you uploaded the file. Check the preview, then send.")
NOT_SENT = N_("The messages could not be sent: %(reason)s")
RECENT_BULK_SENDS = 20
STATUS_TAGS = {
    "in progress": (N_("In progress"), "govuk-tag--blue"),
    "finished": (N_("Finished"), "govuk-tag--green"),
}


def status_tag(status: str) -> dict[str, str]:
    text, colour = STATUS_TAGS.get(status, (status, "govuk-tag--grey"))
    return {"text": _(text), "classes": colour}


def _uploads(page: ServicePage) -> UploadStore:
    store: UploadStore = page.request.app.state.notify_uploads
    return store


async def _template(page: ServicePage, template_id: uuid.UUID) -> TemplateSnapshot:
    async with page.notify.uow(read_only=True) as uow:
        try:
            return await bulk.template_for(uow, page.service.id, template_id)
        except UserFacingError:
            raise HTTPException(404, "There is no template with that ID") from None


def _columns(template: TemplateSnapshot) -> tuple[list[str], list[str]]:
    """The columns a file for this template needs, and those it may have."""
    if template.type == "letter":
        needed, optional = ["address line 1", "address line 2"], list(spreadsheets.ADDRESS_COLUMNS[2:])
    else:
        needed, optional = list(spreadsheets.RECIPIENT_COLUMNS[template.type]), []
    return needed + list(template.placeholders), optional


async def _upload_form(
    page: ServicePage, template: TemplateSnapshot, errors: list[dict[str, str]] | None = None, status_code: int = 400
) -> Response:
    async with page.notify.uow(read_only=True) as uow:
        policy = await settings.policy_for(uow, page.service.id, page.service.name)
    needed, optional = _columns(template)
    context = {
        "template": template,
        "needed": needed,
        "optional": optional,
        "restricted": policy.restricted,
        "errors": errors,
    }
    return page.render("notify/upload.html", context, status_code=status_code if errors else 200)


async def _file_of(request: Request) -> tuple[str, bytes]:
    """The uploaded file's name (without any folders a browser put in front) and its bytes."""
    form = await request.form(max_files=1, max_fields=10)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise UserFacingError(SELECT_A_FILE)
        name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
        data = await upload.read(spreadsheets.MAX_BYTES + 1)  # one byte over is enough to refuse it
    finally:
        await form.close()
    if len(data) > spreadsheets.MAX_BYTES:
        raise UserFacingError(TOO_LARGE)
    return name, data


async def _checked(page: ServicePage, template: TemplateSnapshot, filename: str, data: bytes) -> CheckedFile:
    """Every row checked against the template and, in trial mode, the team and guest list; UserFacingError if
    the file cannot be sent at all."""
    async with page.notify.uow(read_only=True) as uow:
        policy = await settings.policy_for(uow, page.service.id, page.service.name)
        allowed = await bulk.allowed_recipients(uow, page.notify.team, page.service.id, policy)
    bulk.check_letters_allowed(template, policy)
    return await spreadsheets.check_upload(filename, data, template, sms_prefix=policy.sms_prefix, allowed=allowed)


def _report(page: ServicePage, template: TemplateSnapshot, filename: str, checked: CheckedFile) -> Response:
    context = {
        "template": template,
        "filename": filename,
        "problems": checked.problems,
        "problem_count": checked.problem_count,
        "not_shown": checked.problem_count - len(checked.problems),
    }
    return page.render("notify/upload_errors.html", context, status_code=400)


@router.get(UPLOAD)
async def upload_form(
    request: Request, service_id: uuid.UUID, template_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.EDITOR)
    return await _upload_form(page, await _template(page, template_id))


@router.post(UPLOAD)
async def check_upload(
    request: Request, service_id: uuid.UUID, template_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.EDITOR)
    template = await _template(page, template_id)
    try:
        filename, data = await _file_of(request)
        checked = await _checked(page, template, filename, data)
    except UserFacingError as problem:
        return await _upload_form(page, template, [error(localise(problem), "file")])
    if not checked.ok:
        return _report(page, template, filename, checked)
    upload = StoredUpload(
        id=uuid.uuid4(),
        service_id=service_id,
        template_id=template.id,
        template_version=template.version,
        filename=filename,
        uploaded_by=staff.actor.label,
        data=data,
        row_count=len(checked.rows),
        first_rows=checked.rows[:SHOWN_ROWS],
    )
    await asyncio.to_thread(_uploads(page).save, upload)
    return RedirectResponse(f"{page.base}/templates/{template.id}/upload/{upload.id}", status_code=303)


def _own_upload(page: ServicePage, template: TemplateSnapshot, upload: StoredUpload | None) -> bool:
    return upload is not None and upload.belongs_to(page.service.id, template.id, page.staff.actor.label)


async def _check_page(
    page: ServicePage, template: TemplateSnapshot, upload: StoredUpload, errors: list[dict[str, str]] | None = None
) -> Response:
    async with page.notify.uow(read_only=True) as uow:
        policy = await settings.policy_for(uow, page.service.id, page.service.name)
    first = upload.first_rows[0]
    context = {
        "template": template,
        "upload": upload,
        "preview": preview_of(template, first.personalisation, sms_prefix=policy.sms_prefix),
        "from_email": page.notify.sender.from_email(policy) if template.type == "email" else None,
        "errors": errors,
    }
    return page.render("notify/upload_check.html", context, status_code=400 if errors else 200)


@router.get(UPLOAD + "/{upload_id}")
async def check_page(
    request: Request,
    service_id: uuid.UUID,
    template_id: uuid.UUID,
    upload_id: uuid.UUID,
    staff: StaffMember = Depends(staff_member),
) -> Response:
    page = await service_page(request, staff, service_id, Role.EDITOR)
    template = await _template(page, template_id)
    upload = await asyncio.to_thread(_uploads(page).load, upload_id)
    if upload is None or not _own_upload(page, template, upload):
        return await _upload_form(page, template, [error(_(EXPIRED), "file")], status_code=410)
    return await _check_page(page, template, upload)


@router.post(UPLOAD + "/{upload_id}/send")
async def send_upload(
    request: Request,
    service_id: uuid.UUID,
    template_id: uuid.UUID,
    upload_id: uuid.UUID,
    staff: StaffMember = Depends(staff_member),
) -> Response:
    page = await service_page(request, staff, service_id, Role.EDITOR)
    template = await _template(page, template_id)
    form = await form_of(request)
    store = _uploads(page)
    upload = await asyncio.to_thread(store.claim, upload_id)
    if upload is None or not _own_upload(page, template, upload):
        if upload is not None:
            store.release(upload_id)
        return await _upload_form(page, template, [error(_(EXPIRED), "file")], status_code=410)
    if form.get("template_version") != str(template.version):
        store.release(upload_id)
        return await _check_page(page, template, upload, [error(_(TEMPLATE_CHANGED), "send")])
    try:
        # Checked again: the template, trial mode or the guest list may have changed since the upload.
        checked = await _checked(page, template, upload.filename, upload.data)
        if not checked.ok:
            store.discard(upload_id)
            return _report(page, template, upload.filename, checked)
        async with page.notify.uow() as uow:
            policy = await settings.policy_for(uow, service_id, page.service.name)
            created = await bulk.create_bulk_send(
                uow, page.notify.box, page.notify.limits, staff.actor, policy, template, upload.filename, checked
            )
            await uow.commit()
    except UserFacingError as problem:
        store.release(upload_id)
        return await _check_page(page, template, upload, [error(localise(problem), "send")])
    except NotifyError as problem:  # a daily limit
        store.release(upload_id)
        reason = _(NOT_SENT) % {"reason": "; ".join(problem.messages)}
        return await _check_page(page, template, upload, [error(reason, "send")])
    except BaseException:
        store.release(upload_id)  # nothing was sent (the database refused, say), so the file may be sent again
        raise
    store.discard(upload_id)
    return RedirectResponse(f"{page.base}/bulk-sends/{created.id}", status_code=303)


@router.get(BULK_SENDS)
async def bulk_sends(request: Request, service_id: uuid.UUID, staff: StaffMember = Depends(staff_member)) -> Response:
    page = await service_page(request, staff, service_id, Role.VIEWER)
    async with page.notify.uow(read_only=True) as uow:
        found = await bulk.recent(uow, service_id, limit=RECENT_BULK_SENDS)
        names = await admin_queries.template_names(uow, service_id, (row.template_id for row in found))
    context = {
        "bulk_sends": [(row, names.get(row.template_id)) for row in found],
        "status_tag": status_tag,
        "shown": RECENT_BULK_SENDS,
    }
    return page.render("notify/bulk_sends.html", context)


@router.get(BULK_SENDS + "/{bulk_send_id}")
async def bulk_send_progress(
    request: Request, service_id: uuid.UUID, bulk_send_id: uuid.UUID, staff: StaffMember = Depends(staff_member)
) -> Response:
    page = await service_page(request, staff, service_id, Role.VIEWER)
    async with page.notify.uow(read_only=True) as uow:
        found = await bulk_queries.bulk_send(uow, service_id, bulk_send_id)
        if found is None:
            raise HTTPException(404, "There is no bulk send with that ID")
        names = await admin_queries.template_names(uow, service_id, [found.template_id])
    context = {"bulk_send": found, "template_name": names.get(found.template_id), "tag": status_tag(found.status)}
    return page.render("notify/bulk_send.html", context)
