"""The public page that explains the log to a citizen and shows how to check it."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from govplatform.core.interfaces import PageRenderer
from govplatform.transparency.checkpoint import parse_checkpoint_body
from govplatform.transparency.note import parse_note
from govplatform.transparency.services.log import TransparencyService

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parent / "templates"
PUBLIC_ROUTES = [("GET", "/transparency")]


@router.get("/transparency")
async def log_page(request: Request) -> Response:
    service: TransparencyService = request.app.state.transparency
    async with service.new_uow(read_only=True) as uow:
        latest = await service.latest_checkpoint(uow)
    checkpoint = parse_checkpoint_body(parse_note(latest.signed_note).text) if latest else None
    templates: PageRenderer = request.app.state.templates
    page: Response = templates.render(
        request,
        "transparency/log.html",
        {
            "checkpoint": checkpoint,
            "published_at": latest.published_at if latest else None,
            "signed_note": latest.signed_note if latest else "",
            "verifier_keys": [str(key) for key in service.verifier_keys],
            "origin": service.origin,
            "base_url": str(request.base_url).rstrip("/"),
        },
    )
    return page
