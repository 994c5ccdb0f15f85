"""The account's security page at /identity/account/security: the ways a citizen proves it is them, and
changing them (services/security.py decides; services/factors.py keeps the last second factor).

Looking needs the session at Cl.Cm, as every account page does. Changing needs both factors proven within the
last few minutes: an older session is sent through the password and second-factor pages again (`fresh`) and
brought back. Forms carry the CSRF token; wrong codes meet core's throttle (429 with Retry-After).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import N_, TooManyGuesses, UnitOfWork, current_language, gettext_, localise
from govplatform.identity import interfaces
from govplatform.identity.models import Citizen, CitizenSession
from govplatform.identity.pages.account import LEVEL, _identity, _ip, _render, _signed_in, sign_in_redirect
from govplatform.identity.pages.authenticator_qr import grouped, qr_svg
from govplatform.identity.services import factors, security

router = APIRouter(include_in_schema=False)
SECURITY = "/identity/account/security"
APP, APP_REMOVE = SECURITY + "/app", SECURITY + "/app/remove"
# Not public: each answers an anonymous browser by sending it to sign in.
ROUTES = [("GET", SECURITY), *((method, path) for path in (APP, APP_REMOVE) for method in ("GET", "POST"))]
DONE = {
    "app-added": N_("Your authenticator app has been set up"),
    "app-removed": N_("Your authenticator app has been removed"),
    "phone-added": N_("Your phone number has been added"),
    "phone-changed": N_("Your phone number has been changed"),
    "phone-removed": N_("Your phone number has been removed"),
}


def _prove_again(return_to: str) -> RedirectResponse:
    answer = interfaces.sign_in_redirect(return_to, LEVEL, fresh=True)
    if current_language() != "en":
        answer.headers["location"] += f"&lang={current_language()}"
    return answer


async def _proven(request: Request, uow: UnitOfWork, path: str) -> tuple[CitizenSession, Citizen] | Response:
    """The session and citizen when both factors were proven just now; otherwise where to go to prove them."""
    found = await _signed_in(request, uow)
    if found is None:
        return sign_in_redirect(path, LEVEL)
    if not security.proven_recently(found[0]):
        return _prove_again(path)
    return found


def _issuer(request: Request) -> str:
    return str(request.app.state.platform.settings.platform_name)


@router.get(SECURITY)
async def security_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _signed_in(request, uow)
        if found is None:
            return sign_in_redirect(SECURITY, LEVEL)
        second = await factors.second_factors(uow, found[1])
        await uow.commit()
    done = DONE.get(request.query_params.get("done", ""))
    context: dict[str, object] = {
        "has_app": any(factor.kind == factors.APP for factor in second),
        "phone": next((factor.shown_as for factor in second if factor.kind == factors.TEXT), None),
        "passkeys": [factor.shown_as for factor in second if factor.kind == factors.PASSKEY],
        "only_one": len(second) == 1,
        "done": gettext_(done) if done else None,
    }
    return _render(request, "security", context)


def _app_page(request: Request, app: security.NewApp, replacing: bool, errors: list[dict[str, str]],
              status_code: int = 200) -> Response:  # fmt: skip
    context = {"errors": errors, "secret": grouped(app.secret), "sealed": app.sealed, "qr_svg": qr_svg(app.uri),
               "replacing": replacing}  # fmt: skip
    return _render(request, "security_app", context, status_code)


@router.get(APP)
async def app_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _proven(request, uow, APP)
        if isinstance(found, Response):
            return found
        session, citizen = found
        app = security.new_app(identity, session, citizen, _issuer(request))
        replacing = citizen.totp_secret_encrypted is not None
        await uow.commit()
    return _app_page(request, app, replacing, [])


@router.post(APP)
async def app_submit(request: Request) -> Response:
    form = await request.form()
    code, sealed = str(form.get("code") or "")[:20], str(form.get("sealed") or "")[:500]
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _proven(request, uow, APP)
        if isinstance(found, Response):
            return found
        session, citizen = found
        replacing = citizen.totp_secret_encrypted is not None
        try:
            app = security.reopen_app(identity, session, citizen, sealed, _issuer(request))
        except security.SecurityRefused as error:
            app = security.new_app(identity, session, citizen, _issuer(request))
            return _app_page(request, app, replacing, [{"text": localise(error), "href": "#code"}], 400)
        try:
            await security.set_app(uow, identity, citizen, app, code, _ip(request))
        except (TooManyGuesses, security.SecurityRefused) as error:
            await uow.commit()  # a wrong code is counted
            page = _app_page(request, app, replacing, [{"text": localise(error), "href": "#code"}],
                             429 if isinstance(error, TooManyGuesses) else 400)  # fmt: skip
            if isinstance(error, TooManyGuesses):
                page.headers["Retry-After"] = str(error.wait_seconds)
            return page
        await uow.commit()
    return RedirectResponse(SECURITY + "?done=app-added", status_code=303)


@router.get(APP_REMOVE)
async def app_remove_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _proven(request, uow, APP_REMOVE)
        if isinstance(found, Response):
            return found
        await uow.commit()
    return _render(request, "security_app_remove", {"errors": []})


@router.post(APP_REMOVE)
async def app_remove_submit(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _proven(request, uow, APP_REMOVE)
        if isinstance(found, Response):
            return found
        try:
            await security.remove_app(uow, identity, found[1])
        except factors.LastFactor as error:
            return _render(request, "security_app_remove", {"errors": [{"text": localise(error), "href": "#remove"}]},
                           400)  # fmt: skip
        await uow.commit()
    return RedirectResponse(SECURITY + "?done=app-removed", status_code=303)
