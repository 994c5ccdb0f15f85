"""The audit log's page: every admin action, newest first, in words people read.

Each event is named by what the component that records it declared in the admin registry, and its
target by name, linked to the page that shows it (ADR 0016); the recorded action and target id stay
beside them, as exact as the row. An event no one declared is shown as it was recorded, never an error.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from govplatform.core.pages.auth import Staff, platform_of, signed_in, templates_of, visible_service_ids
from govplatform.core.services import audit

router = APIRouter(prefix="/admin")
PAGE_SIZE = 50


@router.get("/audit")
async def audit_log(
    request: Request,
    staff: Staff = Depends(signed_in),
    before: Annotated[int | None, Query(ge=1, le=audit.LAST_EVENT_ID)] = None,
) -> Response:
    """The newest 50 events, or the 50 before event `before` (a number past any id is a 400, not an overflow)."""
    platform = platform_of(request)
    async with platform.uow(read_only=True) as uow:
        scope = await visible_service_ids(uow, staff)
        events = await audit.recent(uow, limit=PAGE_SIZE, before_id=before, service_ids=scope)
        shown = await audit.described(uow, platform.admin, events)
    older = events[-1].id if len(events) == PAGE_SIZE else None
    return templates_of(request).render(request, "admin/audit.html", {"events": shown, "older": older})
