"""GET /logout: ends the citizen's session and any sign-in in progress at the provider, queues back-channel
logout tokens for the other services of their session (services/back_channel.py), and sends them back to the
service, or, when the request does not prove where they may go (services/logout.py), shows the default
"You have signed out" page.

A query string over 2048 characters is refused with 403, as One Login's firewall refuses it. A parameter
given twice counts as not given, so a second `post_logout_redirect_uri` cannot slip past the check.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import PageRenderer, gettext_
from govplatform.identity.component import IdentityComponent
from govplatform.identity.pages.sign_in import COOKIE
from govplatform.identity.services import back_channel, logout, sessions, sign_in

router = APIRouter(include_in_schema=False)
PUBLIC_ROUTES = [("GET", "/logout")]


def _single(request: Request, name: str) -> str | None:
    given = request.query_params.getlist(name)
    return given[0] if len(given) == 1 else None


@router.get("/logout")
async def end_session(request: Request) -> Response:
    identity: IdentityComponent = request.app.state.identity
    templates: PageRenderer = request.app.state.templates
    if len(request.url.query) > logout.MAX_QUERY:
        message = {"message": gettext_("The sign-out request was too long. Go back to the service.")}
        refused: Response = templates.render(request, "identity/problem.html", message, 403)
        return refused
    hint = await logout.verify_hint(identity, _single(request, "id_token_hint"))
    async with identity.uow() as uow:
        await sign_in.end(uow, identity, request.cookies.get(COOKIE))
        session = await sessions.end(uow, identity, request.cookies.get(sessions.COOKIE))
        if hint is not None:
            await back_channel.queue_logouts(uow, hint)
        elif session is not None:  # no hint: the browser's own session says who is signing out
            await back_channel.queue_session_logouts(uow, session.citizen_id, session.sid, leaving=None)
        target = await logout.redirect_after(
            uow, hint, _single(request, "post_logout_redirect_uri"), _single(request, "state")
        )
        await uow.commit()
    response: Response
    if target is None:
        response = templates.render(request, "identity/signed_out.html", {}, 200)
    else:
        response = RedirectResponse(target, status_code=302)
    response.delete_cookie(COOKIE)
    response.delete_cookie(sessions.COOKIE)
    response.headers["Cache-Control"] = "no-store"
    return response
