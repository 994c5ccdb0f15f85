"""The recovery pages: a lost password (an emailed link, the second factor, a new password) and a lost second
factor (an emailed code after the password, a wait with notice and a cancel link, then a new authenticator app).

services/recovery.py and services/factor_recovery.py decide, and their docstrings say which factors each path
proves; these routes parse and format. Every route is public: the credential of each step is the sign-in cookie
(a password proven in it), the emailed link's token (held in a cookie of its own after the link is opened, so it
leaves the address bar), or the cancel link's token. An emailed link's GET changes nothing (mail scanners open
links): the reset link's first state change is the code typed on the next page, the cancel link asks for a
button. A refused link or step is a page saying why (400, or 403 for a step not yet allowed), recorded by the
service; a throttled guess is 429 with Retry-After. Forms carry the CSRF token.
"""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import (
    PageRenderer,
    TooManyGuesses,
    UnitOfWork,
    UserFacingError,
    allow_form_action,
    current_language,
    gettext_,
    localise,
    long_date,
)
from govplatform.identity.errors import IdentityError
from govplatform.identity.models import Citizen, SignIn
from govplatform.identity.pages.sign_in import COOKIE, EMAIL, PASSWORD, TIMED_OUT, _identity, _ip, _problem
from govplatform.identity.pages.sign_in import _signed_in as to_service
from govplatform.identity.pages.sign_up import show_authenticator_set_up
from govplatform.identity.services import factor_recovery, factors, recovery, recovery_wait, sessions, sign_in
from govplatform.identity.services.passwords import WeakPassword

router = APIRouter(include_in_schema=False)
FORGOTTEN, SENT = "/identity/recovery/password", "/identity/recovery/password/sent"
LINK, RESET_DONE = recovery.LINK_PATH, recovery.DONE_PATH
RESET_CODE, RESET_PASSWORD = "/identity/recovery/reset/code", "/identity/recovery/reset/password"
RESET_TEXT, RESET_TEXT_SEND = "/identity/recovery/reset/text", "/identity/recovery/reset/text/send"
RESET_PASSKEY = "/identity/recovery/reset/passkey"  # the reset's other second-factor pages: pages/recovery_reset.py
RESET_WAYS = {factors.APP: RESET_CODE, factors.TEXT: RESET_TEXT, factors.PASSKEY: RESET_PASSKEY}
FACTOR, FACTOR_EMAIL, FACTOR_NEW = (
    "/identity/recovery/factor",
    "/identity/recovery/factor/email",
    "/identity/recovery/factor/new",
)
CANCEL = factor_recovery.CANCEL_PATH
RESET_COOKIE = "govplatform_identity_reset"
PUBLIC_ROUTES = [
    *((method, path) for path in (FORGOTTEN, RESET_CODE, RESET_PASSWORD, FACTOR, FACTOR_EMAIL, FACTOR_NEW, CANCEL,
                                  RESET_TEXT, RESET_PASSKEY) for method in ("GET", "POST")),
    ("GET", SENT), ("GET", LINK), ("GET", RESET_DONE), ("POST", RESET_TEXT_SEND),
]  # fmt: skip
UK = ZoneInfo("Europe/London")


def _render(request: Request, name: str, errors: list[dict[str, str]] | None = None, status_code: int = 200,
            **values: object) -> Response:  # fmt: skip
    templates: PageRenderer = request.app.state.templates
    page: Response = templates.render(request, f"identity/recovery/{name}.html", {"errors": errors or [], **values},
                                      status_code)  # fmt: skip
    page.headers["Cache-Control"] = "no-store"
    return page


def _form(form: object, name: str, limit: int) -> str:
    value = form.get(name) if hasattr(form, "get") else None
    return value[:limit] if isinstance(value, str) else ""


def _error(request: Request, name: str, error: Exception, field: str, **values: object) -> Response:
    """The page again with why: 429 and Retry-After while the throttle makes the address or account wait."""
    errors = [{"text": localise(error), "href": f"#{field}"}]
    status = 429 if isinstance(error, TooManyGuesses) else 400
    page = _render(request, name, errors, status, **values)
    if isinstance(error, TooManyGuesses):
        page.headers["Retry-After"] = str(error.wait_seconds)
    return page


def _refused(request: Request, error: UserFacingError, status_code: int = 400, again: str | None = None) -> Response:
    text = gettext_("Ask for a new link") if again == FORGOTTEN else gettext_("Sign in")
    return _render(request, "refused", None, status_code, message=localise(error), again_href=again, again_text=text)


def _allow_service(request: Request, row: SignIn | None) -> None:
    """A form whose answer finishes a sign-in redirects to the service (another origin): the page's CSP must
    allow it, as the sign-in pages do (core's allow_form_action), or the browser stops at our own page."""
    if row is not None:
        allow_form_action(request, sign_in.request_of(row).redirect_uri)


def _when(value: dt.datetime) -> str:
    """ "10 December 2026 at 14:05", UK time, the month in the page's language."""
    local = value.astimezone(UK)
    return gettext_("%(day)s at %(time)s") % {"day": long_date(local), "time": local.strftime("%H:%M")}


# A lost password ---------------------------------------------------------------------------------------------------


@router.get(FORGOTTEN)
async def forgotten_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow(read_only=True) as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
    return _render(request, "forgotten", email=(row.email if row is not None else "") or "")


@router.post(FORGOTTEN)
async def forgotten_submit(request: Request) -> Response:
    typed = _form(await request.form(), "email", 320).strip()
    if not typed:
        return _render(request, "forgotten", [{"text": gettext_("Enter your email address"), "href": "#email"}], 400,
                       email=typed)  # fmt: skip
    identity = _identity(request)
    async with identity.uow() as uow:
        try:
            await recovery.request_link(uow, identity, typed, _ip(request), current_language())
        except (IdentityError, TooManyGuesses) as error:
            await uow.commit()
            return _error(request, "forgotten", error, "email", email=typed)
        await uow.commit()
    return RedirectResponse(SENT, status_code=303)


@router.get(SENT)
async def sent_page(request: Request) -> Response:
    return _render(request, "sent")


@router.get(LINK)
async def link_opened(request: Request) -> Response:
    """The emailed link: checked (nothing changes), then its token moves into a cookie and out of the address."""
    token = request.query_params.get("token")
    identity = _identity(request)
    async with identity.uow() as uow:
        try:
            await recovery.open_link(uow, identity, token)
        except recovery.ResetRefused as error:
            await uow.commit()  # the refusal is recorded
            return _refused(request, error, again=FORGOTTEN)
    response = RedirectResponse(RESET_CODE, status_code=303)
    response.set_cookie(RESET_COOKIE, token or "", httponly=True, samesite="lax", secure=identity.secure_cookies,
                        path="/identity/recovery")  # fmt: skip
    return response


@router.get(RESET_CODE)
async def reset_code_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        try:
            reset, citizen = await recovery.open_link(uow, identity, request.cookies.get(RESET_COOKIE))
        except recovery.ResetRefused as error:
            await uow.commit()
            return _refused(request, error, again=FORGOTTEN)
        ways = list(dict.fromkeys(found.kind for found in await factors.second_factors(uow, citizen)))
    if reset.second_factor_at is not None:
        return RedirectResponse(RESET_PASSWORD, status_code=303)
    if ways and factors.APP not in ways:  # the account's default is another kind: its page
        return RedirectResponse(RESET_WAYS[ways[0]], status_code=303)
    return _render(request, "reset_code", ways=ways)


@router.post(RESET_CODE)
async def reset_code_submit(request: Request) -> Response:
    code = _form(await request.form(), "code", 20)
    identity = _identity(request)
    async with identity.uow() as uow:
        try:
            reset, citizen = await recovery.open_link(uow, identity, request.cookies.get(RESET_COOKIE))
        except recovery.ResetRefused as error:
            await uow.commit()
            return _refused(request, error, again=FORGOTTEN)
        ways = list(dict.fromkeys(found.kind for found in await factors.second_factors(uow, citizen)))
        if not code.strip():
            message = gettext_("Enter the 6-digit code from your authenticator app")
            return _render(request, "reset_code", [{"text": message, "href": "#code"}], 400, ways=ways)
        try:
            await recovery.prove_factor(uow, identity, reset, citizen, code, _ip(request))
        except (TooManyGuesses, sign_in.SignInFailed) as error:
            await uow.commit()  # the wrong code is counted and recorded
            return _error(request, "reset_code", error, "code", ways=ways)
        await uow.commit()
    return RedirectResponse(RESET_PASSWORD, status_code=303)


@router.get(RESET_PASSWORD)
async def reset_password_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        try:
            reset, _ = await recovery.open_link(uow, identity, request.cookies.get(RESET_COOKIE))
        except recovery.ResetRefused as error:
            await uow.commit()
            return _refused(request, error, again=FORGOTTEN)
        _allow_service(request, await sign_in.find(uow, identity, request.cookies.get(COOKIE)))
    if reset.second_factor_at is None:
        return RedirectResponse(RESET_CODE, status_code=303)
    return _render(request, "reset_password")


@router.post(RESET_PASSWORD)
async def reset_password_submit(request: Request) -> Response:
    form = await request.form()
    password, again = _form(form, "password", 1000), _form(form, "confirm-password", 1000)
    if not password or not again:
        field = "password" if not password else "confirm-password"
        message = gettext_("Enter a new password") if not password else gettext_("Re-type your new password")
        return _render(request, "reset_password", [{"text": message, "href": f"#{field}"}], 400)
    identity = _identity(request)
    async with identity.uow() as uow:
        try:
            citizen = await recovery.set_password(uow, identity, request.cookies.get(RESET_COOKIE), password, again)
        except recovery.ResetRefused as error:
            await uow.commit()
            status = 403 if error.reason == "no_second_factor" else 400
            return _refused(request, error, status, again=FORGOTTEN)
        except UserFacingError as error:
            _allow_service(request, await sign_in.find(uow, identity, request.cookies.get(COOKIE)))
            return _error(request, "reset_password", error, "password" if isinstance(error, WeakPassword) else
                          "confirm-password")  # fmt: skip
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        finished = await recovery.sign_in_after_reset(uow, identity, citizen, row, request.cookies.get(sessions.COOKIE))
        await uow.commit()
    response = to_service(identity, finished)
    response.delete_cookie(RESET_COOKIE, path="/identity/recovery")
    return response


@router.get(RESET_DONE)
async def reset_done_page(request: Request) -> Response:
    return _render(request, "reset_done")


# A lost second factor ----------------------------------------------------------------------------------------------


async def _password_proven(request: Request, uow: UnitOfWork) -> tuple[SignIn | None, Response | None]:
    """The sign-in whose password was proven, or the page to show instead (timed out, or back to sign in)."""
    identity = _identity(request)
    row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
    if row is None:
        return None, _problem(request, gettext_(TIMED_OUT), 400)
    if row.citizen_id is None:
        return None, RedirectResponse(PASSWORD if row.email else EMAIL, status_code=303)
    return row, None


async def _lost_kind(uow: UnitOfWork, citizen_id: uuid.UUID | None, asked: str | None) -> str:
    """Which factor the start page speaks of: the kind whose page's "I cannot use ..." link was followed (`lost`),
    when the account has one of that kind; otherwise the account's default. Wording only: whichever it was, the
    request is the same and completing it replaces every old second factor (services/factor_recovery.py)."""
    kinds = [found.kind for found in await factors.of_account(uow, citizen_id)]
    if asked in kinds:
        return str(asked)
    return kinds[0] if kinds else factors.APP


@router.get(FACTOR)
async def factor_page(request: Request) -> Response:
    """Where the citizen's request stands: start it, enter the emailed code, wait, or set up the new app."""
    identity = _identity(request)
    async with identity.uow(read_only=True) as uow:
        row, instead = await _password_proven(request, uow)
        if row is None or row.citizen_id is None:
            return instead or _problem(request, gettext_(TIMED_OUT), 400)
        found = await recovery_wait.live(uow, row.citizen_id)
        citizen = await uow.session.get(Citizen, row.citizen_id)
        lost = await _lost_kind(uow, row.citizen_id, request.query_params.get("lost"))
    stage = factor_recovery.state(found)
    if stage == "email":
        return RedirectResponse(FACTOR_EMAIL, status_code=303)
    if stage == "ready":
        return RedirectResponse(FACTOR_NEW, status_code=303)
    if stage == "waiting" and found is not None and found.ready_at is not None:
        return _render(request, "factor_waiting", ready=_when(found.ready_at))
    email = citizen.email if citizen is not None else ""
    return _render(request, "factor_start", email=email, hours=factor_recovery.wait_hours(identity), lost=lost)


@router.post(FACTOR)
async def factor_start(request: Request) -> Response:
    asked = _form(await request.form(), "lost", 20)
    identity = _identity(request)
    async with identity.uow() as uow:
        row, instead = await _password_proven(request, uow)
        if row is None:
            return instead or _problem(request, gettext_(TIMED_OUT), 400)
        citizen = await uow.session.get(Citizen, row.citizen_id)
        lost = await _lost_kind(uow, row.citizen_id, asked)
        email = citizen.email if citizen is not None else ""
        try:
            await factor_recovery.start(uow, identity, row, _ip(request), current_language())
        except (TooManyGuesses, factor_recovery.RecoveryRefused) as error:
            await uow.commit()
            return _error(request, "factor_start", error, "send", email=email,
                          hours=factor_recovery.wait_hours(identity), lost=lost)  # fmt: skip
        await uow.commit()
    return RedirectResponse(FACTOR_EMAIL, status_code=303)


@router.get(FACTOR_EMAIL)
async def factor_email_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow(read_only=True) as uow:
        row, instead = await _password_proven(request, uow)
        if row is None or row.citizen_id is None:
            return instead or _problem(request, gettext_(TIMED_OUT), 400)
        found = await recovery_wait.live(uow, row.citizen_id)
        citizen = await uow.session.get(Citizen, row.citizen_id)
    if factor_recovery.state(found) != "email" or citizen is None:
        return RedirectResponse(FACTOR, status_code=303)
    return _render(request, "factor_email", email=citizen.email)


@router.post(FACTOR_EMAIL)
async def factor_email_submit(request: Request) -> Response:
    code = _form(await request.form(), "code", 20)
    identity = _identity(request)
    async with identity.uow() as uow:
        row, instead = await _password_proven(request, uow)
        if row is None or row.citizen_id is None:
            return instead or _problem(request, gettext_(TIMED_OUT), 400)
        found = await recovery_wait.live(uow, row.citizen_id)
        citizen = await uow.session.get(Citizen, row.citizen_id)
        if found is None or citizen is None or factor_recovery.state(found) != "email":
            return RedirectResponse(FACTOR, status_code=303)
        if not code.strip():
            message = gettext_("Enter the 6-digit code from the email")
            return _render(request, "factor_email", [{"text": message, "href": "#code"}], 400, email=citizen.email)
        try:
            await factor_recovery.confirm_email(uow, identity, found, code, _ip(request), current_language())
        except (TooManyGuesses, factor_recovery.RecoveryRefused) as error:
            await uow.commit()  # the wrong guess is counted
            return _error(request, "factor_email", error, "code", email=citizen.email)
        await uow.commit()
    return RedirectResponse(FACTOR, status_code=303)


async def _set_up(request: Request, uow: UnitOfWork) -> tuple[SignIn, str, str] | Response:
    """The sign-in, the account's email and the new app's secret for the set-up page; or the page instead (a
    refusal before the wait is over, recorded: the caller commits)."""
    identity = _identity(request)
    row, instead = await _password_proven(request, uow)
    if row is None:
        return instead or _problem(request, gettext_(TIMED_OUT), 400)
    try:
        found = await factor_recovery.ready_for(uow, row)
    except factor_recovery.RecoveryRefused as error:
        return _refused(request, error, 403)
    citizen = await uow.session.get(Citizen, row.citizen_id)
    return row, citizen.email if citizen is not None else "", factor_recovery.new_secret(identity, found)


@router.get(FACTOR_NEW)
async def factor_new_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        ready = await _set_up(request, uow)
        await uow.commit()
    if isinstance(ready, Response):
        return ready
    row, email, secret = ready
    _allow_service(request, row)
    return show_authenticator_set_up(request, row, email, secret, action=FACTOR_NEW, button=gettext_("Continue"))


@router.post(FACTOR_NEW)
async def factor_new_submit(request: Request) -> Response:
    code = _form(await request.form(), "code", 20)
    identity = _identity(request)
    async with identity.uow() as uow:
        ready = await _set_up(request, uow)
        if isinstance(ready, Response):
            await uow.commit()
            return ready
        row, email, secret = ready
        _allow_service(request, row)
        if not code.strip():
            errors = [{"text": gettext_("Enter the 6-digit code from your authenticator app"), "href": "#code"}]
            return show_authenticator_set_up(request, row, email, secret, errors, 400, action=FACTOR_NEW,
                                             button=gettext_("Continue"))  # fmt: skip
        try:
            finished = await factor_recovery.complete(
                uow, identity, row, code, _ip(request), request.cookies.get(sessions.COOKIE)
            )
        except (TooManyGuesses, factor_recovery.RecoveryRefused) as error:
            await uow.commit()  # the wrong code is counted
            errors = [{"text": localise(error), "href": "#code"}]
            status = 429 if isinstance(error, TooManyGuesses) else 400
            page = show_authenticator_set_up(request, row, email, secret, errors, status, action=FACTOR_NEW,
                                             button=gettext_("Continue"))  # fmt: skip
            if isinstance(error, TooManyGuesses):
                page.headers["Retry-After"] = str(error.wait_seconds)
            return page
        await uow.commit()
    return to_service(identity, finished)


@router.get(CANCEL)
async def cancel_page(request: Request) -> Response:
    """The cancel link: checked, then a button (a mail scanner opening the link cancels nothing)."""
    token = request.query_params.get("token")
    identity = _identity(request)
    async with identity.uow() as uow:
        try:
            await factor_recovery.check_cancel_link(uow, identity, token)
        except factor_recovery.RecoveryRefused as error:
            await uow.commit()
            return _refused(request, error)
    return _render(request, "cancel", token=token)


@router.post(CANCEL)
async def cancel_submit(request: Request) -> Response:
    token = _form(await request.form(), "token", 200)
    identity = _identity(request)
    async with identity.uow() as uow:
        try:
            await factor_recovery.cancel_with_link(uow, identity, token)
        except factor_recovery.RecoveryRefused as error:
            await uow.commit()
            return _refused(request, error)
        await uow.commit()
    return _render(request, "cancelled")


__all__ = ["PUBLIC_ROUTES", "router"]
