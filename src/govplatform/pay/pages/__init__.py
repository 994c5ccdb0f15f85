"""Pay's HTML pages: the hosted payment pages a citizen pays on, and the admin pages.

Each page module has its own router, public routes and CSRF exemptions; this
package gathers them. The composition root includes `router`, adds
`TEMPLATES` to the template folders, and marks `PUBLIC_ROUTES` public and
`CSRF_EXEMPT` exempt (the POST /secure a service's own form makes).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from govplatform.pay.pages import admin, journey, payment_links

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PUBLIC_ROUTES: list[tuple[str, str]] = []
CSRF_EXEMPT: list[str] = []
for area in (journey, admin, payment_links):
    router.include_router(area.router)
    PUBLIC_ROUTES.extend(area.PUBLIC_ROUTES)
    CSRF_EXEMPT.extend(area.CSRF_EXEMPT)
