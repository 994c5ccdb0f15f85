"""Identity proving's success rates in the admin pages (issue 17 item 6): per route and per check, how many
people passed at their first try and how many eventually, the figure Verify was judged by.

A platform page, not a service's: every service's citizens prove their identity by the same routes and checks,
so the figures are the platform's, and only platform admins see them (as they alone see the job queue). Core's
admin home links here through the admin registry's platform pages (identity/component.py's `declare_admin`).

Each route is one table with a row per check, and each percentage also draws a bar: a chart to the eye, and a
table to a screen reader, which reads the figure and skips the bar (`aria-hidden`). The bar is an SVG whose
width is an attribute, because the Content-Security-Policy (`style-src 'self'`) refuses inline styles.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from govplatform.core.interfaces import N_, PageRenderer, StaffMember, staff_member
from govplatform.identity.component import PROVING_RATES_PAGE, IdentityComponent
from govplatform.identity.proofing import outcomes
from govplatform.identity.proofing.checks import DocumentKind

router = APIRouter(include_in_schema=False)

ROUTE_NAMES = {
    DocumentKind.UK_PASSPORT.value: N_("UK passport"),
    DocumentKind.UK_PHOTOCARD_DRIVING_LICENCE.value: N_("UK photocard driving licence"),
}
STEP_NAMES = {
    "route": N_("Whole route"),
    "document": N_("Document check"),
    "fraud": N_("Fraud check"),
    "knowledge": N_("Knowledge-based check"),
}


@dataclasses.dataclass(frozen=True)
class RouteFigures:
    """One route's table: its name (English, translated where shown) and its rows, whole route first."""

    route: str
    name: str
    rates: list[outcomes.Rate]


def by_route(rates: list[outcomes.Rate]) -> list[RouteFigures]:
    """Known routes in the order a citizen is offered them, then any other a registered provider added, by code;
    a route's rows keep `rates`' order (the whole route, then each check)."""
    order = list(ROUTE_NAMES)
    routes = sorted({rate.route for rate in rates}, key=lambda r: (order.index(r) if r in order else len(order), r))
    return [
        RouteFigures(route, ROUTE_NAMES.get(route, route), [rate for rate in rates if rate.route == route])
        for route in routes
    ]


@router.get(PROVING_RATES_PAGE)
async def proving_rates(request: Request, staff: StaffMember = Depends(staff_member)) -> Response:
    staff.require_platform_admin()
    identity: IdentityComponent = request.app.state.identity
    async with identity.uow(read_only=True) as uow:
        rates = await outcomes.rates(uow)
    templates: PageRenderer = request.app.state.templates
    context: dict[str, Any] = {"routes": by_route(rates), "step_names": STEP_NAMES}
    response: Response = templates.render(request, "identity/admin/proving_rates.html", context)
    return response
