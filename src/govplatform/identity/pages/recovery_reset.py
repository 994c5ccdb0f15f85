"""A lost password's second factor when it is not the authenticator app: a code texted to the account's phone,
or one of its passkeys (pages/recovery.py has the app's code page, which sends an account without an app here).

services/second_factor.py decides (the text code and the passkey challenge are bound to this reset link); these
routes parse and format. The credential of each step is the reset link's token, held in its cookie. The first
text is sent only when the citizen presses the button: every step from the emailed link to here is a GET, and a
mail scanner that opens the link and follows it must not text the citizen's phone. Each page offers the
account's other kinds of second factor.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import TooManyGuesses, UnitOfWork, gettext_, localise
from govplatform.identity.models import Citizen, PasswordReset
from govplatform.identity.pages.passkeys import browser_problem, posted
from govplatform.identity.pages.recovery import (
    FORGOTTEN,
    RESET_CODE,
    RESET_COOKIE,
    RESET_PASSKEY,
    RESET_PASSWORD,
    RESET_TEXT,
    RESET_TEXT_SEND,
    _error,
    _form,
    _refused,
    _render,
)
from govplatform.identity.pages.sign_in import _identity, _ip
from govplatform.identity.services import factors, recovery, second_factor, sign_in, text_codes
from govplatform.identity.services.passkeys import PasskeyRefused
from govplatform.identity.services.phone_numbers import ending

router = APIRouter(include_in_schema=False)


async def _open(request: Request, uow: UnitOfWork) -> tuple[PasswordReset, Citizen, list[str]] | Response:
    """The reset link of the cookie, its account and the kinds of second factor it has; or the page instead (a
    refused link, recorded: the caller commits; or the new-password page once the factor was proven)."""
    identity = _identity(request)
    try:
        reset, citizen = await recovery.open_link(uow, identity, request.cookies.get(RESET_COOKIE))
    except recovery.ResetRefused as error:
        return _refused(request, error, again=FORGOTTEN)
    if reset.second_factor_at is not None:
        return RedirectResponse(RESET_PASSWORD, status_code=303)
    ways = list(dict.fromkeys(found.kind for found in await factors.second_factors(uow, citizen)))
    return reset, citizen, ways


def _text_page(request: Request, citizen: Citizen, ways: list[str], sent: bool,
               errors: list[dict[str, str]] | None = None, status_code: int = 200) -> Response:  # fmt: skip
    return _render(request, "reset_text", errors, status_code, ways=ways, sent=sent,
                   ending=ending(citizen.phone_number or ""))  # fmt: skip


@router.get(RESET_TEXT)
async def text_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        opened = await _open(request, uow)
        if isinstance(opened, Response):
            await uow.commit()  # a refused link is recorded
            return opened
        reset, citizen, ways = opened
        live = await text_codes.sent(uow, reset.token_hash)
    if factors.TEXT not in ways:
        return RedirectResponse(RESET_CODE, status_code=303)
    return _text_page(request, citizen, ways, live is not None and live.citizen_id == citizen.id)


@router.post(RESET_TEXT_SEND)
async def text_send(request: Request) -> Response:
    """ "Text me a code" and "Send the code again": a new code for this reset, any earlier one void."""
    await request.form()
    identity = _identity(request)
    async with identity.uow() as uow:
        opened = await _open(request, uow)
        if isinstance(opened, Response):
            await uow.commit()
            return opened
        reset, citizen, ways = opened
        if factors.TEXT not in ways:
            return RedirectResponse(RESET_CODE, status_code=303)
        try:
            await second_factor.send_text_code(uow, identity, citizen, reset.token_hash, _ip(request))
        except (TooManyGuesses, text_codes.TextCodeRefused) as error:
            await uow.commit()  # every send counts
            page = _error(request, "reset_text", error, "send", ways=ways, sent=False,
                          ending=ending(citizen.phone_number or ""))  # fmt: skip
            return page
        await uow.commit()
    return RedirectResponse(RESET_TEXT, status_code=303)


@router.post(RESET_TEXT)
async def text_submit(request: Request) -> Response:
    code = _form(await request.form(), "code", 20)
    identity = _identity(request)
    async with identity.uow() as uow:
        opened = await _open(request, uow)
        if isinstance(opened, Response):
            await uow.commit()
            return opened
        reset, citizen, ways = opened
        if factors.TEXT not in ways:
            return RedirectResponse(RESET_CODE, status_code=303)
        if not code.strip():
            errors = [{"text": gettext_("Enter the 6-digit security code"), "href": "#code"}]
            return _text_page(request, citizen, ways, True, errors, 400)
        try:
            await recovery.prove_factor(uow, identity, reset, citizen, code, _ip(request), factors.TEXT)
        except (TooManyGuesses, text_codes.TextCodeRefused) as error:
            await uow.commit()  # the wrong code is counted and recorded
            return _error(request, "reset_text", error, "code", ways=ways, sent=True,
                          ending=ending(citizen.phone_number or ""))  # fmt: skip
        await uow.commit()
    return RedirectResponse(RESET_PASSWORD, status_code=303)


async def _passkey_page(request: Request, errors: list[dict[str, str]] | None = None,
                        status_code: int = 200) -> Response:  # fmt: skip
    """ "Use your passkey" on the reset, with a fresh challenge bound to this link."""
    identity = _identity(request)
    async with identity.uow() as uow:
        opened = await _open(request, uow)
        if isinstance(opened, Response):
            await uow.commit()
            return opened
        reset, citizen, ways = opened
        if factors.PASSKEY not in ways:
            return RedirectResponse(RESET_CODE, status_code=303)
        options = await second_factor.passkey_options(uow, identity, citizen, reset.token_hash)
        await uow.commit()
    return _render(request, "reset_passkey", errors, status_code, ways=ways, options=options)


@router.get(RESET_PASSKEY)
async def passkey_page(request: Request) -> Response:
    return await _passkey_page(request)


@router.post(RESET_PASSKEY)
async def passkey_submit(request: Request) -> Response:
    credential, problem = await posted(request)
    identity = _identity(request)
    refusal: Exception | None = None
    async with identity.uow() as uow:
        opened = await _open(request, uow)
        if isinstance(opened, Response):
            await uow.commit()
            return opened
        reset, citizen, _ = opened
        if credential:
            try:
                await recovery.prove_factor(uow, identity, reset, citizen, credential, _ip(request), factors.PASSKEY)
            except (TooManyGuesses, PasskeyRefused, sign_in.SignInFailed) as error:
                refusal = error
        await uow.commit()  # a refused attempt is counted, and recorded in the citizen's history
    if credential and refusal is None:
        return RedirectResponse(RESET_PASSWORD, status_code=303)
    message = localise(refusal) if refusal is not None else browser_problem(problem)
    page = await _passkey_page(request, [{"text": message, "href": "#passkey"}],
                               429 if isinstance(refusal, TooManyGuesses) else 400)  # fmt: skip
    if isinstance(refusal, TooManyGuesses):
        page.headers["Retry-After"] = str(refusal.wait_seconds)
    return page


__all__ = ["router"]
