"""Identity's HTML routes: /authorize and the citizen sign-in pages it sends to.

The composition root includes `router`, adds `TEMPLATES` to the template folders and marks `PUBLIC_ROUTES`
public: a citizen signing in has no session yet (the sign-in cookie is the credential of the later steps).
"""

from __future__ import annotations

from pathlib import Path

from govplatform.identity.pages.sign_in import PUBLIC_ROUTES, router

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
__all__ = ["PUBLIC_ROUTES", "TEMPLATES", "router"]
