"""The one-time set-up link's pages: a new staff member chooses a password, then enrols an authenticator.

The link is the credential, so opening one is a guess like a password: every
request for a link goes through core's throttle (`staff.open_setup_link`), and
an address that keeps asking for links that do not exist is made to wait
(429, Retry-After) before any link is looked up. The code typed to confirm
the authenticator is throttled as a sign-in code is.
"""

from __future__ import annotations

import io

import segno
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.models import StaffUser
from govplatform.core.pages.auth import client_ip, platform_of, templates_of
from govplatform.core.pages.sign_in import form_text
from govplatform.core.services import staff
from govplatform.core.services.tenancy import NotFound, TenancyError
from govplatform.core.services.throttle import TooManyGuesses
from govplatform.core.unit_of_work import UnitOfWork
from govplatform.core.web.i18n import gettext_ as _
from govplatform.core.web.i18n import localise

router = APIRouter()


class _Answered(Exception):
    """The link cannot be used now; `response` says why (expired or unknown, or wait)."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _link_expired(request: Request) -> Response:
    return templates_of(request).render(request, "core/setup_expired.html", status_code=404)


def _wait(request: Request, error: TooManyGuesses) -> Response:
    response = templates_of(request).render(
        request,
        "errors/error.html",
        {"page_title": _("Sorry, there is a problem with that request"), "paragraphs": [localise(error)]},
        status_code=429,
    )
    response.headers["Retry-After"] = str(error.wait_seconds)
    return response


async def _open(request: Request, uow: UnitOfWork, token: str) -> StaffUser:
    """The user a live link belongs to, the request counted as a guess; raises _Answered otherwise."""
    platform = platform_of(request)
    secret = platform.settings.api_key_hash_secret
    try:
        _setup, user = await staff.open_setup_link(uow, platform.throttle, secret, token, client_ip(request))
    except TooManyGuesses as error:
        raise _Answered(_wait(request, error)) from None
    except NotFound:
        await uow.commit()  # the failed guess counts
        raise _Answered(_link_expired(request)) from None
    return user


@router.get("/setup/{token}")
async def setup_page(request: Request, token: str) -> Response:
    async with platform_of(request).uow() as uow:
        try:
            user = await _open(request, uow, token)
        except _Answered as answered:
            return answered.response
        await uow.commit()
    return templates_of(request).render(request, "core/setup_password.html", {"email": user.email})


@router.post("/setup/{token}")
async def setup_password(request: Request, token: str) -> Response:
    platform = platform_of(request)
    form = await request.form()
    password, confirm = form_text(form, "password"), form_text(form, "confirm")
    async with platform.uow() as uow:
        try:
            user = await _open(request, uow, token)
        except _Answered as answered:
            return answered.response
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
        await uow.commit()
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
    async with platform.uow() as uow:
        try:
            user = await _open(request, uow, token)
        except _Answered as answered:
            return answered.response
        await uow.commit()
    if user.password_hash is None or user.totp_secret_encrypted is None:
        return RedirectResponse(f"/setup/{token}", status_code=303)
    secret = platform.cipher.decrypt_text(user.totp_secret_encrypted, str(user.id))
    return _authenticator_page(request, token, user.email, secret)


@router.post("/setup/{token}/authenticator")
async def setup_authenticator(request: Request, token: str) -> Response:
    platform = platform_of(request)
    form = await request.form()
    code = form_text(form, "code", 20)
    async with platform.uow() as uow:
        try:
            user = await _open(request, uow, token)
        except _Answered as answered:
            return answered.response
        if user.password_hash is None or user.totp_secret_encrypted is None:
            await uow.commit()
            return RedirectResponse(f"/setup/{token}", status_code=303)
        try:
            await staff.confirm_totp(
                uow,
                platform.throttle,
                platform.cipher,
                platform.settings.api_key_hash_secret,
                token,
                code,
                client_ip(request),
            )
        except (TooManyGuesses, TenancyError) as error:
            await uow.commit()  # a wrong code counts against the address and the account
            secret = platform.cipher.decrypt_text(user.totp_secret_encrypted, str(user.id))
            errors = [{"text": localise(error), "href": "#code"}]
            if not isinstance(error, TooManyGuesses):
                return _authenticator_page(request, token, user.email, secret, errors, 400)
            response = _authenticator_page(request, token, user.email, secret, errors, 429)
            response.headers["Retry-After"] = str(error.wait_seconds)
            return response
        await uow.commit()
    return templates_of(request).render(request, "core/setup_done.html")
