"""/authorize and the sign-in pages: email, password, then the authenticator app's code (or a code texted to the
account's phone: pages/sign_in_text.py, which also lets a citizen with several second factors choose another).

A browser with a live session at the provider (services/sessions.py) skips the pages: /authorize answers with
a code in that session at once, unless the service asked for a fresh sign-in (`prompt=login`), the session's
sign-in is older than the service's `max_age`, or the service asks for a higher level than the session holds.
The platform's own pages start a sign-in (or a step up) with no service at /identity/sign-in/start and come
back to a path on this site (interfaces.py).

/authorize checks the request (services/authorisation.py decides whether an error is shown here or sent
to the client), starts a sign-in and sends the browser to the email page, in Welsh when `ui_locales` asks
for it (`?lang=cy`, which the web shell remembers). Each page works without JavaScript; forms carry the
platform's CSRF token; a refused guess is answered 429 with Retry-After, the same for every email.
"""

from __future__ import annotations

import contextlib
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import (
    N_,
    PageRenderer,
    TooManyGuesses,
    allow_form_action,
    current_language,
    gettext_,
    localise,
    utcnow,
)
from govplatform.identity.component import IdentityComponent
from govplatform.identity.errors import IdentityError
from govplatform.identity.models import Citizen, CitizenSession, SignIn
from govplatform.identity.proofing import journey
from govplatform.identity.services import factor_recovery, factors, recovery_wait, sessions, sign_in, text_codes
from govplatform.identity.services.authorisation import (
    AuthorisationRequest,
    RedirectedError,
    ShownError,
    check_request,
)
from govplatform.identity.services.citizens import normalise_email
from govplatform.identity.services.return_to import same_site_path

router = APIRouter(include_in_schema=False)
COOKIE = "govplatform_identity_sign_in"
EMAIL, PASSWORD, CODE = "/identity/sign-in/email", "/identity/sign-in/password", "/identity/sign-in/code"
START = "/identity/sign-in/start"
PROVE = "/identity/prove"  # pages/proving.py: a service asked for an identity the citizen has not proved
PASSKEY = "/identity/sign-in/passkey"  # pages/passkeys.py
TEXT_CODE = "/identity/sign-in/text-code"  # its routes: pages/sign_in_text.py
PUBLIC_ROUTES = [
    ("GET", "/authorize"),
    ("GET", START),
    ("GET", EMAIL),
    ("POST", EMAIL),
    ("GET", PASSWORD),
    ("POST", PASSWORD),
    ("GET", CODE),
    ("POST", CODE),
]
TIMED_OUT = N_("Your sign-in has timed out or was not started by a service. Go back to the service and try again.")


def _identity(request: Request) -> IdentityComponent:
    component: IdentityComponent = request.app.state.identity
    return component


def _templates(request: Request) -> PageRenderer:
    templates: PageRenderer = request.app.state.templates
    return templates


def _ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def redirect_to_client(redirect_uri: str, mode: str, values: dict[str, str | None]) -> RedirectResponse:
    """The browser sent back to the client: in the query (the default) or the fragment (response_mode)."""
    encoded = urlencode({name: value for name, value in values.items() if value is not None})
    if mode == "fragment":
        return RedirectResponse(f"{redirect_uri}#{encoded}", status_code=302)
    joiner = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{joiner}{encoded}", status_code=302)


def _problem(request: Request, message: str, status_code: int) -> Response:
    page: Response = _templates(request).render(request, "identity/problem.html", {"message": message}, status_code)
    return page


@router.get("/authorize")
async def authorize(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        try:
            query: dict[str, list[str]] = {}
            for name, value in request.query_params.multi_items():
                query.setdefault(name, []).append(value)
            checked = await check_request(uow, identity, query, len(request.url.query))
        except ShownError as error:
            return _problem(request, error.description, error.status_code)
        except RedirectedError as error:
            values = {"error": error.error, "error_description": error.description, "state": error.state}
            return redirect_to_client(error.redirect_uri, error.mode, values)
        session = await sessions.find(uow, identity, request.cookies.get(sessions.COOKIE))
        if session is not None and _session_answers(session, checked):
            sessions.touch(session)  # single sign-on: the pages are skipped, the code is in the same session
            try:
                code = await sign_in.code_for(uow, identity, checked, session.citizen_id, session.sid,
                                              session.auth_time)  # fmt: skip
            except sign_in.LevelNotReached:  # signed in, not proved: on to prove it, as One Login sends them
                await journey.begin(uow, session.citizen_id, str(checked.level), checked.as_json())
                await uow.commit()
                return RedirectResponse(PROVE, status_code=303)
            await uow.commit()
            answer: dict[str, str | None] = {"code": code, "state": checked.state}
            return redirect_to_client(checked.redirect_uri, checked.response_mode, answer)
        token = await sign_in.start(uow, identity, checked)
        await uow.commit()
    return _to_sign_in(identity, token, checked.language)


def _session_answers(session: CitizenSession, checked: AuthorisationRequest) -> bool:
    """Whether the browser's session may answer a request without the sign-in pages: not when the service
    asked for a fresh sign-in (prompt=login), when the last one is older than its max_age, or when the
    request asks for a higher level than the session reached (step-up)."""
    if checked.prompt_login or not sessions.covers(session.credential, checked.credential):
        return False
    if checked.max_age is not None:
        return (utcnow() - session.auth_time).total_seconds() <= checked.max_age
    return True


def _to_sign_in(identity: IdentityComponent, token: str, language: str | None, first: str = EMAIL) -> Response:
    target = first + (f"?lang={language}" if language else "")
    response = RedirectResponse(target, status_code=302)
    response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=identity.secure_cookies)
    return response


@router.get(START)
async def start_for_platform_page(request: Request) -> Response:
    """Sign-in (or a step up) for the platform's own pages (interfaces.sign_in_url), then back to `return_to`:
    a path on this site only, so the link can never send a citizen elsewhere.

    With `fresh=1` the session's level is not enough: a signed-in citizen proves their factors again,
    starting at the password page with their email filled in (the session's sid is kept, auth_time renewed)."""
    return_to = same_site_path(request.query_params.get("return_to"))
    level = request.query_params.get("level") or "Cl.Cm"
    fresh = request.query_params.get("fresh") == "1"
    if return_to is None or level not in sessions.LEVELS:
        return _problem(request, gettext_(TIMED_OUT), 400)
    identity = _identity(request)
    async with identity.uow() as uow:
        session = await sessions.find(uow, identity, request.cookies.get(sessions.COOKIE))
        if session is not None and sessions.covers(session.credential, level) and not fresh:
            return RedirectResponse(return_to, status_code=303)
        checked = AuthorisationRequest(
            client_id="", client_name="", redirect_uri="", state="", nonce="", scopes=[], claims=[],
            credential=level, code_challenge=None, response_mode="query", language=None, return_to=return_to,
        )  # fmt: skip
        known = await uow.session.get(Citizen, session.citizen_id) if fresh and session is not None else None
        token = await sign_in.start(uow, identity, checked, email=known.email if known else None)
        await uow.commit()
    language = current_language()
    return _to_sign_in(identity, token, language if language != "en" else None, PASSWORD if known else EMAIL)


async def _current(request: Request) -> tuple[IdentityComponent, SignIn | None]:
    identity = _identity(request)
    async with identity.uow(read_only=True) as uow:
        return identity, await sign_in.find(uow, identity, request.cookies.get(COOKIE))


def _page(request: Request, name: str, row: SignIn, errors: list[dict[str, str]] | None = None,
          status_code: int = 200, **values: object) -> Response:  # fmt: skip
    checked = sign_in.request_of(row)
    # The password and code forms end in a redirect to the service's redirect URI, which the page's CSP allows.
    allow_form_action(request, checked.redirect_uri)
    name_shown = checked.client_name or gettext_("Your GOV.UK account")
    context = {"errors": errors or [], "service_name": name_shown, **values}
    page: Response = _templates(request).render(request, f"identity/{name}.html", context, status_code)
    return page


def _refused(request: Request, name: str, row: SignIn, error: Exception, **values: object) -> Response:
    """The page again with why: 429 and Retry-After while the throttle makes the address or account wait."""
    errors = [{"text": localise(error), "href": f"#{name}"}]
    if isinstance(error, TooManyGuesses):
        page = _page(request, name, row, errors, 429, **values)
        page.headers["Retry-After"] = str(error.wait_seconds)
        return page
    return _page(request, name, row, errors, 400, **values)


def _typed(form: object, name: str, limit: int) -> str:
    value = form.get(name) if hasattr(form, "get") else None
    return value[:limit] if isinstance(value, str) else ""


@router.get(EMAIL)
async def email_page(request: Request) -> Response:
    _, row = await _current(request)
    if row is None:
        return _problem(request, gettext_(TIMED_OUT), 400)
    return _page(request, "email", row, email=row.email or "")


@router.post(EMAIL)
async def email_submit(request: Request) -> Response:
    email = _typed(await request.form(), "email", 320).strip()
    identity = _identity(request)
    async with identity.uow() as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        if row is None:
            return _problem(request, gettext_(TIMED_OUT), 400)
        try:
            normal = normalise_email(email) if email else None
        except IdentityError as error:
            return _page(request, "email", row, [{"text": localise(error), "href": "#email"}], 400, email=email)
        if normal is None:
            message = gettext_("Enter your email address")
            return _page(request, "email", row, [{"text": message, "href": "#email"}], 400, email=email)
        row.email, row.citizen_id = normal, None  # never looked up here: the password page follows either way
        await uow.commit()
    return RedirectResponse(PASSWORD, status_code=303)


@router.get(PASSWORD)
async def password_page(request: Request) -> Response:
    _, row = await _current(request)
    if row is None:
        return _problem(request, gettext_(TIMED_OUT), 400)
    if not row.email:
        return RedirectResponse(EMAIL, status_code=303)
    return _page(request, "password", row, email=row.email)


@router.post(PASSWORD)
async def password_submit(request: Request) -> Response:
    password = _typed(await request.form(), "password", 1000)
    identity = _identity(request)
    async with identity.uow() as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        if row is None:
            return _problem(request, gettext_(TIMED_OUT), 400)
        if not row.email:
            return RedirectResponse(EMAIL, status_code=303)
        if not password:
            errors = [{"text": gettext_("Enter your password"), "href": "#password"}]
            return _page(request, "password", row, errors, 400, email=row.email)
        try:
            await sign_in.check_password(uow, identity, row, password, _ip(request))
        except (TooManyGuesses, sign_in.SignInFailed) as error:
            await uow.commit()  # a wrong password's count is kept (a refused attempt counted nothing)
            return _refused(request, "password", row, error, email=row.email)
        if sign_in.request_of(row).credential == "Cl":  # a password alone was asked for (One Login's low level)
            finished = await sign_in.finish(
                uow, identity, row, "Cl", request.cookies.get(sessions.COOKIE), request.headers.get("user-agent")
            )
            await uow.commit()
            return _signed_in(identity, finished)
        next_page = CODE
        if await factors.default_kind(uow, row.citizen_id) == factors.TEXT:
            next_page = TEXT_CODE  # texted now; a send refused or throttled is offered again there, with why
            with contextlib.suppress(TooManyGuesses, text_codes.TextCodeRefused):
                await text_codes.send_for_sign_in(uow, identity, row, _ip(request))
        await uow.commit()
    return RedirectResponse(next_page, status_code=303)


@router.get(CODE)
async def code_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow(read_only=True) as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        if row is None:
            return _problem(request, gettext_(TIMED_OUT), 400)
        if row.citizen_id is None:
            return RedirectResponse(PASSWORD if row.email else EMAIL, status_code=303)
        kinds = [factor.kind for factor in await factors.of_account(uow, row.citizen_id)]
        # After a lost factor's wait (services/factor_recovery.py) the page offers to set up a new one.
        ready = factor_recovery.state(await recovery_wait.live(uow, row.citizen_id)) == "ready"
    if factors.APP not in kinds and not ready:
        if factors.TEXT in kinds:
            return RedirectResponse(TEXT_CODE, status_code=303)
        if factors.PASSKEY in kinds:  # a citizen whose second factors are passkeys alone (pages/passkeys.py)
            return RedirectResponse(PASSKEY, status_code=303)
    return _page(request, "code", row, recovery_ready=ready, other_ways=len(set(kinds)) > 1,
                 passkey_link=factors.PASSKEY in kinds)  # fmt: skip


@router.post(CODE)
async def code_submit(request: Request) -> Response:
    code = _typed(await request.form(), "code", 20)
    identity = _identity(request)
    async with identity.uow() as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        if row is None:
            return _problem(request, gettext_(TIMED_OUT), 400)
        if row.citizen_id is None:
            return RedirectResponse(PASSWORD if row.email else EMAIL, status_code=303)
        other_ways = len(await factors.of_account(uow, row.citizen_id)) > 1
        if not code.strip():
            errors = [{"text": gettext_("Enter the 6-digit code from your authenticator app"), "href": "#code"}]
            return _page(request, "code", row, errors, 400, other_ways=other_ways)
        try:
            await sign_in.check_code(uow, identity, row, code, _ip(request))
        except (TooManyGuesses, sign_in.SignInFailed) as error:
            await uow.commit()
            return _refused(request, "code", row, error, other_ways=other_ways)
        finished = await sign_in.finish(
            uow, identity, row, "Cl.Cm", request.cookies.get(sessions.COOKIE), request.headers.get("user-agent")
        )
        await uow.commit()
    return _signed_in(identity, finished)


def _signed_in(identity: IdentityComponent, finished: sign_in.Finished) -> Response:
    """Back to the service with its code (or to the platform's page), with the session's cookie set."""
    checked = finished.request
    response: Response
    if finished.prove:
        response = RedirectResponse(PROVE, status_code=303)
    elif finished.code is None:
        response = RedirectResponse(checked.return_to or "/", status_code=303)
    else:
        values: dict[str, str | None] = {"code": finished.code, "state": checked.state}
        response = redirect_to_client(checked.redirect_uri, checked.response_mode, values)
    response.delete_cookie(COOKIE)
    # A browser-session cookie (no Max-Age): closing the browser on a shared computer ends it too.
    response.set_cookie(
        sessions.COOKIE, finished.session_token, httponly=True, samesite="lax", secure=identity.secure_cookies
    )
    return response
