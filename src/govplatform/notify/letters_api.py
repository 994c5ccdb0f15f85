"""GET /v2/notifications/{id}/pdf: a letter as it is (or will be) printed.

The PDF is rendered on request from the template version and the
personalisation the letter was sent with (rendering is deterministic), dated
the day it was printed, or the day it was sent if it has not been printed
yet; a precompiled letter's own PDF is returned as it was sent. So nothing
is stored twice, and the file is never "not ready" as Notify's can be.
Errors follow notify.md section 1.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from govplatform.notify import openapi
from govplatform.notify.errors import bad_request
from govplatform.notify.requests import component_of, notification_of
from govplatform.notify.services import letters
from govplatform.notify.services.templates import get_template

router = APIRouter(tags=["notify"])


@router.get("/v2/notifications/{notification_id}/pdf", **openapi.get_pdf())
@router.get("/v2/notifications/{notification_id}/pdf/", include_in_schema=False)
async def letter_pdf(request: Request, notification_id: str) -> Response:
    component = component_of(request)
    async with component.uow(read_only=True) as uow:
        row = await notification_of(request, uow, notification_id)
        if row.type != "letter":
            raise bad_request("Notification is not a letter")
        if row.status == "virus-scan-failed":
            raise bad_request("File did not pass the virus scan")
        if row.status == "technical-failure":
            raise bad_request("PDF not available for letters in status technical-failure")
        template = None
        if row.template_id is not None:
            template = await get_template(uow, row.service_id, row.template_id, row.template_version)
            if template is None:
                raise bad_request("PDF not available for letters in status technical-failure")
        sealed = row.personalisation if template is not None else row.document
        printed_on = (row.sent_at or row.created_at).astimezone(letters.LONDON).date()
    pdf = await asyncio.to_thread(letters.letter_pdf, component.box, row.id, sealed, template, printed_on)
    return Response(pdf, media_type="application/pdf")
