"""The citizen's account pages at /identity/account: the services they have signed in to (first and last use),
changing their email address (a code sent to the new one) and their password, deleting the account.

Each page needs the citizen's session at the provider at Cl.Cm (a password and a second factor: these pages
change the account itself); without it the browser is sent to sign in and then brought back (interfaces.py).
Forms carry the platform's CSRF token; wrong current passwords meet core's throttle (429 with Retry-After).
The rules live in services/accounts.py; these routes parse and format.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import (
    N_,
    PageRenderer,
    TooManyGuesses,
    UnitOfWork,
    current_language,
    gettext_,
    localise,
    long_date,
)
from govplatform.identity import interfaces
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import Citizen, CitizenSession, ProvenIdentity
from govplatform.identity.services import accounts, email_change, passkeys, service_uses, sessions

router = APIRouter(include_in_schema=False)
ACCOUNT, PASSWORD, DELETE = "/identity/account", "/identity/account/password", "/identity/account/delete"
EMAIL, EMAIL_CODE = "/identity/account/email", "/identity/account/email/code"
LEVEL = "Cl.Cm"
# Not public: each answers an anonymous browser by sending it to sign in (tests/integration/test_route_table.py).
ROUTES = [
    ("GET", ACCOUNT),
    *((method, path) for path in (EMAIL, EMAIL_CODE, PASSWORD, DELETE) for method in ("GET", "POST")),
]
DONE = {"password": N_("Your password has been changed"), "email": N_("Your email address has been changed")}


def sign_in_redirect(return_to: str, level: str) -> RedirectResponse:
    """To sign in and back, in the page's language (a redirect does not set the language cookie)."""
    answer = interfaces.sign_in_redirect(return_to, level)
    if current_language() != "en":
        answer.headers["location"] += f"&lang={current_language()}"
    return answer


def _identity(request: Request) -> IdentityComponent:
    component: IdentityComponent = request.app.state.identity
    return component


def _render(request: Request, name: str, context: dict[str, object], status_code: int = 200) -> Response:
    templates: PageRenderer = request.app.state.templates
    page: Response = templates.render(request, f"identity/account/{name}.html", context, status_code)
    page.headers["Cache-Control"] = "no-store"
    return page


def _day(value: dt.datetime) -> str:
    """ "7 December 2026", the month in the page's language."""
    return long_date(value)


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _typed(form: object, name: str) -> str:
    value = form.get(name) if hasattr(form, "get") else None
    return value[: accounts.MAX_PASSWORD_LENGTH + 1] if isinstance(value, str) else ""


async def _signed_in(request: Request, uow: UnitOfWork) -> tuple[CitizenSession, Citizen] | None:
    """The browser's session at Cl.Cm and its citizen (the session's idle limit moved on), or None."""
    identity = _identity(request)
    session = await sessions.find(uow, identity, request.cookies.get(sessions.COOKIE))
    if session is None or not sessions.covers(session.credential, LEVEL):
        return None
    citizen = await uow.session.get(Citizen, session.citizen_id)
    if citizen is None:
        return None
    sessions.touch(session)
    return session, citizen


def _refused(request: Request, name: str, error: Exception, field: str, **values: object) -> Response:
    errors = [{"text": localise(error), "href": f"#{field}"}]
    if isinstance(error, TooManyGuesses):
        page = _render(request, name, {"errors": errors, **values}, 429)
        page.headers["Retry-After"] = str(error.wait_seconds)
        return page
    return _render(request, name, {"errors": errors, **values}, 400)


@router.get(ACCOUNT)
async def account(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _signed_in(request, uow)
        if found is None:
            return sign_in_redirect(ACCOUNT, LEVEL)
        _, citizen = found
        used = await service_uses.used_by(uow, citizen.id)
        passkey_names = [passkey.name for passkey in await passkeys.of_citizen(uow, citizen.id)]
        proof = await uow.session.get(ProvenIdentity, citizen.id)
        email = citizen.email
        await uow.commit()
    services = [{"name": use.name, "first": _day(use.first_used_at), "last": _day(use.last_used_at)} for use in used]
    done = DONE.get(request.query_params.get("done", ""))
    context: dict[str, object] = {
        "email": email,
        "services": services,
        "passkeys": passkey_names,
        "proved_on": _day(proof.proven_at) if proof is not None else None,
        "done": gettext_(done) if done else None,
    }
    return _render(request, "home", context)


async def _form_page(request: Request, path: str, name: str, **values: object) -> Response:
    """An account form, empty: shown to a signed-in citizen; anyone else is sent to sign in and back to it.
    (The commit keeps the session's idle limit moved on by `_signed_in`.)"""
    identity = _identity(request)
    async with identity.uow() as uow:
        if await _signed_in(request, uow) is None:
            return sign_in_redirect(path, LEVEL)
        await uow.commit()
    return _render(request, name, {"errors": [], **values})


@router.get(PASSWORD)
async def password_page(request: Request) -> Response:
    return await _form_page(request, PASSWORD, "password")


@router.post(PASSWORD)
async def password_submit(request: Request) -> Response:
    form = await request.form()
    current, new = _typed(form, "current-password"), _typed(form, "new-password")
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _signed_in(request, uow)
        if found is None:
            return sign_in_redirect(PASSWORD, LEVEL)
        session, citizen = found
        try:
            await accounts.change_password(uow, identity, citizen.id, current, new, session, _ip(request))
        except TooManyGuesses as error:
            await uow.commit()
            return _refused(request, "password", error, "current-password")
        except accounts.AccountRefused as error:
            await uow.commit()  # a wrong current password is counted
            return _refused(request, "password", error, error.field)
        await uow.commit()
    return RedirectResponse(ACCOUNT + "?done=password", status_code=303)


@router.get(DELETE)
async def delete_page(request: Request) -> Response:
    return await _form_page(request, DELETE, "delete")


@router.post(DELETE)
async def delete_submit(request: Request) -> Response:
    password = _typed(await request.form(), "password")
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _signed_in(request, uow)
        if found is None:
            return sign_in_redirect(DELETE, LEVEL)
        _, citizen = found
        try:
            await accounts.delete_account(uow, identity, citizen.id, password, _ip(request))
        except TooManyGuesses as error:
            await uow.commit()
            return _refused(request, "delete", error, "password")
        except accounts.AccountRefused as error:
            await uow.commit()
            return _refused(request, "delete", error, error.field)
        await uow.commit()
    page = _render(request, "deleted", {})
    page.delete_cookie(sessions.COOKIE)
    return page


@router.get(EMAIL)
async def email_page(request: Request) -> Response:
    return await _form_page(request, EMAIL, "email", email="")


@router.post(EMAIL)
async def email_submit(request: Request) -> Response:
    typed = _typed(await request.form(), "email").strip()[:320]
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _signed_in(request, uow)
        if found is None:
            return sign_in_redirect(EMAIL, LEVEL)
        _, citizen = found
        try:
            await email_change.request_change(uow, identity, citizen.id, typed, current_language(), _ip(request))
        except (TooManyGuesses, email_change.EmailChangeRefused) as error:
            await uow.commit()
            return _refused(request, "email", error, "email", email=typed)
        await uow.commit()
    return RedirectResponse(EMAIL_CODE, status_code=303)


@router.get(EMAIL_CODE)
async def email_code_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _signed_in(request, uow)
        if found is None:
            return sign_in_redirect(EMAIL, LEVEL)
        waiting = await email_change.pending(uow, found[1].id)
        await uow.commit()
    if waiting is None:
        return RedirectResponse(EMAIL, status_code=303)
    return _render(request, "email_code", {"errors": [], "new_email": waiting.new_email})


@router.post(EMAIL_CODE)
async def email_code_submit(request: Request) -> Response:
    code = _typed(await request.form(), "code")[:20]
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _signed_in(request, uow)
        if found is None:
            return sign_in_redirect(EMAIL, LEVEL)
        _, citizen = found
        waiting = await email_change.pending(uow, citizen.id)
        if waiting is None:
            return RedirectResponse(EMAIL, status_code=303)
        new_email = waiting.new_email
        try:
            await email_change.confirm(uow, identity, citizen.id, code, _ip(request))
        except (TooManyGuesses, email_change.EmailChangeRefused) as error:
            await uow.commit()
            return _refused(request, "email_code", error, "code", new_email=new_email)
        await uow.commit()
    return RedirectResponse(ACCOUNT + "?done=email", status_code=303)
