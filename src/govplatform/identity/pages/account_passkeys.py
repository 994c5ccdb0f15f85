"""The account's passkeys at /identity/account/passkeys: each by name with when it was made and last used, adding
another, renaming and removing each (services/passkey_changes.py decides, including refusing to remove the last
second factor).

As every account page, each needs the citizen's session at Cl.Cm; without it the browser is sent to sign in
and brought back. Adding and removing a passkey change how the account is proven, so they also need both
factors proven just now, as the security page's changes do (services/security.py proven_recently); renaming
does not. Adding issues a challenge bound to the session and the citizen; static/passkeys.js runs the
ceremony and posts its answer in the page's form. A passkey is named in the links by its row id, and a link to
someone else's passkey (or a malformed one) is answered "Page not found", the same as one that never existed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import N_, UnitOfWork, gettext_, localise
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import Citizen, CitizenSession, Passkey
from govplatform.identity.pages.account import LEVEL, _day, _identity, _render, _signed_in, sign_in_redirect
from govplatform.identity.pages.passkeys import browser_problem, posted
from govplatform.identity.pages.security import _prove_again, _proven
from govplatform.identity.pages.sign_in import _typed
from govplatform.identity.services import passkey_changes, passkeys, security
from govplatform.identity.services.passkeys import PasskeyRefused

router = APIRouter(include_in_schema=False)
PASSKEYS = "/identity/account/passkeys"
ADD = PASSKEYS + "/add"
RENAME = PASSKEYS + "/{passkey_id}/rename"
REMOVE = PASSKEYS + "/{passkey_id}/remove"
# Not public: each answers an anonymous browser by sending it to sign in (tests/integration/test_route_table.py).
ROUTES = [("GET", PASSKEYS), *((method, path) for path in (ADD, RENAME, REMOVE) for method in ("GET", "POST"))]
DONE = {
    "added": N_("Your passkey has been added"),
    "renamed": N_("Your passkey has been renamed"),
    "removed": N_("Your passkey has been removed"),
}


def _not_found(request: Request) -> Response:
    return _render(request, "passkey_not_found", {}, 404)


@router.get(PASSKEYS)
async def passkeys_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _signed_in(request, uow)
        if found is None:
            return sign_in_redirect(PASSKEYS, LEVEL)
        _, citizen = found
        listed = await passkeys.of_citizen(uow, citizen.id)
        last = passkey_changes.is_last_factor(citizen, listed)
        await uow.commit()
    rows = [
        {
            "id": str(passkey.id),
            "name": passkey.name,
            "created": _day(passkey.created_at),
            "last_used": _day(passkey.last_used_at) if passkey.last_used_at else None,
        }
        for passkey in listed
    ]
    done = DONE.get(request.query_params.get("done", ""))
    context = {"passkeys": rows, "last_factor": last, "done": gettext_(done) if done else None}
    return _render(request, "passkeys", context)


async def _add_page(
    request: Request,
    uow: UnitOfWork,
    identity: IdentityComponent,
    session: CitizenSession,
    citizen: Citizen,
    name: str = "",
    errors: list[dict[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    """ "Add a passkey" with a fresh challenge bound to this session and citizen; commits."""
    options = await passkeys.registration_options(
        uow, identity, purpose=passkeys.ADD, bound_to=session.token_hash,
        rp_name=str(request.app.state.platform.settings.platform_name), user_name=citizen.email,
        citizen_id=citizen.id,
    )  # fmt: skip
    await uow.commit()
    return _render(request, "passkey_add", {"errors": errors or [], "options": options, "name": name}, status_code)


@router.get(ADD)
async def add_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _proven(request, uow, ADD)
        if isinstance(found, Response):
            return found
        return await _add_page(request, uow, identity, *found)


@router.post(ADD)
async def add_submit(request: Request) -> Response:
    credential, problem = await posted(request)
    name = _typed(await request.form(), "name", 200)
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _proven(request, uow, ADD)
        if isinstance(found, Response):
            return found
        session, citizen = found
        if not credential:
            errors = [{"text": browser_problem(problem), "href": "#passkey"}]
            return await _add_page(request, uow, identity, session, citizen, name, errors, 400)
        try:
            new = await passkeys.verify_new(
                uow, identity, credential, purpose=passkeys.ADD, bound_to=session.token_hash, citizen_id=citizen.id
            )
            await passkey_changes.add(uow, identity, citizen, new, name)
        except PasskeyRefused as error:
            await uow.commit()  # the challenge is used up
            field = "#name" if error.template in NAME_ERRORS else "#passkey"
            errors = [{"text": localise(error), "href": field}]
            return await _add_page(request, uow, identity, session, citizen, name, errors, 400)
        await uow.commit()
    return RedirectResponse(PASSKEYS + "?done=added", status_code=303)


NAME_ERRORS = (passkey_changes.NAME_MISSING, passkey_changes.NAME_TOO_LONG, passkey_changes.NAME_TAKEN)


async def _own(request: Request, uow: UnitOfWork, fresh: bool = False) -> tuple[Citizen, Passkey | None] | Response:
    """The signed-in citizen and the passkey the link names (None if not theirs), or the redirect to sign in
    and back to the passkeys page (never to the link's own path, which may hold anything). With `fresh` (a
    removal), a session whose factors were not proven just now is sent to prove them again and back to the
    removal of that passkey, its path made from the passkey's own id."""
    found = await _signed_in(request, uow)
    if found is None:
        return sign_in_redirect(PASSKEYS, LEVEL)
    session, citizen = found
    passkey = await passkey_changes.find_own(uow, citizen.id, request.path_params["passkey_id"])
    if fresh and passkey is not None and not security.proven_recently(session):
        return _prove_again(REMOVE.format(passkey_id=passkey.id))
    return citizen, passkey


@router.get(RENAME)
async def rename_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        own = await _own(request, uow)
        if isinstance(own, Response):
            return own
        _, passkey = own
        await uow.commit()
    if passkey is None:
        return _not_found(request)
    return _render(request, "passkey_rename", {"errors": [], "name": passkey.name, "passkey_id": str(passkey.id)})


@router.post(RENAME)
async def rename_submit(request: Request) -> Response:
    typed = _typed(await request.form(), "name", 200)
    identity = _identity(request)
    async with identity.uow() as uow:
        own = await _own(request, uow)
        if isinstance(own, Response):
            return own
        citizen, passkey = own
        if passkey is None:
            return _not_found(request)
        try:
            await passkey_changes.rename(uow, citizen.id, passkey, typed)
        except PasskeyRefused as error:
            errors = [{"text": localise(error), "href": "#name"}]
            context: dict[str, object] = {"errors": errors, "name": typed, "passkey_id": str(passkey.id)}
            return _render(request, "passkey_rename", context, 400)
        await uow.commit()
    return RedirectResponse(PASSKEYS + "?done=renamed", status_code=303)


async def _remove_context(uow: UnitOfWork, citizen: Citizen, passkey: Passkey) -> dict[str, object]:
    last = passkey_changes.is_last_factor(citizen, await passkeys.of_citizen(uow, citizen.id))
    return {"errors": [], "name": passkey.name, "passkey_id": str(passkey.id), "last_factor": last}


@router.get(REMOVE)
async def remove_page(request: Request) -> Response:
    identity = _identity(request)
    async with identity.uow() as uow:
        own = await _own(request, uow, fresh=True)
        if isinstance(own, Response):
            return own
        citizen, passkey = own
        context = await _remove_context(uow, citizen, passkey) if passkey is not None else None
        await uow.commit()
    if context is None:
        return _not_found(request)
    return _render(request, "passkey_remove", context)


@router.post(REMOVE)
async def remove_submit(request: Request) -> Response:
    await request.form()
    identity = _identity(request)
    async with identity.uow() as uow:
        own = await _own(request, uow, fresh=True)
        if isinstance(own, Response):
            return own
        citizen, passkey = own
        if passkey is None:
            return _not_found(request)
        context = await _remove_context(uow, citizen, passkey)
        try:
            await passkey_changes.remove(uow, identity, citizen, passkey)
        except PasskeyRefused as error:
            context["errors"] = [{"text": localise(error), "href": "#remove"}]
            return _render(request, "passkey_remove", context, 400)
        await uow.commit()
    return RedirectResponse(PASSKEYS + "?done=removed", status_code=303)
