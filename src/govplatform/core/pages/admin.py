"""Admin pages for the platform as a whole: dashboard, organisations, dead-lettered jobs (audit log: admin_audit)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.jobs import queue
from govplatform.core.pages.auth import Staff, platform_of, signed_in, templates_of, visible_service_ids
from govplatform.core.services import invitations, tenancy
from govplatform.core.web.i18n import gettext_ as _
from govplatform.core.web.i18n import localise

router = APIRouter(prefix="/admin")


@router.get("")
async def dashboard(request: Request, staff: Staff = Depends(signed_in)) -> Response:
    platform = platform_of(request)
    async with platform.uow() as uow:
        services = await tenancy.list_services(uow, await visible_service_ids(uow, staff))
        dead = (await queue.counts_by_status(uow)).get("dead", 0) if staff.is_platform_admin else 0
        waiting = await invitations.for_user(uow, staff.user.id)
    return templates_of(request).render(
        request,
        "admin/dashboard.html",
        {
            "page_title": _("Admin"),
            "services": services,
            "dead_jobs": dead,
            "staff": staff,
            "invitations": waiting,
            # Components' pages about the whole platform (identity's proving success rates), from the registry
            "platform_pages": platform.admin.platform_pages_for(staff),
        },
    )


@router.post("/invitations/{service_id}/{answer}")
async def answer_invitation(
    request: Request, service_id: uuid.UUID, answer: str, staff: Staff = Depends(signed_in)
) -> Response:
    """The signed-in person accepts or declines their own invitation to a service's team."""
    if answer not in ("accept", "decline"):
        raise HTTPException(404, "Not found")
    async with platform_of(request).uow() as uow:
        try:
            if answer == "accept":
                await invitations.accept(uow, staff.actor, staff.user.id, service_id)
            else:
                await invitations.decline(uow, staff.actor, staff.user.id, service_id)
        except tenancy.NotFound as error:
            raise HTTPException(404, localise(error)) from None
        await uow.commit()
    return RedirectResponse(f"/admin/services/{service_id}" if answer == "accept" else "/admin", status_code=303)


@router.get("/organisations")
async def organisations(request: Request, staff: Staff = Depends(signed_in)) -> Response:
    """Every organisation for a platform admin; for anyone else, those they hold a role in (ADR 0012)."""
    if not staff.org_roles:
        staff.require_platform_admin()
    async with platform_of(request).uow() as uow:
        rows = await tenancy.list_organisations(uow)
    rows = [row for row in rows if staff.is_platform_admin or row.id in staff.org_roles]
    return templates_of(request).render(
        request, "admin/organisations.html", {"organisations": rows, "name": "", "staff": staff}
    )


@router.post("/organisations")
async def create_organisation(request: Request, staff: Staff = Depends(signed_in)) -> Response:
    staff.require_platform_admin()
    form = await request.form()
    name = str(form.get("name") or "")[:300]
    async with platform_of(request).uow() as uow:
        try:
            await tenancy.create_organisation(uow, staff.actor, name)
        except tenancy.TenancyError as error:
            rows = await tenancy.list_organisations(uow)
            return templates_of(request).render(
                request,
                "admin/organisations.html",
                {
                    "organisations": rows,
                    "name": name,
                    "staff": staff,
                    "errors": [{"text": localise(error), "href": "#name"}],
                },
                status_code=400,
            )
        await uow.commit()
    return RedirectResponse("/admin/organisations", status_code=303)


@router.get("/jobs")
async def dead_jobs(request: Request, staff: Staff = Depends(signed_in)) -> Response:
    staff.require_platform_admin()
    async with platform_of(request).uow() as uow:
        jobs = await queue.dead_letters(uow)
        counts = await queue.counts_by_status(uow)
    return templates_of(request).render(request, "admin/jobs.html", {"jobs": jobs, "counts": counts})


@router.post("/jobs/{job_id}/retry")
async def retry_job(request: Request, job_id: uuid.UUID, staff: Staff = Depends(signed_in)) -> Response:
    staff.require_platform_admin()
    async with platform_of(request).uow() as uow:
        job = await queue.retry_dead(uow, staff.actor, job_id)
        if job is None:
            raise HTTPException(404, "There is no dead-lettered job with that ID")
        await uow.commit()
    return RedirectResponse("/admin/jobs", status_code=303)
