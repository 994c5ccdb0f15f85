"""Staff sign-in (password, then a TOTP code), sign-out, and the one-time set-up link pages."""

from __future__ import annotations

import io
from urllib.parse import quote

import segno
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.models import StaffUser
from govplatform.core.pages.auth import (
    PENDING_COOKIE,
    SESSION_COOKIE,
    client_ip,
    optional_staff,
    platform_of,
    templates_of,
)
from govplatform.core.pages.public import safe_return_path
from govplatform.core.services import sign_in, staff
from govplatform.core.services.tenancy import NotFound, TenancyError
from govplatform.core.web.i18n import gettext_ as _
from govplatform.core.web.i18n import localise

router = APIRouter()


def _set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    secure = platform_of(request).settings.secure_cookies
    # A session cookie (no Max-Age): it ends with the browser, and the server expires it sooner.
    response.set_cookie(name, value, httponly=True, samesite="lax", secure=secure)


def _form_text(form: object, name: str, limit: int = 1000) -> str:
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
    email, password = _form_text(form, "email", 320).strip(), _form_text(form, "password", 1000)
    errors = []
    if not email:
        errors.append({"text": _("Enter your email address"), "href": "#email"})
    if not password:
        errors.append({"text": _("Enter your password"), "href": "#password"})
    platform = platform_of(request)
    if not errors:
        async with platform.uow() as uow:
            try:
                pending = await sign_in.check_password(
                    uow, platform.session_policy, email, password, client_ip(request)
                )
            except sign_in.SignInError as error:
                await uow.commit()  # keep the failure count and its audit record
                errors.append({"text": localise(error), "href": "#email"})
            else:
                await uow.commit()
                target = "/sign-in/code" + (f"?next={quote(_next(request), safe='')}" if _next(request) else "")
                response = RedirectResponse(target, status_code=303)
                _set_cookie(request, response, PENDING_COOKIE, pending)
                return response
    return templates_of(request).render(
        request, "core/sign_in.html", {"email": email, "errors": errors, "next": _next(request)}, status_code=400
    )


@router.get("/sign-in/code")
async def code_page(request: Request) -> Response:
    if not request.cookies.get(PENDING_COOKIE):
        return RedirectResponse("/sign-in", status_code=303)
    return templates_of(request).render(request, "core/sign_in_code.html")


@router.post("/sign-in/code")
async def code_submit(request: Request) -> Response:
    form = await request.form()
    code = _form_text(form, "code", 20)
    pending = request.cookies.get(PENDING_COOKIE, "")
    platform = platform_of(request)
    errors = []
    if not code.strip():
        errors.append({"text": _("Enter the 6-digit code from your authenticator app"), "href": "#code"})
    else:
        async with platform.uow() as uow:
            try:
                token = await sign_in.check_code(
                    uow, platform.session_policy, platform.cipher, pending, code, client_ip(request)
                )
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
    return templates_of(request).render(request, "core/sign_in_code.html", {"errors": errors}, status_code=400)


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


async def _user_for_link(request: Request, token: str) -> StaffUser | None:
    """The user a live set-up link belongs to, or None if it is unknown, used or expired."""
    platform = platform_of(request)
    async with platform.uow() as uow:
        try:
            _setup, user = await staff.setup_user_for_token(uow, platform.settings.api_key_hash_secret, token)
        except NotFound:
            return None
    return user


def _link_expired(request: Request) -> Response:
    return templates_of(request).render(request, "core/setup_expired.html", status_code=404)


@router.get("/setup/{token}")
async def setup_page(request: Request, token: str) -> Response:
    user = await _user_for_link(request, token)
    if user is None:
        return _link_expired(request)
    return templates_of(request).render(request, "core/setup_password.html", {"email": user.email})


@router.post("/setup/{token}")
async def setup_password(request: Request, token: str) -> Response:
    platform = platform_of(request)
    form = await request.form()
    password, confirm = _form_text(form, "password"), _form_text(form, "confirm")
    async with platform.uow() as uow:
        try:
            _setup, user = await staff.setup_user_for_token(uow, platform.settings.api_key_hash_secret, token)
        except NotFound:
            return _link_expired(request)
        errors = []
        if password != confirm:
            errors.append({"text": _("The passwords do not match"), "href": "#confirm"})
        else:
            try:
                await staff.choose_password(
                    uow, platform.cipher, platform.settings.api_key_hash_secret, token, password
                )
            except TenancyError as error:
                errors.append({"text": localise(error), "href": "#password"})
            else:
                await uow.commit()
                # A redirect to a page of its own, so the language switch (a link) keeps the step.
                return RedirectResponse(f"/setup/{token}/authenticator", status_code=303)
    return templates_of(request).render(
        request, "core/setup_password.html", {"email": user.email, "errors": errors}, status_code=400
    )


def _authenticator_page(
    request: Request,
    token: str,
    email: str,
    secret: str,
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    platform = platform_of(request)
    uri = staff.totp_uri(secret, email, platform.settings.platform_name)
    svg = io.BytesIO()
    segno.make(uri, error="m").save(
        svg, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, title=_("QR code for your authenticator app")
    )
    return templates_of(request).render(
        request,
        "core/setup_authenticator.html",
        {
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "qr_svg": svg.getvalue().decode(),
            "errors": errors or [],
            "action": f"/setup/{token}/authenticator",
        },
        status_code=status_code,
    )


@router.get("/setup/{token}/authenticator")
async def authenticator_page(request: Request, token: str) -> Response:
    platform = platform_of(request)
    user = await _user_for_link(request, token)
    if user is None:
        return _link_expired(request)
    if user.password_hash is None or user.totp_secret_encrypted is None:
        return RedirectResponse(f"/setup/{token}", status_code=303)
    secret = platform.cipher.decrypt_text(user.totp_secret_encrypted, str(user.id))
    return _authenticator_page(request, token, user.email, secret)


@router.post("/setup/{token}/authenticator")
async def setup_authenticator(request: Request, token: str) -> Response:
    platform = platform_of(request)
    form = await request.form()
    code = _form_text(form, "code", 20)
    async with platform.uow() as uow:
        try:
            _setup, user = await staff.setup_user_for_token(uow, platform.settings.api_key_hash_secret, token)
            await staff.confirm_totp(
                uow, platform.cipher, platform.settings.api_key_hash_secret, token, code, client_ip(request)
            )
        except NotFound:
            return _link_expired(request)
        except TenancyError as error:
            if user.totp_secret_encrypted is None:
                return RedirectResponse(f"/setup/{token}", status_code=303)
            secret = platform.cipher.decrypt_text(user.totp_secret_encrypted, str(user.id))
            return _authenticator_page(
                request, token, user.email, secret, [{"text": localise(error), "href": "#code"}], status_code=400
            )
        await uow.commit()
    return templates_of(request).render(request, "core/setup_done.html")
