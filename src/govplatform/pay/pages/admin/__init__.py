"""Pay's admin pages, for one service at /admin/services/{service_id}/pay/...: payments and refunds (with
CSV exports), daily totals, webhooks, payment links and settings, one module per area.

Like every page package of pay, it offers `router` and `PUBLIC_ROUTES` for
`govplatform.pay.pages` to gather. None of its routes is public and none is
exempt from CSRF checks: each needs a signed-in staff member with a role on
the service, and each form carries a CSRF token.
"""

from __future__ import annotations

from fastapi import APIRouter

from govplatform.pay.pages.admin import links, payment, payments, refunds, settings, totals, webhooks

router = APIRouter()
PUBLIC_ROUTES: list[tuple[str, str]] = []
for area in (payments, payment, refunds, totals, webhooks, links, settings):
    router.include_router(area.router)
