"""The create-an-account pages, reached from the sign-in email page during an authorisation request.

One Login's order: email; "check your email" (the 6-digit code, with a link to send it again); a password,
typed twice; how to get security codes (pages/sign_up_text.py): an authenticator app (its secret as text and
as a QR code) confirmed with a code, or a phone texted a code; then the
browser goes back to the relying party with a code, exactly as after a sign-in. The sign-in cookie carries
the request in progress throughout. Each step redirects (303) to a page of its own, so the language link
keeps the step; every form carries the CSRF token; throttled steps answer 429 with Retry-After.
services/sign_up.py decides, including never saying whether the email has an account.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import TooManyGuesses, UserFacingError, gettext_, localise
from govplatform.identity.errors import IdentityError
from govplatform.identity.models import SignIn, SignUp
from govplatform.identity.pages import authenticator_qr
from govplatform.identity.pages.sign_in import (
    COOKIE,
    TIMED_OUT,
    _identity,
    _ip,
    _page,
    _problem,
    _signed_in,
    _typed,
)
from govplatform.identity.services import sessions, sign_in, sign_up

router = APIRouter(include_in_schema=False)
EMAIL = "/identity/sign-up/email"
CHECK_EMAIL = "/identity/sign-up/check-email"
RESEND = "/identity/sign-up/resend"
PASSWORD = "/identity/sign-up/password"
AUTHENTICATOR = "/identity/sign-up/authenticator"
CHOOSE = "/identity/sign-up/security-codes"  # its routes: pages/sign_up_text.py
# A citizen creating an account has no session: the sign-in cookie is the credential of every step.
PUBLIC_ROUTES = [
    (method, path) for path in (EMAIL, CHECK_EMAIL, RESEND, PASSWORD, AUTHENTICATOR) for method in ("GET", "POST")
]


def _refused(request: Request, name: str, row: SignIn, error: Exception, field: str, **values: object) -> Response:
    errors = [{"text": localise(error), "href": f"#{field}"}]
    if isinstance(error, TooManyGuesses):
        page = _page(request, name, row, errors, 429, **values)
        page.headers["Retry-After"] = str(error.wait_seconds)
        return page
    return _page(request, name, row, errors, 400, **values)


def _missing(request: Request, name: str, row: SignIn, message: str, field: str, **values: object) -> Response:
    return _page(request, name, row, [{"text": message, "href": f"#{field}"}], 400, **values)


def _next_step(sign_up_row: SignUp | None) -> str:
    """Where a citizen who opened a later step too early belongs."""
    if sign_up_row is None:
        return EMAIL
    if sign_up_row.email_confirmed_at is None:
        return CHECK_EMAIL
    if sign_up_row.password_hash is None:
        return PASSWORD
    return CHOOSE


@router.get(EMAIL)
async def email_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow(read_only=True) as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        if row is None:
            return _problem(request, gettext_(TIMED_OUT), 400)
        found = await sign_up.find(uow, row)
        return _page(request, "sign_up_email", row, email=found.email if found else "")


@router.post(EMAIL)
async def email_submit(request: Request) -> Response:
    email = _typed(await request.form(), "email", 400).strip()
    identity = _identity(request)
    async with identity.uow() as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        if row is None:
            return _problem(request, gettext_(TIMED_OUT), 400)
        if not email:
            return _missing(request, "sign_up_email", row, gettext_("Enter your email address"), "email", email=email)
        try:
            await sign_up.send_code(uow, identity, row, email, _ip(request))
        except (IdentityError, TooManyGuesses, sign_up.SignUpFailed) as error:
            await uow.commit()  # a send refused by the throttle counted nothing; one that failed still counts
            return _refused(request, "sign_up_email", row, error, "email", email=email)
        await uow.commit()
    return RedirectResponse(CHECK_EMAIL, status_code=303)


async def _current(request: Request) -> tuple[SignIn | None, SignUp | None]:
    identity = _identity(request)
    async with identity.uow(read_only=True) as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        return row, (await sign_up.find(uow, row) if row is not None else None)


async def _about_the_email(request: Request, name: str) -> Response:
    """A page about the email just given (check it, or resend the code); back to the start without one."""
    row, found = await _current(request)
    if row is None:
        return _problem(request, gettext_(TIMED_OUT), 400)
    if found is None:
        return RedirectResponse(EMAIL, status_code=303)
    return _page(request, name, row, email=found.email)


@router.get(CHECK_EMAIL)
async def check_email_page(request: Request) -> Response:
    return await _about_the_email(request, "sign_up_check_email")


@router.post(CHECK_EMAIL)
async def check_email_submit(request: Request) -> Response:
    code = _typed(await request.form(), "code", 20)
    identity = _identity(request)
    async with identity.uow() as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        if row is None:
            return _problem(request, gettext_(TIMED_OUT), 400)
        found = await sign_up.find(uow, row)
        if found is None:
            return RedirectResponse(EMAIL, status_code=303)
        if not code.strip():
            message = gettext_("Enter the 6-digit code from the email")
            return _missing(request, "sign_up_check_email", row, message, "code", email=found.email)
        try:
            await sign_up.confirm_email(uow, identity, found, code, _ip(request))
        except (TooManyGuesses, sign_up.SignUpFailed) as error:
            await uow.commit()  # the wrong guess is counted
            return _refused(request, "sign_up_check_email", row, error, "code", email=found.email)
        await uow.commit()
    return RedirectResponse(PASSWORD, status_code=303)


@router.get(RESEND)
async def resend_page(request: Request) -> Response:
    return await _about_the_email(request, "sign_up_resend")


@router.post(RESEND)
async def resend_submit(request: Request) -> Response:
    await request.form()
    identity = _identity(request)
    async with identity.uow() as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        if row is None:
            return _problem(request, gettext_(TIMED_OUT), 400)
        found = await sign_up.find(uow, row)
        if found is None:
            return RedirectResponse(EMAIL, status_code=303)
        email = found.email
        try:
            await sign_up.send_code(uow, identity, row, email, _ip(request))
        except (IdentityError, TooManyGuesses, sign_up.SignUpFailed) as error:
            await uow.commit()
            return _refused(request, "sign_up_resend", row, error, "resend", email=email)
        await uow.commit()
    return RedirectResponse(CHECK_EMAIL, status_code=303)


@router.get(PASSWORD)
async def password_page(request: Request) -> Response:
    row, found = await _current(request)
    if row is None:
        return _problem(request, gettext_(TIMED_OUT), 400)
    if found is None or found.email_confirmed_at is None:
        return RedirectResponse(_next_step(found), status_code=303)
    return _page(request, "sign_up_password", row)


@router.post(PASSWORD)
async def password_submit(request: Request) -> Response:
    form = await request.form()
    password, again = _typed(form, "password", 1000), _typed(form, "confirm-password", 1000)
    identity = _identity(request)
    async with identity.uow() as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        if row is None:
            return _problem(request, gettext_(TIMED_OUT), 400)
        found = await sign_up.find(uow, row)
        if found is None or found.email_confirmed_at is None:
            return RedirectResponse(_next_step(found), status_code=303)
        if not password:
            return _missing(request, "sign_up_password", row, gettext_("Enter a password"), "password")
        if not again:
            return _missing(request, "sign_up_password", row, gettext_("Re-type your password"), "confirm-password")
        try:
            await sign_up.choose_password(found, password, again)
        except UserFacingError as error:
            field = "confirm-password" if isinstance(error, sign_up.SignUpFailed) else "password"
            return _refused(request, "sign_up_password", row, error, field)
        await uow.commit()
    return RedirectResponse(CHOOSE, status_code=303)


def show_authenticator_set_up(
    request: Request, row: SignIn, email: str, secret: str, errors: list[dict[str, str]] | None = None,
    status_code: int = 200, action: str | None = None, button: str | None = None,
) -> Response:  # fmt: skip
    """The set-up of an authenticator app: its secret as a QR code and as text, and the form for its first code
    (posted to `action`; recovery's replacement of a lost app reuses it)."""
    uri = sign_up.authenticator_uri(secret, email, str(request.app.state.platform.settings.platform_name))
    return _page(request, "sign_up_authenticator", row, errors, status_code, secret=authenticator_qr.grouped(secret),
                 qr_svg=authenticator_qr.qr_svg(uri), action=action, button=button)  # fmt: skip


@router.get(AUTHENTICATOR)
async def authenticator_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        if row is None:
            return _problem(request, gettext_(TIMED_OUT), 400)
        found = await sign_up.find(uow, row)
        if found is None or found.password_hash is None:
            return RedirectResponse(_next_step(found), status_code=303)
        secret = sign_up.authenticator_secret(identity, found)
        await uow.commit()
    return show_authenticator_set_up(request, row, found.email, secret)


@router.post(AUTHENTICATOR)
async def authenticator_submit(request: Request) -> Response:
    code = _typed(await request.form(), "code", 20)
    identity = _identity(request)
    async with identity.uow() as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        if row is None:
            return _problem(request, gettext_(TIMED_OUT), 400)
        found = await sign_up.find(uow, row)
        if found is None or found.password_hash is None or found.totp_secret_encrypted is None:
            return RedirectResponse(_next_step(found), status_code=303)
        secret = sign_up.authenticator_secret(identity, found)
        if not code.strip():
            errors = [{"text": gettext_("Enter the 6-digit code from your authenticator app"), "href": "#code"}]
            return show_authenticator_set_up(request, row, found.email, secret, errors, 400)
        try:
            finished = await sign_up.finish(
                uow,
                identity,
                row,
                found,
                code,
                _ip(request),
                request.cookies.get(sessions.COOKIE),
                request.headers.get("user-agent"),
            )
        except (TooManyGuesses, sign_up.SignUpFailed, IdentityError) as error:
            await uow.commit()
            errors = [{"text": localise(error), "href": "#code"}]
            status = 429 if isinstance(error, TooManyGuesses) else 400
            page = show_authenticator_set_up(request, row, found.email, secret, errors, status)
            if isinstance(error, TooManyGuesses):
                page.headers["Retry-After"] = str(error.wait_seconds)
            return page
        await uow.commit()
    return _signed_in(identity, finished)
