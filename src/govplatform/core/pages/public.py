"""Public pages: the start page and the cookie choices. Listed in web/access.py as public by design."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.pages.auth import Staff, optional_staff, templates_of

router = APIRouter()
ONE_YEAR = 365 * 24 * 3600


def safe_return_path(value: object, default: str = "/") -> str:
    """Only a local path: never an open redirect to another site."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


@router.get("/")
async def start(request: Request, _staff: Staff | None = Depends(optional_staff)) -> Response:
    return templates_of(request).render(request, "core/start.html")


@router.get("/cookies")
async def cookies_page(request: Request, _staff: Staff | None = Depends(optional_staff)) -> Response:
    analytics = None
    raw = request.cookies.get("cookies_policy")
    if raw:
        try:
            analytics = bool(json.loads(raw).get("analytics"))
        except (ValueError, AttributeError):
            analytics = None
    return templates_of(request).render(
        request, "core/cookies.html", {"analytics": analytics, "saved": request.query_params.get("saved") == "1"}
    )


@router.post("/cookies")
async def choose_cookies(request: Request) -> Response:
    form = await request.form()
    choice = form.get("cookies")
    return_to = safe_return_path(form.get("return_to"))
    if choice not in ("accept", "reject"):
        return RedirectResponse(return_to, status_code=303)
    if return_to == "/cookies":
        return_to = "/cookies?saved=1"
    response = RedirectResponse(return_to, status_code=303)
    # The choice itself is an essential cookie: without it we would ask again on every page.
    response.set_cookie(
        "cookies_policy",
        json.dumps({"essential": True, "analytics": choice == "accept"}, separators=(",", ":")),
        max_age=ONE_YEAR,
        samesite="lax",
    )
    return response
