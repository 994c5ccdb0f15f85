"""Identity's HTML routes: /authorize and the citizen sign-in pages it sends to, creating an account, /logout,
the account pages (passkeys among them), the admin pages where staff register a service's sign-in clients, and
the platform admins' page of proving's success rates.

The composition root includes `router`, adds `TEMPLATES` to the template folders, serves `STATIC` (the passkey
pages' script) at /static/identity and marks `PUBLIC_ROUTES` public: a citizen signing in has no session yet
(the sign-in cookie is the credential of the later steps). The account pages are not public: they send a
browser without a citizen's session to sign in. The admin pages are not public either: each needs a signed-in
staff member with a role on the service (or, for the success rates, a platform admin).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from govplatform.identity.pages import (
    account,
    account_history,
    account_passkeys,
    client_admin,
    devices,
    logout,
    passkeys,
    proving,
    proving_rates,
    recovery,
    recovery_reset,
    security,
    security_phone,
    sign_in,
    sign_in_text,
    sign_up,
    sign_up_text,
)

router = APIRouter(include_in_schema=False)
router.include_router(sign_in.router)
router.include_router(sign_up.router)
router.include_router(sign_in_text.router)
router.include_router(sign_up_text.router)
router.include_router(logout.router)
router.include_router(client_admin.router)
router.include_router(proving_rates.router)
router.include_router(account.router)
router.include_router(security.router)
router.include_router(security_phone.router)
router.include_router(devices.router)
router.include_router(account_history.router)
router.include_router(recovery.router)
router.include_router(recovery_reset.router)
router.include_router(passkeys.router)
router.include_router(account_passkeys.router)
router.include_router(proving.router)
PUBLIC_ROUTES = [
    *sign_in.PUBLIC_ROUTES,
    *sign_up.PUBLIC_ROUTES,
    *passkeys.PUBLIC_ROUTES,
    *sign_in_text.PUBLIC_ROUTES,
    *sign_up_text.PUBLIC_ROUTES,
    *logout.PUBLIC_ROUTES,
    *recovery.PUBLIC_ROUTES,
    *proving.PUBLIC_ROUTES,
]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"  # served at /static/identity: passkeys.js
__all__ = ["PUBLIC_ROUTES", "STATIC", "TEMPLATES", "router"]
