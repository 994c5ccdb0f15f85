"""The sign-in pages for a code texted to the account's phone, and "Use another way to get a security code".

After the right password, a citizen whose first second factor is a phone has been texted a code
(pages/sign_in.py); "Check your phone" says where it went by the number's last digits, as One Login does, and
offers to send it again (throttled: services/text_codes.py). A citizen with more than one second factor
(services/factors.py lists them, the default first) may choose another on one page of GOV.UK radios; a
text message chosen there is sent at once. A page with no live code for this sign-in (it could not be sent,
or it expired) sends the browser to "send the code again", which says why if it is refused. Forms carry the
CSRF token; a refused send or guess answers 429 with Retry-After.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import N_, TooManyGuesses, UnitOfWork, gettext_
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import SignIn
from govplatform.identity.pages.sign_in import (
    CODE,
    COOKIE,
    EMAIL,
    PASSKEY,
    PASSWORD,
    TEXT_CODE,
    TIMED_OUT,
    _identity,
    _ip,
    _page,
    _problem,
    _signed_in,
    _typed,
)
from govplatform.identity.pages.sign_up import _refused
from govplatform.identity.services import factors, sessions, sign_in, text_codes

router = APIRouter(include_in_schema=False)
TEXT_RESEND = "/identity/sign-in/text-code/resend"
OTHER_WAY = "/identity/sign-in/other-way"
PUBLIC_ROUTES = [(method, path) for path in (TEXT_CODE, TEXT_RESEND, OTHER_WAY) for method in ("GET", "POST")]
CHOOSE_ONE = N_("Select how you want to get a security code")


class _Elsewhere(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


async def _signing_in(
    request: Request, uow: UnitOfWork, identity: IdentityComponent
) -> tuple[SignIn, list[factors.SecondFactor]]:
    """The sign-in past its password and the account's second factors; raises _Elsewhere with where to go."""
    row = await sign_in.find(uow, identity, request.cookies.get(COOKIE))
    if row is None:
        raise _Elsewhere(_problem(request, gettext_(TIMED_OUT), 400))
    if row.citizen_id is None:
        raise _Elsewhere(RedirectResponse(PASSWORD if row.email else EMAIL, status_code=303))
    return row, await factors.of_account(uow, row.citizen_id)


def _phone_ending(ways: list[factors.SecondFactor]) -> str | None:
    return next((factor.ending for factor in ways if factor.kind == factors.TEXT), None)


@router.get(TEXT_CODE)
async def text_code_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow(read_only=True) as uow:
        try:
            row, ways = await _signing_in(request, uow, identity)
        except _Elsewhere as elsewhere:
            return elsewhere.response
        live = await text_codes.sent(uow, row.token_hash)
    ending = _phone_ending(ways)
    if ending is None:
        return RedirectResponse(CODE, status_code=303)
    if live is None or live.citizen_id != row.citizen_id:
        return RedirectResponse(TEXT_RESEND, status_code=303)
    return _page(request, "sign_in_text_code", row, ending=ending, other_ways=len(ways) > 1)


@router.post(TEXT_CODE)
async def text_code_submit(request: Request) -> Response:
    code = _typed(await request.form(), "code", 20)
    identity = _identity(request)
    async with identity.uow() as uow:
        try:
            row, ways = await _signing_in(request, uow, identity)
        except _Elsewhere as elsewhere:
            return elsewhere.response
        ending, other_ways = _phone_ending(ways), len(ways) > 1
        if ending is None:
            return RedirectResponse(CODE, status_code=303)
        if not code.strip():
            message = gettext_(text_codes.ENTER_CODE)
            errors = [{"text": message, "href": "#code"}]
            return _page(request, "sign_in_text_code", row, errors, 400, ending=ending, other_ways=other_ways)
        try:
            await text_codes.check_for_sign_in(uow, identity, row, code, _ip(request))
        except (TooManyGuesses, text_codes.TextCodeRefused) as error:
            await uow.commit()  # the wrong guess is counted, and the account's history records it
            return _refused(request, "sign_in_text_code", row, error, "code", ending=ending, other_ways=other_ways)
        finished = await sign_in.finish(
            uow, identity, row, "Cl.Cm", request.cookies.get(sessions.COOKIE), request.headers.get("user-agent")
        )
        await uow.commit()
    return _signed_in(identity, finished)


@router.get(TEXT_RESEND)
async def resend_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow(read_only=True) as uow:
        try:
            row, ways = await _signing_in(request, uow, identity)
        except _Elsewhere as elsewhere:
            return elsewhere.response
    ending = _phone_ending(ways)
    if ending is None:
        return RedirectResponse(CODE, status_code=303)
    return _page(request, "sign_in_text_resend", row, ending=ending, other_ways=len(ways) > 1)


async def _send(request: Request, name: str, field: str) -> Response:
    """Texts a code for this sign-in; on to "Check your phone", or the page `name` again with why not."""
    identity = _identity(request)
    async with identity.uow() as uow:
        try:
            row, ways = await _signing_in(request, uow, identity)
        except _Elsewhere as elsewhere:
            return elsewhere.response
        ending, other_ways = _phone_ending(ways), len(ways) > 1
        if ending is None:
            return RedirectResponse(CODE, status_code=303)
        try:
            await text_codes.send_for_sign_in(uow, identity, row, _ip(request))
        except (TooManyGuesses, text_codes.TextCodeRefused) as error:
            await uow.commit()  # the send is counted
            values = {"ending": ending, "other_ways": other_ways, "factors": ways}
            return _refused(request, name, row, error, field, **values)
        await uow.commit()
    return RedirectResponse(TEXT_CODE, status_code=303)


@router.post(TEXT_RESEND)
async def resend_submit(request: Request) -> Response:
    await request.form()
    return await _send(request, "sign_in_text_resend", "resend")


@router.get(OTHER_WAY)
async def other_way_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow(read_only=True) as uow:
        try:
            row, ways = await _signing_in(request, uow, identity)
        except _Elsewhere as elsewhere:
            return elsewhere.response
    return _page(request, "sign_in_other_way", row, factors=ways)


@router.post(OTHER_WAY)
async def other_way_submit(request: Request) -> Response:
    how = _typed(await request.form(), "how", 20)
    identity = _identity(request)
    async with identity.uow(read_only=True) as uow:
        try:
            row, ways = await _signing_in(request, uow, identity)
        except _Elsewhere as elsewhere:
            return elsewhere.response
    kinds = [factor.kind for factor in ways]
    if how not in kinds:
        errors = [{"text": gettext_(CHOOSE_ONE), "href": "#how"}]
        return _page(request, "sign_in_other_way", row, errors, 400, factors=ways)
    if how == factors.TEXT:
        return await _send(request, "sign_in_other_way", "how")
    if how == factors.PASSKEY:
        return RedirectResponse(PASSKEY, status_code=303)
    return RedirectResponse(CODE, status_code=303)
