"""Staff sign-in (password, then a TOTP code) and sign-out; the set-up link's pages are in setup.py.

Guessing is slowed by core's throttle (services/throttle.py): a refused
attempt is answered 429 with Retry-After and says how long to wait, the same
for every email, known or not.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.pages.auth import (
    PENDING_COOKIE,
    SESSION_COOKIE,
    client_ip,
    optional_staff,
    platform_of,
    templates_of,
)
from govplatform.core.pages.public import safe_return_path
from govplatform.core.services import sign_in
from govplatform.core.services.throttle import TooManyGuesses
from govplatform.core.web.i18n import gettext_ as _
from govplatform.core.web.i18n import localise

router = APIRouter()


def _set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    secure = platform_of(request).settings.secure_cookies
    # A session cookie (no Max-Age): it ends with the browser, and the server expires it sooner.
    response.set_cookie(name, value, httponly=True, samesite="lax", secure=secure)


def form_text(form: object, name: str, limit: int = 1000) -> str:
    value = form.get(name) if hasattr(form, "get") else None
    return value[:limit] if isinstance(value, str) else ""


def _next(request: Request) -> str:
    return safe_return_path(request.query_params.get("next"), "")


@router.get("/sign-in")
async def sign_in_page(request: Request) -> Response:
    if await optional_staff(request):
        return RedirectResponse("/admin", status_code=303)
    return templates_of(request).render(request, "core/sign_in.html", {"email": "", "next": _next(request)})


@router.post("/sign-in")
async def sign_in_submit(request: Request) -> Response:
    form = await request.form()
    email, password = form_text(form, "email", 320).strip(), form_text(form, "password", 1000)
    errors = []
    if not email:
        errors.append({"text": _("Enter your email address"), "href": "#email"})
    if not password:
        errors.append({"text": _("Enter your password"), "href": "#password"})
    platform = platform_of(request)
    status_code, headers = 400, dict[str, str]()
    if not errors:
        async with platform.uow() as uow:
            try:
                pending = await sign_in.check_password(
                    uow, platform.session_policy, platform.throttle, email, password, client_ip(request)
                )
            except TooManyGuesses as error:
                errors.append({"text": localise(error), "href": "#email"})
                status_code, headers = 429, {"Retry-After": str(error.wait_seconds)}
            except sign_in.SignInError as error:
                await uow.commit()  # keep the attempt's count and its audit record
                errors.append({"text": localise(error), "href": "#email"})
            else:
                await uow.commit()
                target = "/sign-in/code" + (f"?next={quote(_next(request), safe='')}" if _next(request) else "")
                response = RedirectResponse(target, status_code=303)
                _set_cookie(request, response, PENDING_COOKIE, pending)
                return response
    page = templates_of(request).render(
        request, "core/sign_in.html", {"email": email, "errors": errors, "next": _next(request)}, status_code
    )
    page.headers.update(headers)
    return page


@router.get("/sign-in/code")
async def code_page(request: Request) -> Response:
    if not request.cookies.get(PENDING_COOKIE):
        return RedirectResponse("/sign-in", status_code=303)
    return templates_of(request).render(request, "core/sign_in_code.html")


@router.post("/sign-in/code")
async def code_submit(request: Request) -> Response:
    form = await request.form()
    code = form_text(form, "code", 20)
    pending = request.cookies.get(PENDING_COOKIE, "")
    platform = platform_of(request)
    errors = []
    status_code, headers = 400, dict[str, str]()
    if not code.strip():
        errors.append({"text": _("Enter the 6-digit code from your authenticator app"), "href": "#code"})
    else:
        async with platform.uow() as uow:
            try:
                token = await sign_in.check_code(
                    uow, platform.session_policy, platform.throttle, platform.cipher, pending, code, client_ip(request)
                )
            except TooManyGuesses as error:
                await uow.commit()  # an expired half session, deleted on the way, stays deleted
                errors.append({"text": localise(error), "href": "#code"})
                status_code, headers = 429, {"Retry-After": str(error.wait_seconds)}
            except sign_in.SignInError as error:
                await uow.commit()
                if error.template == sign_in.SESSION_TIMED_OUT:
                    return RedirectResponse("/sign-in", status_code=303)
                errors.append({"text": localise(error), "href": "#code"})
            else:
                await uow.commit()
                next_path = safe_return_path(request.query_params.get("next"), "/admin")
                response = RedirectResponse(next_path, status_code=303)
                response.delete_cookie(PENDING_COOKIE)
                _set_cookie(request, response, SESSION_COOKIE, token)
                return response
    page = templates_of(request).render(request, "core/sign_in_code.html", {"errors": errors}, status_code)
    page.headers.update(headers)
    return page


@router.get("/sign-out")
async def sign_out_page(request: Request) -> Response:
    if not await optional_staff(request):
        return RedirectResponse("/sign-in", status_code=303)
    return templates_of(request).render(request, "core/sign_out.html")


@router.post("/sign-out")
async def sign_out_submit(request: Request) -> Response:
    current = await optional_staff(request)
    platform = platform_of(request)
    async with platform.uow() as uow:
        await sign_in.sign_out(
            uow, platform.session_policy, request.cookies.get(SESSION_COOKIE, ""), current.actor if current else None
        )
        await uow.commit()
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
