"""Creating an account, after the password: "Choose how to get security codes", and the text message path.

The choice is GOV.UK radios in a plain form (no JavaScript): an authenticator app goes on to the existing
page (pages/sign_up.py), a text message to "Enter your mobile phone number", then "Check your phone" with the
code texted to it (and "Problems with the code?": send it again, or change the number), and the account is
made with the phone as its second factor. Each page shows the number exactly as the citizen typed it. Forms
carry the CSRF token; refused sends and guesses answer 429 with Retry-After; services/sign_up_text.py and
services/text_codes.py decide.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import N_, TooManyGuesses, gettext_
from govplatform.identity.errors import IdentityError
from govplatform.identity.models import SignIn, SignUp
from govplatform.identity.pages.sign_in import COOKIE, TIMED_OUT, _identity, _ip, _page, _problem, _signed_in, _typed
from govplatform.identity.pages.sign_up import AUTHENTICATOR, CHOOSE, _current, _missing, _next_step, _refused
from govplatform.identity.services import factors, sessions, sign_in, sign_up, sign_up_text, text_codes
from govplatform.identity.services.phone_numbers import MAX_TYPED, PhoneNumberRefused

router = APIRouter(include_in_schema=False)
PHONE = "/identity/sign-up/phone"
CHECK_PHONE = "/identity/sign-up/check-phone"
RESEND_TEXT = "/identity/sign-up/check-phone/resend"
PUBLIC_ROUTES = [(method, path) for path in (CHOOSE, PHONE, CHECK_PHONE, RESEND_TEXT) for method in ("GET", "POST")]
PASSKEY_SIGN_UP = "/identity/sign-up/passkey"  # pages/passkeys.py
CHOICES = {factors.APP: AUTHENTICATOR, factors.TEXT: PHONE, factors.PASSKEY: PASSKEY_SIGN_UP}
CHOOSE_ONE = N_("Select how you want to get security codes")


def _past_password(found: SignUp | None) -> bool:
    return found is not None and found.password_hash is not None


@router.get(CHOOSE)
async def choose_page(request: Request) -> Response:
    row, found = await _current(request)
    if row is None:
        return _problem(request, gettext_(TIMED_OUT), 400)
    if not _past_password(found):
        return RedirectResponse(_next_step(found), status_code=303)
    return _page(request, "sign_up_choose", row)


@router.post(CHOOSE)
async def choose_submit(request: Request) -> Response:
    how = _typed(await request.form(), "how", 20)
    row, found = await _current(request)
    if row is None:
        return _problem(request, gettext_(TIMED_OUT), 400)
    if not _past_password(found):
        return RedirectResponse(_next_step(found), status_code=303)
    if how not in CHOICES:
        return _missing(request, "sign_up_choose", row, gettext_(CHOOSE_ONE), "how")
    return RedirectResponse(CHOICES[how], status_code=303)


@router.get(PHONE)
async def phone_page(request: Request) -> Response:
    row, found = await _current(request)
    if row is None:
        return _problem(request, gettext_(TIMED_OUT), 400)
    if found is None or not _past_password(found):
        return RedirectResponse(_next_step(found), status_code=303)
    return _page(request, "sign_up_phone", row, phone=found.phone_number_as_typed or "")


@router.post(PHONE)
async def phone_submit(request: Request) -> Response:
    typed = _typed(await request.form(), "phone", MAX_TYPED + 1)
    identity = _identity(request)
    async with identity.uow() as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        if row is None:
            return _problem(request, gettext_(TIMED_OUT), 400)
        found = await sign_up.find(uow, row)
        if found is None or not _past_password(found):
            return RedirectResponse(_next_step(found), status_code=303)
        try:
            await sign_up_text.choose_number(uow, identity, row, found, typed, _ip(request))
        except PhoneNumberRefused as error:
            return _refused(request, "sign_up_phone", row, error, "phone", phone=typed)
        except (TooManyGuesses, text_codes.TextCodeRefused) as error:
            await uow.commit()  # the send is counted
            return _refused(request, "sign_up_phone", row, error, "phone", phone=typed)
        await uow.commit()
    return RedirectResponse(CHECK_PHONE, status_code=303)


async def _with_number(request: Request) -> tuple[SignIn, SignUp, str] | Response:
    """The sign-in, the sign-up and the number as typed, for a page about the number chosen; or where the
    browser belongs instead."""
    row, found = await _current(request)
    if row is None:
        return _problem(request, gettext_(TIMED_OUT), 400)
    if found is None or not _past_password(found):
        return RedirectResponse(_next_step(found), status_code=303)
    if found.phone_number is None or found.phone_number_as_typed is None:
        return RedirectResponse(PHONE, status_code=303)
    return row, found, found.phone_number_as_typed


@router.get(CHECK_PHONE)
async def check_phone_page(request: Request) -> Response:
    found = await _with_number(request)
    if isinstance(found, Response):
        return found
    row, _, shown = found
    return _page(request, "sign_up_check_phone", row, phone=shown)


@router.post(CHECK_PHONE)
async def check_phone_submit(request: Request) -> Response:
    code = _typed(await request.form(), "code", 20)
    identity = _identity(request)
    async with identity.uow() as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        if row is None:
            return _problem(request, gettext_(TIMED_OUT), 400)
        found = await sign_up.find(uow, row)
        if found is None or not _past_password(found) or found.phone_number is None:
            return RedirectResponse(PHONE if _past_password(found) else _next_step(found), status_code=303)
        shown = found.phone_number_as_typed
        if not code.strip():
            return _missing(request, "sign_up_check_phone", row, gettext_(text_codes.ENTER_CODE), "code", phone=shown)
        try:
            finished = await sign_up_text.finish(
                uow, identity, row, found, code, _ip(request), request.cookies.get(sessions.COOKIE),
                request.headers.get("user-agent"),
            )  # fmt: skip
        except (TooManyGuesses, text_codes.TextCodeRefused, IdentityError) as error:
            await uow.commit()  # the wrong guess is counted
            return _refused(request, "sign_up_check_phone", row, error, "code", phone=shown)
        await uow.commit()
    return _signed_in(identity, finished)


@router.get(RESEND_TEXT)
async def resend_page(request: Request) -> Response:
    found = await _with_number(request)
    if isinstance(found, Response):
        return found
    row, _, shown = found
    return _page(request, "sign_up_text_resend", row, phone=shown)


@router.post(RESEND_TEXT)
async def resend_submit(request: Request) -> Response:
    await request.form()
    identity = _identity(request)
    async with identity.uow() as uow:
        row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
        if row is None:
            return _problem(request, gettext_(TIMED_OUT), 400)
        found = await sign_up.find(uow, row)
        if found is None or not _past_password(found) or found.phone_number is None:
            return RedirectResponse(PHONE if _past_password(found) else _next_step(found), status_code=303)
        try:
            await sign_up_text.send_again(uow, identity, row, found, _ip(request))
        except (TooManyGuesses, text_codes.TextCodeRefused) as error:
            await uow.commit()
            return _refused(request, "sign_up_text_resend", row, error, "resend", phone=found.phone_number_as_typed)
        await uow.commit()
    return RedirectResponse(CHECK_PHONE, status_code=303)
