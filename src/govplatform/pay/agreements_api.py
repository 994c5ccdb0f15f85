"""Pay's public API v1 for recurring-payment agreements and for disputes.

Agreements and disputes answer with their own P-codes (P2xxx for agreements,
P04xx for disputes searches) and disputes' search results carry `links`
rather than `_links`, as pay-publicapi sends them (pay.md section 1).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from govplatform.pay import openapi, schemas
from govplatform.pay.api import authenticated, component_of, json_body, key_of, page_exists, search_results
from govplatform.pay.errors import not_found
from govplatform.pay.requests import parse_agreement_search, parse_dispute_search
from govplatform.pay.services import agreements, disputes
from govplatform.pay.services.creating import account_of

router = APIRouter(tags=["pay"])


@router.post("/v1/agreements", **openapi.create(openapi.AGREEMENT, openapi.CREATE_AGREEMENT))
async def create_agreement(request: Request) -> Response:
    pay = component_of(request)
    key = await key_of(request)
    body = await json_body(request, parse_error="P2197")
    done = await agreements.create_once(pay.uow, account_of(key), body, request.headers.get("idempotency-key"))
    return JSONResponse(schemas.agreement_resource(pay.box, done.value), status_code=200 if done.replayed else 201)


@router.get("/v1/agreements/{agreement_id}", **openapi.get(openapi.AGREEMENT, "The agreement"))
async def get_agreement(request: Request, agreement_id: str) -> Response:
    pay = component_of(request)
    async with pay.uow(read_only=True) as uow:
        key = await authenticated(request, uow)
        agreement = await agreements.find(uow, account_of(key), agreement_id)
    if agreement is None:
        raise not_found("P2200")
    return JSONResponse(schemas.agreement_resource(pay.box, agreement))


@router.post("/v1/agreements/{agreement_id}/cancel", **openapi.action("Cancelled", conflict=False))
async def cancel_agreement(request: Request, agreement_id: str) -> Response:
    pay = component_of(request)
    key = await key_of(request)
    async with pay.uow() as uow:
        await agreements.cancel(uow, account_of(key), agreement_id)
        await uow.commit()
    return Response(status_code=204)


@router.get("/v1/agreements", **openapi.search(openapi.AGREEMENT, openapi.AGREEMENT_SEARCH))
async def search_agreements(request: Request) -> Response:
    pay = component_of(request)
    query = {name: request.query_params[name] for name in request.query_params}
    async with pay.uow(read_only=True) as uow:
        key = await authenticated(request, uow)
        wanted = parse_agreement_search(query)
        found = await agreements.search(uow, account_of(key), wanted)
    page_exists(found, "P2402")
    results = [schemas.agreement_resource(pay.box, agreement) for agreement in found.items]
    return search_results(f"{pay.base_url}/v1/agreements", query, found, results)


@router.get("/v1/disputes", **openapi.search(openapi.DISPUTE, openapi.DISPUTE_SEARCH, links_name="links"))
async def search_disputes(request: Request) -> Response:
    pay = component_of(request)
    query = {name: request.query_params[name] for name in request.query_params}
    async with pay.uow(read_only=True) as uow:
        key = await authenticated(request, uow)
        wanted = parse_dispute_search(query)
        found = await disputes.search(uow, account_of(key), wanted)
    page_exists(found, "P0402")
    results = [schemas.dispute_resource(pay.base_url, dispute) for dispute in found.items]
    return search_results(f"{pay.base_url}/v1/disputes", query, found, results, links_name="links")
