"""Pay's HTML pages: the hosted payment pages a citizen pays on, and the admin pages.

Each page module has its own router and public routes; this package gathers
them. The composition root includes `router`, adds `TEMPLATES` to the
template folders, and marks `PUBLIC_ROUTES` public. The one route that needs
no CSRF token (the POST /secure a service's own form makes) is listed, with
why, in core's single list (`core/web/access.py`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from govplatform.pay.pages import admin, journey, payment_links

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PUBLIC_ROUTES: list[tuple[str, str]] = []
for area in (journey, admin, payment_links):
    router.include_router(area.router)
    PUBLIC_ROUTES.extend(area.PUBLIC_ROUTES)
