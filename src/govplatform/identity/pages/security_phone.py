"""The phone for security codes, from the account's security page: adding or changing it (the number, then the
code texted to it) and removing it. services/phone_changes.py decides.

Every page needs both factors proven just now (pages/security.py `_proven`): an older session is sent through
the sign-in pages again and brought back. The number typed goes from the number page to the code page in a
hidden field, not in a table: the code is bound to the number it was texted to, so a changed field only makes
the code wrong. The code page's "Send the code again" is a plain form, so nothing needs JavaScript. Refused
sends and guesses answer 429 with Retry-After.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import TooManyGuesses, UserFacingError, localise
from govplatform.identity.pages.account import _identity, _ip, _render
from govplatform.identity.pages.security import SECURITY, _proven
from govplatform.identity.pages.sign_in import _typed
from govplatform.identity.services import factors, phone_changes, text_codes
from govplatform.identity.services.phone_numbers import MAX_TYPED, PhoneNumberRefused

router = APIRouter(include_in_schema=False)
PHONE, CHECK, REMOVE = SECURITY + "/phone", SECURITY + "/phone/check", SECURITY + "/phone/remove"
# Not public: each answers an anonymous browser by sending it to sign in.
ROUTES = [(method, path) for path in (PHONE, CHECK, REMOVE) for method in ("GET", "POST")]


def _refused(
    request: Request, template: str, error: UserFacingError | TooManyGuesses, field: str, context: dict[str, object]
) -> Response:
    """The page again with the error; 429 with Retry-After while the throttle makes the citizen wait."""
    status = 429 if isinstance(error, TooManyGuesses) else 400
    page = _render(request, template, {**context, "errors": [{"text": localise(error), "href": field}]}, status)
    if isinstance(error, TooManyGuesses):
        page.headers["Retry-After"] = str(error.wait_seconds)
    return page


@router.get(PHONE)
async def phone_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _proven(request, uow, PHONE)
        if isinstance(found, Response):
            return found
        replacing = found[1].phone_number is not None
        await uow.commit()
    return _render(request, "security_phone", {"errors": [], "phone": "", "replacing": replacing})


@router.post(PHONE)
async def phone_submit(request: Request) -> Response:
    """Texts a code to the number typed and shows the page to enter it (also "Send the code again")."""
    typed = _typed(await request.form(), "phone", MAX_TYPED + 1)
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _proven(request, uow, PHONE)
        if isinstance(found, Response):
            return found
        session, citizen = found
        context: dict[str, object] = {"phone": typed, "replacing": citizen.phone_number is not None}
        try:
            number = await phone_changes.send_code(uow, identity, session, citizen, typed, _ip(request))
        except PhoneNumberRefused as error:
            return _refused(request, "security_phone", error, "#phone", context)
        except (TooManyGuesses, text_codes.TextCodeRefused) as error:
            await uow.commit()  # the send is counted
            return _refused(request, "security_phone", error, "#phone", context)
        await uow.commit()
    return _render(request, "security_phone_check", {"errors": [], "phone": number.as_typed})


@router.get(CHECK)
async def check_page(request: Request) -> Response:
    """Only reached by a browser coming back from proving it is them again: the number is asked for again."""
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _proven(request, uow, PHONE)
        if isinstance(found, Response):
            return found
        await uow.commit()
    return RedirectResponse(PHONE, status_code=303)


@router.post(CHECK)
async def check_submit(request: Request) -> Response:
    form = await request.form()
    typed, code = _typed(form, "phone", MAX_TYPED + 1), _typed(form, "code", 20)
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _proven(request, uow, PHONE)
        if isinstance(found, Response):
            return found
        session, citizen = found
        adding = citizen.phone_number is None
        context: dict[str, object] = {"phone": typed}
        if not code.strip():
            return _refused(request, "security_phone_check", text_codes.TextCodeRefused(text_codes.ENTER_CODE),
                            "#code", context)  # fmt: skip
        try:
            await phone_changes.confirm(uow, identity, session, citizen, typed, code, _ip(request))
        except PhoneNumberRefused as error:
            return _refused(request, "security_phone", error, "#phone", {**context, "replacing": not adding})
        except (TooManyGuesses, text_codes.TextCodeRefused) as error:
            await uow.commit()  # the wrong guess is counted
            return _refused(request, "security_phone_check", error, "#code", context)
        await uow.commit()
    return RedirectResponse(SECURITY + ("?done=phone-added" if adding else "?done=phone-changed"), status_code=303)


@router.get(REMOVE)
async def remove_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _proven(request, uow, REMOVE)
        if isinstance(found, Response):
            return found
        phone = found[1].phone_number_as_typed or found[1].phone_number
        await uow.commit()
    if phone is None:
        return RedirectResponse(SECURITY, status_code=303)
    return _render(request, "security_phone_remove", {"errors": [], "phone": phone})


@router.post(REMOVE)
async def remove_submit(request: Request) -> Response:
    await request.form()
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _proven(request, uow, REMOVE)
        if isinstance(found, Response):
            return found
        citizen = found[1]
        phone = citizen.phone_number_as_typed or citizen.phone_number
        try:
            await phone_changes.remove(uow, identity, citizen)
        except factors.LastFactor as error:
            return _refused(request, "security_phone_remove", error, "#remove", {"phone": phone})
        await uow.commit()
    return RedirectResponse(SECURITY + "?done=phone-removed", status_code=303)
