"""The pages where a signed-in citizen proves their identity (issue 17 item 3), at /identity/prove: choose a route
by the evidence they have, enter their details, answer questions, and learn plainly whether it worked and what
else they can try. proofing/journey.py decides; these routes parse and show. No page needs JavaScript.

A citizen arrives here from the sign-in pages when a service asked for P1 or P2 they have not proved (or from
their account, to prove it before any service asks). Every page needs their session at Cl.Cm; the attempt is
found by their account, so a page opened in another tab shows the same step. Each POST answers with a redirect
to the page for the attempt's step (or the page again with its errors), so reloading never sends details twice.

"Continue" at the end sends the browser back to the service with a code (proved), with `access_denied` and One
Login's "Level of confidence not reached", or, for a service that asked for return codes, with a code whose
userinfo carries the return code instead of an identity.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from govplatform.core.interfaces import N_, PageRenderer, TooManyGuesses, UnitOfWork, localise
from govplatform.identity.component import IdentityComponent
from govplatform.identity.models import CitizenSession, ProvingAttempt
from govplatform.identity.pages.account import ACCOUNT, _ip, sign_in_redirect
from govplatform.identity.pages.sign_in import redirect_to_client
from govplatform.identity.proofing import details, journey
from govplatform.identity.proofing.checks import DocumentKind
from govplatform.identity.services import sessions, sign_in
from govplatform.identity.services.authorisation import AuthorisationRequest

router = APIRouter(include_in_schema=False)
PROVE = "/identity/prove"
START, ROUTE, DETAILS, QUESTIONS = PROVE + "/start", PROVE + "/route", PROVE + "/details", PROVE + "/questions"
CONTINUE, AGAIN, HELP = PROVE + "/continue", PROVE + "/again", PROVE + "/help"
LEVEL = "Cl.Cm"
RESULT = PROVE + "/result"
# Not public: each sends an anonymous browser to sign in (tests/integration/test_route_table.py).
ROUTES = [("GET", PROVE), ("GET", RESULT), *((method, path) for path in (ROUTE, DETAILS, QUESTIONS)
          for method in ("GET", "POST")), ("POST", START), ("POST", CONTINUE), ("POST", AGAIN)]  # fmt: skip
PUBLIC_ROUTES = [("GET", HELP)]  # anyone who cannot prove their identity online may read where to get help
MAX_ANSWER = 200
CHOOSE = N_("Select the document you have, or that you have neither")
ANSWER = N_("Select an answer")
TOO_MANY = N_("You have tried to prove your identity too many times. Wait a while, then try again")
_NUMBER_FIELD = {
    DocumentKind.UK_PASSPORT.value: "mrz-2",
    DocumentKind.UK_PHOTOCARD_DRIVING_LICENCE.value: "licence-number",
}


def _identity(request: Request) -> IdentityComponent:
    component: IdentityComponent = request.app.state.identity
    return component


def _render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    templates: PageRenderer = request.app.state.templates
    page: Response = templates.render(request, f"identity/proving/{name}.html", context, status_code)
    page.headers["Cache-Control"] = "no-store"
    return page


async def _signed_in(request: Request, uow: UnitOfWork) -> CitizenSession | None:
    session = await sessions.find(uow, _identity(request), request.cookies.get(sessions.COOKIE))
    if session is None or not sessions.covers(session.credential, LEVEL):
        return None
    sessions.touch(session)
    return session


def _service_name(attempt: ProvingAttempt) -> str | None:
    return (attempt.request_json or {}).get("client_name")


def _to(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get(PROVE)
async def prove(request: Request) -> Response:
    """The page for the attempt's step; the start page when there is none."""
    identity = _identity(request)
    async with identity.uow() as uow:
        session = await _signed_in(request, uow)
        if session is None:
            return sign_in_redirect(PROVE, LEVEL)
        attempt = await journey.live(uow, session.citizen_id)
        await uow.commit()
    if attempt is None or attempt.stage == "continued":
        return _render(request, "start", {})
    return _to({"route": ROUTE, "details": DETAILS, "questions": QUESTIONS}.get(attempt.stage, RESULT))


@router.post(START)
async def start(request: Request) -> Response:
    """From the start page (the citizen's own choice, no service waiting): any level proved is a success (P1 or
    more); a service that later needs more sends them through again."""
    await request.form()
    identity = _identity(request)
    async with identity.uow() as uow:
        session = await _signed_in(request, uow)
        if session is None:
            return sign_in_redirect(PROVE, LEVEL)
        await journey.begin(uow, session.citizen_id, "P1", None)
        await uow.commit()
    return _to(ROUTE)


async def _attempt(
    request: Request, uow: UnitOfWork, stages: tuple[str, ...], lock: bool = True
) -> Response | ProvingAttempt:
    """The signed-in citizen's live attempt at one of `stages`, or where to send the browser instead. Locked
    (journey.live) unless only shown, so a page submitted twice at once is answered once."""
    session = await _signed_in(request, uow)
    if session is None:
        return sign_in_redirect(PROVE, LEVEL)
    attempt = await journey.live(uow, session.citizen_id, lock=lock)
    if attempt is None or attempt.stage not in stages:
        return _to(PROVE)
    return attempt


async def _showing(request: Request, *stages: str) -> Response | ProvingAttempt:
    """For a page that only shows: the attempt at one of `stages` (the session's idle limit moved on)."""
    async with _identity(request).uow() as uow:
        found = await _attempt(request, uow, stages, lock=False)
        await uow.commit()
    return found


@router.get(ROUTE)
async def route_page(request: Request) -> Response:
    found = await _showing(request, "route", "details")  # "details": the details page's Back link
    if isinstance(found, Response):
        return found
    return _render(request, "route", {"errors": [], "service": _service_name(found)})


@router.post(ROUTE)
async def route_submit(request: Request) -> Response:
    chosen = (await request.form()).get("route")
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _attempt(request, uow, ("route", "details"))
        if isinstance(found, Response):
            return found
        if chosen == "none":
            await journey.give_up(uow, identity, found)
        elif chosen in journey.ROUTES:
            journey.choose(found, str(chosen))
        else:
            await uow.commit()
            errors = [{"text": localise(details.DetailsRefused(CHOOSE, "route")), "href": "#route"}]
            return _render(request, "route", {"errors": errors, "service": _service_name(found)}, 400)
        await uow.commit()
    return _to(RESULT if chosen == "none" else DETAILS)


@router.get(DETAILS)
async def details_page(request: Request) -> Response:
    found = await _showing(request, "details")
    if isinstance(found, Response):
        return found
    return _render(request, "details", {"errors": [], "values": {}, "route": found.route})


@router.post(DETAILS)
async def details_submit(request: Request) -> Response:
    form = await request.form()
    typed = {name: value for name, value in form.items() if isinstance(value, str)}
    identity = _identity(request)
    today = dt.date.today()
    async with identity.uow() as uow:
        found = await _attempt(request, uow, ("details",))
        if isinstance(found, Response):
            return found
        route = str(found.route)
        context = {"values": {name: value[:120] for name, value in typed.items()}, "route": route}
        try:
            read = details.passport(typed, today) if route == DocumentKind.UK_PASSPORT else \
                details.driving_licence(typed, today)  # fmt: skip
            started = await journey.count_try(uow, identity, found, read.claim, _ip(request))
        except details.DetailsRefused as error:
            return _refused(request, error, error.field, context)
        except journey.CheckInProgress:
            started = None  # waited for below, once this transaction (and SQLite's write lock) is given back
        except (journey.ProvingRefused, TooManyGuesses) as error:
            await uow.commit()  # the try is counted
            return _refused(request, error, _NUMBER_FIELD[route], context)
        await uow.commit()  # the try is counted, and the attempt marked as checking, before any source is asked
    if started is None:
        return await _after_the_first(request, found.id)
    # The document check runs outside any transaction (journey.check_document says why); its outcome is then
    # recorded on the attempt it was for, if that attempt is still waiting for it (journey.send_details).
    try:
        checked = await journey.check_document(identity, read.claimant, read.claim)
    except journey.ChecksUnavailable as error:
        async with identity.uow() as uow:
            await journey.check_ended(uow, started)
            await uow.commit()
        return _refused(request, error, _NUMBER_FIELD[route], context)
    async with identity.uow() as uow:
        try:
            outcome = await journey.send_details(uow, identity, started, read.claimant, read.claim, checked, today)
        except journey.ChecksUnavailable as error:
            await uow.commit()  # the outcomes and any record already read stay recorded
            return _refused(request, error, _NUMBER_FIELD[route], context)
        await uow.commit()
    if outcome is None:  # the attempt moved on while the check ran: its own page says where it is now
        return _to(PROVE)
    return _to(RESULT if isinstance(outcome, journey.Result) else QUESTIONS)


async def _after_the_first(request: Request, attempt_id: uuid.UUID) -> Response:
    """A second submission of the details while the first one's check runs (a double click): wait for that
    check, as the row's lock made it wait before the check ran outside a transaction, then go where it led."""
    identity = _identity(request)
    deadline = time.monotonic() + journey.CHECK_LEASE_SECONDS
    while time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        async with identity.uow(read_only=True) as uow:
            attempt = await uow.session.get(ProvingAttempt, attempt_id)
            if attempt is None or not journey.check_running(attempt):
                break
    return _to(PROVE)


def _refused(request: Request, error: Exception, field: str, context: dict[str, Any]) -> Response:
    status = 429 if isinstance(error, TooManyGuesses) else 503 if isinstance(error, journey.ChecksUnavailable) else 400
    shown = details.DetailsRefused(TOO_MANY, field) if isinstance(error, TooManyGuesses) else error
    page = _render(request, "details", {**context, "errors": [{"text": localise(shown), "href": f"#{field}"}]},
                   status)  # fmt: skip
    if isinstance(error, TooManyGuesses):
        page.headers["Retry-After"] = str(error.wait_seconds)
    return page


@router.get(QUESTIONS)
async def questions_page(request: Request) -> Response:
    found = await _showing(request, "questions")
    if isinstance(found, Response):
        return found
    asked = journey.questions_of(_identity(request), found)
    return _render(request, "questions", {"errors": [], "questions": asked, "answers": {}})


@router.post(QUESTIONS)
async def questions_submit(request: Request) -> Response:
    form = await request.form()
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _attempt(request, uow, ("questions",))
        if isinstance(found, Response):
            return found
        asked = journey.questions_of(identity, found)
        answers = {q.id: str(form.get(q.id))[:MAX_ANSWER] for q in asked if isinstance(form.get(q.id), str)}
        unanswered = [q for q in asked if answers.get(q.id) not in q.options]
        if unanswered:
            await uow.commit()
            errors = [{"text": localise(details.DetailsRefused(ANSWER, q.id)), "href": f"#{q.id}"} for q in unanswered]
            return _render(request, "questions", {"errors": errors, "questions": asked, "answers": answers}, 400)
        try:
            await journey.answer(uow, identity, found, answers, dt.date.today())
        except journey.ChecksUnavailable as error:
            await uow.commit()
            errors = [{"text": localise(error), "href": f"#{asked[0].id}"}]
            return _render(request, "questions", {"errors": errors, "questions": asked, "answers": answers}, 503)
        await uow.commit()
    return _to(RESULT)


@router.get(RESULT)
async def result_page(request: Request) -> Response:
    found = await _showing(request, "finished")
    if isinstance(found, Response):
        return found
    result = journey.result_of(found)
    assert result is not None
    other = [route for route in journey.ROUTES if route != found.route]
    return _render(request, "result", {
        "result": result, "route": found.route, "service": _service_name(found), "other_route": other[0] if
        found.route and result.failed_at in ("document", "knowledge", "fraud", "in_use") else None,
    })  # fmt: skip


@router.post(AGAIN)
async def again(request: Request) -> Response:
    """Try again, with another document: a new attempt for the same service and level."""
    await request.form()
    identity = _identity(request)
    async with identity.uow() as uow:
        found = await _attempt(request, uow, ("finished",))
        if isinstance(found, Response):
            return found
        await journey.begin(uow, found.citizen_id, found.wanted, found.request_json)
        await uow.commit()
    return _to(ROUTE)


@router.post(CONTINUE)
async def continue_to_service(request: Request) -> Response:
    """Back to the service that asked: a code when the level was reached, otherwise access_denied or a return
    code. Without a service, back to the account."""
    await request.form()
    identity = _identity(request)
    async with identity.uow() as uow:
        session = await _signed_in(request, uow)
        if session is None:
            return sign_in_redirect(PROVE, LEVEL)
        attempt = await journey.live(uow, session.citizen_id, lock=True)
        if attempt is None:
            return _to(PROVE)
        result = journey.result_of(attempt) or await journey.give_up(uow, identity, attempt)
        # Over, whatever the service is told; kept (until its hour is up) so a second click answers the same way
        attempt.stage = "continued"
        if attempt.request_json is None:
            await uow.commit()
            return _to(ACCOUNT)
        checked = AuthorisationRequest(**attempt.request_json)
        try:
            code = await sign_in.code_for(uow, identity, checked, session.citizen_id, session.sid, session.auth_time,
                                          None if result.succeeded else journey.return_code(result))  # fmt: skip
        except sign_in.LevelNotReached:
            await uow.commit()
            values: dict[str, str | None] = {"error": "access_denied", "state": checked.state,
                                             "error_description": "Level of confidence not reached"}  # fmt: skip
            return redirect_to_client(checked.redirect_uri, checked.response_mode, values)
        await uow.commit()
    answer: dict[str, str | None] = {"code": code, "state": checked.state}
    return redirect_to_client(checked.redirect_uri, checked.response_mode, answer)


@router.get(HELP)
async def help_page(request: Request) -> Response:
    return _render(request, "help", {})
