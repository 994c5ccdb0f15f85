"""Pay's HTML pages: the hosted payment pages a citizen pays on, and the admin pages.

Each page module adds its routes to `router`; the composition root includes
it, adds `TEMPLATES` to the template folders, and marks `PUBLIC_ROUTES`
public and `CSRF_EXEMPT` exempt (the POST /secure a service's own form makes).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PUBLIC_ROUTES: list[tuple[str, str]] = []
CSRF_EXEMPT: list[str] = []
