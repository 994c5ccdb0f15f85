"""The exchange's pages: the public register of data-sharing agreements (HTML, JSON and CSV), and a citizen's
consents: giving one to an agreement whose basis is consent, keeping its receipt, withdrawing it.

The consent pages need a citizen signed in at Cl.Cm (identity's interfaces send them to sign in and back) with
an identity proved by identity proofing: the consent covers the identifiers proofing bound to the account.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from govplatform.core.interfaces import N_, PageRenderer, current_language, localise, long_date
from govplatform.exchange import register
from govplatform.exchange.component import ExchangeComponent
from govplatform.exchange.services import agreements, consents
from govplatform.exchange.services.consents import ConsentError, ConsentView
from govplatform.identity.interfaces import proved_identity, sign_in_redirect, signed_in_citizen

router = APIRouter(include_in_schema=False)
TEMPLATES = Path(__file__).resolve().parent / "templates"
REGISTER = "/exchange/register"
PUBLIC_ROUTES = [("GET", REGISTER), ("GET", REGISTER + ".json"), ("GET", REGISTER + ".csv")]
DATA_USES = "/exchange/data-uses"
CONSENT = "/exchange/consent/{agreement_id}"
CONSENTS = "/exchange/consents"
LEVEL = "Cl.Cm"


async def _entries(request: Request) -> list[dict[str, object]]:
    exchange: ExchangeComponent = request.app.state.exchange
    async with exchange.uow(read_only=True) as uow:
        found = await agreements.list_agreements(uow, public_only=True)
    return [register.entry(view) for view in found]


@router.get(REGISTER)
async def register_page(request: Request) -> Response:
    templates: PageRenderer = request.app.state.templates
    page: Response = templates.render(request, "exchange/register.html", {"agreements": await _entries(request)})
    return page


@router.get(REGISTER + ".json")
async def register_json(request: Request) -> Response:
    return JSONResponse({"agreements": await _entries(request)})


@router.get(REGISTER + ".csv")
async def register_csv(request: Request) -> Response:
    body = register.as_csv(await _entries(request))
    headers = {"Content-Disposition": 'attachment; filename="data-sharing-agreements.csv"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


def _exchange(request: Request) -> ExchangeComponent:
    component: ExchangeComponent = request.app.state.exchange
    return component


def _render(request: Request, name: str, context: dict[str, object], status_code: int = 200) -> Response:
    templates: PageRenderer = request.app.state.templates
    page: Response = templates.render(request, f"exchange/{name}.html", context, status_code)
    page.headers["Cache-Control"] = "no-store"
    return page


def _to_sign_in(return_to: str) -> Response:
    """To sign in and back, in the page's language (a redirect does not set the language cookie)."""
    answer = sign_in_redirect(return_to, LEVEL)
    if current_language() != "en":
        answer.headers["location"] += f"&lang={current_language()}"
    return answer


def _cannot(request: Request, reason: str) -> Response:
    return _render(request, "consent_cannot", {"reason": localise(ConsentError(reason))}, 404)


def _agreement_id(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


@router.get(CONSENT)
async def consent_page(request: Request, agreement_id: str) -> Response:
    """Who, what, why and for how long, and the identifiers the consent would cover; or why it cannot be given."""
    exchange, wanted = _exchange(request), _agreement_id(agreement_id)
    if wanted is None:  # before sign-in: only a well-formed address is one to come back to
        return _cannot(request, N_("This agreement is not one you can consent to now"))
    citizen = await signed_in_citizen(request)
    if citizen is None:
        return _to_sign_in(f"/exchange/consent/{wanted}")
    proved = await proved_identity(request)
    try:
        async with exchange.uow(read_only=True) as uow:
            agreement = await consents.consentable(uow, wanted)
    except ConsentError as error:
        return _render(request, "consent_cannot", {"reason": localise(error)}, 404)
    if proved is None:
        return _render(request, "consent_cannot", {"reason": None, "not_proved": True}, 403)
    entry = register.entry(agreement)
    return _render(request, "consent", {"agreement": entry, "action": f"/exchange/consent/{wanted}"})


@router.post(CONSENT)
async def consent_given(request: Request, agreement_id: str) -> Response:
    exchange, wanted = _exchange(request), _agreement_id(agreement_id)
    if wanted is None:
        return _cannot(request, N_("This agreement is not one you can consent to now"))
    citizen = await signed_in_citizen(request)
    if citizen is None:
        return _to_sign_in(f"/exchange/consent/{wanted}")
    proved = await proved_identity(request)
    if proved is None:
        return _render(request, "consent_cannot", {"reason": None, "not_proved": True}, 403)
    identifiers = consents.identifiers_of(proved.passport_number, proved.driving_licence_number)
    ring = await exchange.gateway_keys.ring()
    try:
        async with exchange.uow() as uow:
            given = await consents.give(
                uow, exchange.hash_secret, ring, exchange.base_url, wanted, citizen.account_id, identifiers,
                current_language(),
            )  # fmt: skip
            await uow.commit()
    except ConsentError as error:
        return _render(request, "consent_cannot", {"reason": localise(error)}, 409)
    return RedirectResponse(f"{CONSENTS}?given={given.id}", status_code=303)


def _shown(view: ConsentView) -> dict[str, object]:
    return {
        "id": str(view.id),
        "state": view.state,
        "agreement": register.entry(view.agreement),
        "given_on": long_date(view.given_at),
        "withdrawn_on": long_date(view.withdrawn_at) if view.withdrawn_at else None,
    }


@router.get(CONSENTS)
async def consents_page(request: Request) -> Response:
    """The citizen's consents: what each allows, its receipt, and a button to withdraw it."""
    citizen = await signed_in_citizen(request)
    if citizen is None:
        return _to_sign_in(CONSENTS)
    async with _exchange(request).uow(read_only=True) as uow:
        found = await consents.of_citizen(uow, citizen.account_id)
    done = request.query_params.get("given") or request.query_params.get("withdrawn")
    context: dict[str, object] = {
        "consents": [_shown(view) for view in found],
        "given": request.query_params.get("given") if done else None,
        "withdrawn": request.query_params.get("withdrawn") if done else None,
    }
    return _render(request, "consents", context)


@router.post(CONSENTS + "/{consent_id}/withdraw")
async def consent_withdrawn(request: Request, consent_id: str) -> Response:
    citizen = await signed_in_citizen(request)
    if citizen is None:
        return _to_sign_in(CONSENTS)
    wanted = _agreement_id(consent_id)
    if wanted is None:
        return _cannot(request, N_("There is no consent of yours with that ID"))
    try:
        async with _exchange(request).uow() as uow:
            await consents.withdraw(uow, wanted, citizen.account_id)
            await uow.commit()
    except ConsentError as error:
        return _render(request, "consent_cannot", {"reason": localise(error)}, 404)
    return RedirectResponse(f"{CONSENTS}?withdrawn={wanted}", status_code=303)


@router.get(CONSENTS + "/{consent_id}/receipt.jws")
async def consent_receipt(request: Request, consent_id: str) -> Response:
    """The signed consent receipt, to keep: only its own citizen can download it."""
    citizen = await signed_in_citizen(request)
    if citizen is None:
        return _to_sign_in(CONSENTS)
    async with _exchange(request).uow(read_only=True) as uow:
        found = [view for view in await consents.of_citizen(uow, citizen.account_id) if str(view.id) == consent_id]
    if not found:
        return _cannot(request, N_("There is no consent of yours with that ID"))
    headers = {
        "Content-Disposition": f'attachment; filename="consent-receipt-{consent_id}.jws"',
        "Cache-Control": "no-store",
    }
    return Response(found[0].receipt, media_type="application/jose", headers=headers)


async def _subjects(request: Request) -> tuple[list[str], bool] | Response:
    """The identifiers the log knows the signed-in citizen by (their account, for identity's own checks, and
    each identifier proofing bound, as the exchange names them), and whether an identity is proved; or the
    redirect to sign in."""
    citizen = await signed_in_citizen(request)
    if citizen is None:
        return _to_sign_in(DATA_USES)
    proved = await proved_identity(request)
    subjects = [str(citizen.account_id)]
    if proved is not None:
        found = consents.identifiers_of(proved.passport_number, proved.driving_licence_number)
        subjects += [f"{identifier.scheme}:{identifier.value}" for identifier in found]
    return subjects, proved is not None


@router.get(DATA_USES)
async def data_uses_page(request: Request) -> Response:
    """Every recorded use of data about the citizen, newest first, each with a receipt once it is proved."""
    found = await _subjects(request)
    if isinstance(found, Response):
        return found
    subjects, proved = found
    exchange = _exchange(request)
    async with exchange.uow(read_only=True) as uow:
        logged = await exchange.log.uses_about(uow, subjects)
    uses = [register.data_use(use.index, use.data, use.in_checkpoint) for use in logged]
    return _render(request, "data_uses", {"uses": [use for use in uses if use is not None], "proved": proved})


@router.get(DATA_USES + "/{index}/receipt")
async def data_use_receipt(request: Request, index: str) -> Response:
    """A use's receipt (c2sp.org/tlog-proof, carrying the entry): only for a use about the citizen."""
    found = await _subjects(request)
    if isinstance(found, Response):
        return found
    subjects, _ = found
    number = int(index) if index.isdigit() and len(index) < 19 else None
    exchange = _exchange(request)
    proof = None
    if number is not None:
        async with exchange.uow(read_only=True) as uow:
            proof = await exchange.log.receipt_of(uow, number, subjects)
    if proof is None:
        return _cannot(request, N_("There is no proved use of your data with that number"))
    headers = {
        "Content-Disposition": f'attachment; filename="data-use-{number}.tlog-proof"',
        "Cache-Control": "no-store",
    }
    return Response(proof, media_type="text/plain; charset=utf-8", headers=headers)
