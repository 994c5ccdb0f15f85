"""Pay's public API v1 for payments and refunds, as GOV.UK Pay's clients call it.

Routes parse and format; the rules live in services. Payment responses carry
`Cache-Control: no-store` and `Pragma: no-cache` (a next_url is a one-time
credential). A key that fails its checksum or is unknown gets a bare 401
with no body, as pay-publicapi's filter answers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from govplatform.core.interfaces import AuthenticatedKey, JsonBodyError, UnitOfWork, parse_json_body
from govplatform.pay import openapi, schemas
from govplatform.pay.component import PayComponent
from govplatform.pay.errors import PayError, body_refused, not_found
from govplatform.pay.models import Payment
from govplatform.pay.requests import parse_payment_search, parse_refund_search
from govplatform.pay.services import creating, operations, payments, refunds, search
from govplatform.pay.services.creating import account_of

router = APIRouter(tags=["pay"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_WAF = "Request blocked by security rules. Please consult API documentation for more information."


class PayAuthRefused(Exception):
    """No key, or not a valid one: a bare 401."""


def component_of(request: Request) -> PayComponent:
    pay: PayComponent = request.app.state.pay
    return pay


async def authenticated(request: Request, uow: UnitOfWork) -> AuthenticatedKey:
    header = request.headers.get("authorization") or ""
    scheme, _, presented = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise PayAuthRefused()
    pay = component_of(request)
    key = await pay.keys.find(uow, pay.key_format, presented.strip())
    if key is None or key.component != "pay":
        raise PayAuthRefused()
    account = f"{key.service.id}:{key.key_type}"
    await pay.rate_limiter.check(account, request.method, request.url.path)
    return key


async def key_of(request: Request) -> AuthenticatedKey:
    async with component_of(request).uow(read_only=True) as uow:
        return await authenticated(request, uow)


async def json_body(request: Request, parse_error: str = "P0197") -> object:
    """The JSON body; Pay's WAF turns away a POST that is empty or not sent as JSON (400 P0920).

    Read by core's safe parser, whose refusals are the endpoint's own answers (`errors.body_refused`).
    """
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    raw = await request.body()
    if content_type != "application/json" or not raw.strip():
        raise PayError(400, "P0920", _WAF)
    try:
        return parse_json_body(raw)
    except JsonBodyError as refused:
        raise body_refused(refused, parse_error) from None


def _payment_json(
    pay: PayComponent, payment: Payment, summary: Any, token: str | None, status_code: int = 200
) -> JSONResponse:
    body = schemas.payment_resource(pay.box, payment, summary)
    body["_links"] = schemas.payment_links(pay.base_url, payment, token=token)
    headers = dict(NO_STORE)
    if status_code == 201:
        headers["Location"] = f"{pay.base_url}/v1/payments/{payment.id}"
    return JSONResponse(body, status_code=status_code, headers=headers)


@router.post("/v1/payments", **openapi.create(openapi.PAYMENT, openapi.CREATE_PAYMENT))
async def create_payment(request: Request) -> Response:
    pay = component_of(request)
    key = await key_of(request)
    body = await json_body(request)
    created = await creating.create(pay, key, body, request.headers.get("idempotency-key"))
    if created.replayed or created.payment.authorisation_mode == "agreement":
        async with pay.uow(read_only=True) as uow:
            summary = refunds.summary(created.payment, await refunds.of_payment(uow, created.payment.id))
    else:
        summary = refunds.summary(created.payment, [])  # a new payment has no refunds yet
    return _payment_json(pay, created.payment, summary, created.token, 200 if created.replayed else 201)


@router.get("/v1/payments/{payment_id}", **openapi.get(openapi.PAYMENT, "The payment, with a fresh next_url"))
async def get_payment(request: Request, payment_id: str) -> Response:
    pay = component_of(request)
    async with pay.uow() as uow:
        key = await authenticated(request, uow)
        payment = await payments.find(uow, account_of(key), payment_id)
        if payment is None:
            raise not_found("P0200")
        # Every GET mints a fresh single-use next_url token: that is how a user resumes a payment.
        token = await creating.token_if_open(uow, payment)
        summary = refunds.summary(payment, await refunds.of_payment(uow, payment.id))
        await uow.commit()
    return _payment_json(pay, payment, summary, token)


@router.get("/v1/payments/{payment_id}/events", **openapi.get(openapi.EVENTS, "The payment's states over time"))
async def payment_events(request: Request, payment_id: str) -> Response:
    pay = component_of(request)
    async with pay.uow(read_only=True) as uow:
        key = await authenticated(request, uow)
        payment = await payments.find(uow, account_of(key), payment_id)
        if payment is None:
            raise not_found("P0300")
        found = await payments.events(uow, payment.id)
    return JSONResponse(
        {
            "payment_id": payment.id,
            "events": [schemas.event_resource(pay.base_url, event) for event in found],
            "_links": {"self": {"href": f"{pay.base_url}/v1/payments/{payment.id}/events", "method": "GET"}},
        }
    )


@router.post("/v1/payments/{payment_id}/cancel", **openapi.action("Cancelled"))
async def cancel_payment(request: Request, payment_id: str) -> Response:
    pay = component_of(request)
    key = await key_of(request)
    await operations.cancel_by_service(pay, account_of(key), payment_id)
    return Response(status_code=204)


@router.post("/v1/payments/{payment_id}/capture", **openapi.action("Capture submitted"))
async def capture_payment(request: Request, payment_id: str) -> Response:
    pay = component_of(request)
    key = await key_of(request)
    await operations.capture_delayed(pay, account_of(key), payment_id)
    return Response(status_code=204)


@router.post("/v1/payments/{payment_id}/refunds", **openapi.create(openapi.REFUND, openapi.CREATE_REFUND, status=202))
async def create_refund(request: Request, payment_id: str) -> Response:
    pay = component_of(request)
    key = await key_of(request)
    body = await json_body(request, parse_error="P0697")
    done = await refunds.create_once(pay.uow, key, payment_id, body, request.headers.get("idempotency-key"))
    refund = done.value
    if done.replayed:  # the first request's answer, as it stands now
        return JSONResponse(schemas.refund_resource(refund, base_url=pay.base_url))
    status = await refunds.process(pay.uow, pay.box, pay.processors, refund.id)
    if status is not None:
        refund.status = status
    return JSONResponse(schemas.refund_resource(refund, base_url=pay.base_url), status_code=202)


@router.get("/v1/payments/{payment_id}/refunds", **openapi.get(openapi.PAYMENT_REFUNDS, "The payment's refunds"))
async def payment_refunds(request: Request, payment_id: str) -> Response:
    pay = component_of(request)
    async with pay.uow(read_only=True) as uow:
        key = await authenticated(request, uow)
        payment = await payments.find(uow, account_of(key), payment_id)
        if payment is None:
            raise not_found("P0800")
        found = await refunds.of_payment(uow, payment.id)
    own = f"{pay.base_url}/v1/payments/{payment.id}"
    return JSONResponse(
        {
            "payment_id": payment.id,
            "_links": {
                "self": {"href": f"{own}/refunds", "method": "GET"},
                "payment": {"href": own, "method": "GET"},
            },
            "_embedded": {"refunds": [schemas.refund_resource(refund, base_url=pay.base_url) for refund in found]},
        }
    )


@router.get("/v1/payments/{payment_id}/refunds/{refund_id}", **openapi.get(openapi.REFUND, "The refund"))
async def payment_refund(request: Request, payment_id: str, refund_id: str) -> Response:
    pay = component_of(request)
    async with pay.uow(read_only=True) as uow:
        key = await authenticated(request, uow)
        refund = await refunds.find(uow, account_of(key), payment_id, refund_id)
    if refund is None:
        raise not_found("P0700")
    return JSONResponse(schemas.refund_resource(refund, base_url=pay.base_url))


def paging_links(base: str, query: dict[str, str], page: search.Page) -> dict[str, Any]:
    """Pay's search navigation: self, first, last, and prev/next where they exist."""

    def href(number: int) -> dict[str, str]:
        return {"href": f"{base}?{urlencode({**query, 'page': str(number)})}"}

    current = page.paging.page
    links: dict[str, Any] = {"self": href(current), "first_page": href(1), "last_page": href(page.last_page)}
    if current > 1:
        links["prev_page"] = href(current - 1)
    if current < page.last_page:
        links["next_page"] = href(current + 1)
    return links


def search_results(
    base: str, query: dict[str, str], found: search.Page, results: list[dict[str, Any]], links_name: str = "_links"
) -> JSONResponse:
    """Pay's search body; disputes call their navigation `links`, every other search `_links`."""
    return JSONResponse(
        {
            "total": found.total,
            "count": len(results),
            "page": found.paging.page,
            "results": results,
            links_name: paging_links(base, query, found),
        }
    )


def page_exists(found: search.Page, code: str) -> None:
    """A page beyond the last of a non-empty result is Pay's 404 "Page not found" with the search's code."""
    if found.total and found.paging.page > found.last_page:
        raise PayError(404, code, "Page not found")


def _search_query(request: Request) -> dict[str, str]:
    return {name: request.query_params[name] for name in request.query_params}


@router.get("/v1/payments", **openapi.search(openapi.PAYMENT, openapi.PAYMENT_SEARCH))
async def search_payments(request: Request) -> Response:
    pay = component_of(request)
    query = _search_query(request)
    async with pay.uow(read_only=True) as uow:
        key = await authenticated(request, uow)
        wanted = parse_payment_search(query)
        found = await search.payments(uow, account_of(key), wanted)
        page_exists(found, "P0402")
        submitted = await refunds.submitted_totals(uow, [payment.id for payment in found.items])
    results = []
    for payment in found.items:
        summary = refunds.summary_with_submitted(payment, submitted.get(payment.id, 0))
        item = schemas.payment_resource(pay.box, payment, summary)
        item["_links"] = schemas.payment_links(pay.base_url, payment, search=True)
        results.append(item)
    return search_results(f"{pay.base_url}/v1/payments", query, found, results)


@router.get("/v1/refunds", **openapi.search(openapi.REFUND, openapi.REFUND_SEARCH))
async def search_refunds(request: Request) -> Response:
    pay = component_of(request)
    query = _search_query(request)
    async with pay.uow(read_only=True) as uow:
        key = await authenticated(request, uow)
        wanted = parse_refund_search(query)
        found = await search.refunds(uow, account_of(key), wanted)
        page_exists(found, "P1100")
    results = [schemas.refund_resource(refund, base_url=pay.base_url) for refund in found.items]
    return search_results(f"{pay.base_url}/v1/refunds", query, found, results)
