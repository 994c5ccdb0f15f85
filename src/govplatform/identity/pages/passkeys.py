"""The sign-in and sign-up pages that use a passkey (services/passkeys.py decides; docs/adr/0023-passkeys.md):

- /identity/sign-in/passkey: the second factor after the password, for a citizen with passkeys ("Use your
  passkey"; one with an authenticator app too is offered either);
- /identity/sign-in/with-passkey: signing in without a password, from the email page, with a discoverable
  passkey and user verification: Cl.Cm on its own;
- /identity/sign-up/passkey: creating an account with a passkey instead of an authenticator app.

Each GET issues a challenge bound to the browser's sign-in and shows it in the page's form; static/passkeys.js
runs the ceremony and posts the answer in that form (CSRF token and all), so these routes are plain form
handling, and every refusal is this page again with an error summary and a fresh challenge. Without
JavaScript the form stays hidden and the page says what to do instead. A finished sign-in goes through
services/sign_in.finish like any other, so the session, the service's code and back-channel logout work alike.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import TooManyGuesses, gettext_, localise
from govplatform.identity.component import IdentityComponent
from govplatform.identity.errors import IdentityError
from govplatform.identity.models import Citizen, SignIn
from govplatform.identity.pages.sign_in import (
    CODE,
    COOKIE,
    EMAIL,
    PASSWORD,
    TIMED_OUT,
    _identity,
    _ip,
    _page,
    _problem,
    _signed_in,
    _typed,
)
from govplatform.identity.pages.sign_up import _next_step
from govplatform.identity.services import passkey_changes, passkeys, sessions, sign_in, sign_up
from govplatform.identity.services.passkeys import PasskeyRefused

router = APIRouter(include_in_schema=False)
SECOND_FACTOR = "/identity/sign-in/passkey"
WITHOUT_PASSWORD = "/identity/sign-in/with-passkey"
SIGN_UP = "/identity/sign-up/passkey"
# A citizen signing in or up has no session: the sign-in cookie is the credential of every step.
PUBLIC_ROUTES = [(method, path) for path in (SECOND_FACTOR, WITHOUT_PASSWORD, SIGN_UP) for method in ("GET", "POST")]
CREDENTIAL_LIMIT = 64 * 1024  # a passkey's JSON is a few kilobytes; a longer one is cut, and so refused


def _errors(message: str) -> list[dict[str, str]]:
    return [{"text": message, "href": "#passkey"}]


def browser_problem(problem: str) -> str:
    """What to say when the browser's ceremony did not finish: the authenticator already holds one of the
    citizen's passkeys (InvalidStateError), or it was cancelled, timed out or refused (anything else)."""
    message = passkeys.ALREADY_SET_UP if problem == "InvalidStateError" else passkeys.NOT_USED
    return gettext_(message)


async def posted(request: Request) -> tuple[str, str]:
    """The ceremony's answer from the form: the credential's JSON, or the browser's error name."""
    form = await request.form()
    return _typed(form, "credential", CREDENTIAL_LIMIT), _typed(form, "problem", 40)


def _refused_status(error: Exception | None) -> tuple[int, dict[str, str]]:
    if isinstance(error, TooManyGuesses):
        return 429, {"Retry-After": str(error.wait_seconds)}
    return 400, {}


async def _current(request: Request) -> tuple[IdentityComponent, SignIn | None]:
    identity = _identity(request)
    async with identity.uow(read_only=True) as uow:
        return identity, await sign_in.find(uow, identity, request.cookies.get(COOKIE))


async def _second_factor_page(
    request: Request, row: SignIn, errors: list[dict[str, str]] | None = None, status_code: int = 200
) -> Response:
    """ "Use your passkey", with a fresh challenge for the citizen whose password was right; to the app's code
    page when they have no passkey."""
    identity = _identity(request)
    async with identity.uow() as uow:
        citizen = await uow.session.get(Citizen, row.citizen_id)
        if citizen is None or not await passkeys.of_citizen(uow, citizen.id):
            return RedirectResponse(CODE, status_code=303)
        options = await passkeys.authentication_options(
            uow, identity, purpose=passkeys.SECOND_FACTOR, bound_to=row.token_hash, citizen_id=citizen.id
        )
        await uow.commit()
    has_app = citizen.totp_secret_encrypted is not None
    return _page(request, "passkey", row, errors, status_code, options=options, has_app=has_app)


@router.get(SECOND_FACTOR)
async def second_factor_page(request: Request) -> Response:
    _, row = await _current(request)
    if row is None:
        return _problem(request, gettext_(TIMED_OUT), 400)
    if row.citizen_id is None:
        return RedirectResponse(PASSWORD if row.email else EMAIL, status_code=303)
    return await _second_factor_page(request, row)


@router.post(SECOND_FACTOR)
async def second_factor_submit(request: Request) -> Response:
    credential, problem = await posted(request)
    identity = _identity(request)
    async with identity.uow() as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        if row is None:
            return _problem(request, gettext_(TIMED_OUT), 400)
        if row.citizen_id is None:
            return RedirectResponse(PASSWORD if row.email else EMAIL, status_code=303)
        refusal: Exception | None = None
        if credential:
            try:
                await passkeys.authenticate(
                    uow, identity, credential, purpose=passkeys.SECOND_FACTOR, bound_to=row.token_hash,
                    citizen_id=row.citizen_id, ip=_ip(request),
                )  # fmt: skip
                finished = await sign_in.finish(uow, identity, row, "Cl.Cm", request.cookies.get(sessions.COOKIE))
            except (TooManyGuesses, PasskeyRefused) as error:
                refusal = error
        await uow.commit()  # a refused attempt is counted, and recorded in the citizen's history
    if not credential or refusal is not None:
        message = localise(refusal) if refusal is not None else browser_problem(problem)
        status_code, headers = _refused_status(refusal)
        page = await _second_factor_page(request, row, _errors(message), status_code)
        page.headers.update(headers)
        return page
    return _signed_in(identity, finished)


async def _without_password_page(
    request: Request, row: SignIn, errors: list[dict[str, str]] | None = None, status_code: int = 200
) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        options = await passkeys.authentication_options(
            uow, identity, purpose=passkeys.PASSWORDLESS, bound_to=row.token_hash
        )
        await uow.commit()
    return _page(request, "passkey_sign_in", row, errors, status_code, options=options)


@router.get(WITHOUT_PASSWORD)
async def without_password_page(request: Request) -> Response:
    _, row = await _current(request)
    if row is None:
        return _problem(request, gettext_(TIMED_OUT), 400)
    return await _without_password_page(request, row)


@router.post(WITHOUT_PASSWORD)
async def without_password_submit(request: Request) -> Response:
    credential, problem = await posted(request)
    identity = _identity(request)
    async with identity.uow() as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        if row is None:
            return _problem(request, gettext_(TIMED_OUT), 400)
        refusal: Exception | None = None
        if credential:
            try:
                passkey = await passkeys.authenticate(
                    uow, identity, credential, purpose=passkeys.PASSWORDLESS, bound_to=row.token_hash,
                    citizen_id=None, ip=_ip(request),
                )  # fmt: skip
            except (TooManyGuesses, PasskeyRefused) as error:
                refusal = error
            else:
                citizen = await uow.session.get(Citizen, passkey.citizen_id)
                assert citizen is not None  # a passkey is deleted with its account
                # A passkey with user verification is two factors at once (ADR 0023): the sign-in is at Cl.Cm.
                row.email, row.citizen_id = citizen.email, citizen.id
                finished = await sign_in.finish(uow, identity, row, "Cl.Cm", request.cookies.get(sessions.COOKIE))
        await uow.commit()  # a refused attempt is counted, and recorded in the passkey owner's history
    if not credential or refusal is not None:
        message = localise(refusal) if refusal is not None else browser_problem(problem)
        status_code, headers = _refused_status(refusal)
        page = await _without_password_page(request, row, _errors(message), status_code)
        page.headers.update(headers)
        return page
    return _signed_in(identity, finished)


def _rp_name(request: Request) -> str:
    return str(request.app.state.platform.settings.platform_name)


async def _sign_up_page(
    request: Request, row: SignIn, email: str, errors: list[dict[str, str]] | None = None, status_code: int = 200
) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        options = await passkeys.registration_options(
            uow, identity, purpose=passkeys.SIGN_UP, bound_to=row.token_hash, rp_name=_rp_name(request),
            user_name=email,
        )  # fmt: skip
        await uow.commit()
    return _page(request, "sign_up_passkey", row, errors, status_code, options=options)


@router.get(SIGN_UP)
async def sign_up_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow(read_only=True) as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        found = await sign_up.find(uow, row) if row is not None else None
    if row is None:
        return _problem(request, gettext_(TIMED_OUT), 400)
    if found is None or found.password_hash is None:
        return RedirectResponse(_next_step(found), status_code=303)
    return await _sign_up_page(request, row, found.email)


@router.post(SIGN_UP)
async def sign_up_submit(request: Request) -> Response:
    credential, problem = await posted(request)
    identity = _identity(request)
    async with identity.uow() as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        if row is None:
            return _problem(request, gettext_(TIMED_OUT), 400)
        found = await sign_up.find(uow, row)
        if found is None or found.password_hash is None:
            return RedirectResponse(_next_step(found), status_code=303)
        email = found.email
        refusal: Exception | None = None
        if credential:
            try:
                new = await passkeys.verify_new(
                    uow, identity, credential, purpose=passkeys.SIGN_UP, bound_to=row.token_hash
                )
                finished = await passkey_changes.create_account(
                    uow, identity, row, found, new, "", _ip(request), request.cookies.get(sessions.COOKIE)
                )
            except (PasskeyRefused, IdentityError) as error:
                refusal = error
        await uow.commit()  # a refused passkey's challenge is used up
    if not credential or refusal is not None:
        message = localise(refusal) if refusal is not None else browser_problem(problem)
        return await _sign_up_page(request, row, email, _errors(message), 400)
    return _signed_in(identity, finished)
