"""The citizen's signed-in devices at /identity/account/devices: each live session of their account with its browser,
operating system, when it was signed in and last used, "This device" marked; a "Sign out" button for each, and
"Sign out of every device" (which ends this browser's session too and lands on a signed-out page).

Behind the session at Cl.Cm, as every account page (pages/account.py). Each button is its own POST form with the
CSRF token; the rules (whose sessions, which services to tell) are services/devices.py's.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import N_, PageRenderer, gettext_, localise, long_date
from govplatform.identity.component import IdentityComponent
from govplatform.identity.pages.account import LEVEL, _render, _signed_in, sign_in_redirect
from govplatform.identity.services import devices, sessions

router = APIRouter(include_in_schema=False)
DEVICES = "/identity/account/devices"
SIGN_OUT, EVERYWHERE = DEVICES + "/sign-out", DEVICES + "/sign-out-everywhere"
# Not public: each answers an anonymous browser by sending it to sign in (tests/integration/test_route_table.py).
ROUTES = [("GET", DEVICES), ("POST", SIGN_OUT), ("POST", EVERYWHERE)]
LONDON = ZoneInfo("Europe/London")  # the platform's citizens read times in the UK's own time, summer time too
DONE = N_("You have signed out of that device")


def when(value: dt.datetime) -> str:
    """ "7 December 2026 at 2:05pm", UK time, the month in the page's language (as pages/account.py's dates)."""
    local = value.astimezone(LONDON)
    hour = local.hour % 12 or 12
    clock = f"{hour}:{local.minute:02d}" + gettext_(N_("am") if local.hour < 12 else N_("pm"))
    return gettext_(N_("%(day)s at %(time)s")) % {"day": long_date(local), "time": clock}


def device_name(browser: str | None, operating_system: str | None) -> str:
    """ "Firefox on Windows", in the page's language where a part is unknown."""
    return gettext_(N_("%(browser)s on %(system)s")) % {
        "browser": browser or gettext_(N_("An unknown browser")),
        "system": operating_system or gettext_(N_("an unknown operating system")),
    }


def _identity(request: Request) -> IdentityComponent:
    component: IdentityComponent = request.app.state.identity
    return component


async def _list(request: Request, errors: list[dict[str, str]], status_code: int = 200) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _signed_in(request, uow)
        if found is None:
            return sign_in_redirect(DEVICES, LEVEL)
        session, citizen = found
        devices.name_unnamed(session, request.headers.get("user-agent"))
        listed = await devices.signed_in(uow, citizen.id, session)
        await uow.commit()
    shown = [
        {
            "sid": device.sid,
            "name": device_name(device.browser, device.operating_system),
            "signed_in": when(device.signed_in_at),
            "last_used": when(device.last_used_at),
            "this_device": device.this_device,
        }
        for device in listed
    ]
    banner = gettext_(DONE) if request.query_params.get("done") == "device" and not errors else None
    return _render(request, "devices", {"devices": shown, "errors": errors, "done": banner}, status_code)


@router.get(DEVICES)
async def devices_page(request: Request) -> Response:
    return await _list(request, [])


def _signed_out(request: Request, template: str) -> Response:
    templates: PageRenderer = request.app.state.templates
    page: Response = templates.render(request, template, {}, 200)
    page.delete_cookie(sessions.COOKIE)
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post(SIGN_OUT)
async def sign_out(request: Request) -> Response:
    chosen = (await request.form()).get("device")
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _signed_in(request, uow)
        if found is None:
            return sign_in_redirect(DEVICES, LEVEL)
        session, citizen = found
        this_device = session.sid
        try:
            ended = await devices.sign_out(uow, citizen, chosen if isinstance(chosen, str) else "")
        except devices.DeviceNotSignedIn as error:
            await uow.commit()  # the refusal is audited
            return await _list(request, [{"text": localise(error), "href": "#devices"}], 400)
        await uow.commit()
    if ended.sid == this_device:
        return _signed_out(request, "identity/signed_out.html")
    return RedirectResponse(DEVICES + "?done=device", status_code=303)


@router.post(EVERYWHERE)
async def sign_out_everywhere(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _signed_in(request, uow)
        if found is None:
            return sign_in_redirect(DEVICES, LEVEL)
        await devices.sign_out_everywhere(uow, found[1])
        await uow.commit()
    return _signed_out(request, "identity/account/signed_out_everywhere.html")
